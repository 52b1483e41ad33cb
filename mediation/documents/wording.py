"""How the documents write things out: an agreed term as one sentence, amounts in figures
and in the capitals of financial writing (人民币壹仟伍佰元整), counts in Chinese numerals.
Every document that prints a term asks `term_sentence`, so they all say it the same way."""

import re
from decimal import Decimal

import cn2an

from mediation.filters import cn_date, money

# Punctuation a typed phrase may end with; the sentence adds its own.
TRAILING = "。．.，,；;、 　"


def money_capitals(amount: Decimal | int | str) -> str:
    """人民币壹仟伍佰元整: the financial capitals written next to the figures, so an amount
    cannot be altered on paper. cn2an's "rmb" mode writes 元/角/分 and 整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    if value == 0:
        return "人民币零元整"
    return "人民币" + cn2an.an2cn(f"{value:f}", "rmb")


def chinese_count(n: int) -> str:
    """A small count in Chinese numerals, as in 一式三份."""
    return cn2an.an2cn(n, "low")


def amount_text(amount: Decimal | None) -> str:
    """人民币1,500.00元（大写：人民币壹仟伍佰元整）; empty for none."""
    if amount is None:
        return ""
    return f"人民币{money(amount)}元（大写：{money_capitals(amount)}）"


def _phrase(text: str | None) -> str:
    return (text or "").strip().rstrip(TRAILING)


def term_sentence(term) -> str:
    """One agreed obligation as one sentence with one full stop: who does what for whom,
    the amount in figures and capitals, the manner, the time limit and the place."""
    head = f"{_phrase(term.obligor)}向{_phrase(term.obligee)}{_phrase(term.content)}"
    if term.amount is not None:
        head += f"，金额{amount_text(term.amount)}"
    parts = [head]
    if _phrase(term.manner):
        parts.append(f"履行方式：{_phrase(term.manner)}")
    if term.deadline:
        parts.append(f"履行期限：{cn_date(term.deadline)}前")
    if _phrase(getattr(term, "place", "")):
        parts.append(f"履行地点：{_phrase(term.place)}")
    return "；".join(parts) + "。"


def others_present(record) -> list[str]:
    """参加人 of a session: those the record names as present who are neither parties (nor
    an organisation's representative) nor the session's mediators."""
    case = record.case
    known = {p.name for p in case.parties} | {
        p.legal_representative for p in case.parties if p.legal_representative
    }
    known |= set(_names(record.mediators))
    return [name for name in _names(record.attendees) if name not in known]


def _names(text: str | None) -> list[str]:
    found = []
    for name in re.split(r"[、，,；;\s]+", text or ""):
        name = name.strip()
        if name and name not in found:
            found.append(name)
    return found
