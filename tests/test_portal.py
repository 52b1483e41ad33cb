"""Resident pages (当事人查询): a party looks up their own case by its number and their phone
or the end of their ID number, sees where it stands with the others masked, prints the
documents they hold a copy of; guesses are throttled and refusals say nothing specific."""

import re
import subprocess
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import select

from mediation import create_app
from mediation.cases import service as cases
from mediation.documents import service as documents
from mediation.extensions import db
from mediation.models import (
    AgreementStatus,
    DocumentKind,
    LookupFailure,
    PartyKind,
    PartyRole,
    PortalLookup,
)
from mediation.models.base import frozen_time, utcnow
from mediation.portal import service as portal
from mediation.records.attachments import read_file

from factories import ID_FEMALE, ID_MALE, make_case
from test_documents import RESPONDENT, working_case

WRONG = "案件编号与身份信息不符"


def look_up(client, number, proof):
    return client.post("/portal", data={"number": number, "proof": proof})


@pytest.mark.parametrize("proof", ["13812345678", " 138 1234 5678 ", ID_MALE[-6:]])
def test_a_party_finds_their_case_by_phone_or_id_number_end(world, client, proof):
    case = make_case(world["mediator1"])
    cases.apply_action(case, world["mediator1"], "accept")
    response = look_up(client, case.number.replace("（", "(").replace("）", ")"), proof)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/case")
    html = client.get("/portal/case").get_data(as_text=True)
    assert case.number in html and "已受理" in html and "将指派调解员" in html
    assert "申请人 张三" in html  # themselves, in full
    assert "被申请人 李*" in html and "李四" not in html  # the other party, masked
    assert ID_MALE not in html and "13812345678" not in html and ID_FEMALE not in html
    assert 'aria-current="step">受理' in html


def test_the_other_party_finds_the_same_case_as_themselves(world, client):
    case = make_case(world["mediator1"])
    assert look_up(client, case.number, ID_FEMALE[-6:].lower()).status_code == 302  # x or X
    html = client.get("/portal/case").get_data(as_text=True)
    assert "被申请人 李四" in html and "申请人 张*" in html


def test_an_organisation_is_named_by_the_start_and_end_of_its_name(world, client):
    case = make_case(world["mediator1"], [
        {"role": PartyRole.APPLICANT, "kind": PartyKind.PERSON, "name": "赵军",
         "phone": "13812345678"},
        {"role": PartyRole.RESPONDENT, "kind": PartyKind.ORGANISATION,
         "name": "示例县安居物业服务有限公司", "legal_representative": "宋美华"},
    ])  # fmt: skip
    look_up(client, case.number, "13812345678")
    html = client.get("/portal/case").get_data(as_text=True)
    assert "被申请人 示例*********公司" in html and "安居" not in html


def test_a_wrong_proof_and_an_unknown_case_get_the_same_answer(world, client):
    case = make_case(world["mediator1"])
    wrong = look_up(client, case.number, "13800000000")
    unknown = look_up(client, "（2026）东街调字第9999号", "13812345678")
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and WRONG in html
        assert case.number in html or "9999" in html  # what was typed is kept
    assert client.get("/portal/case").status_code == 302  # nothing was looked up
    # Nothing typed is stored, only keyed hashes of the number and of the address.
    look_up(client, "（2026）东街调字第9998号", ID_MALE)
    keys = {f.key for f in db.session.scalars(db.select(LookupFailure))}
    assert keys and all(re.fullmatch(r"(case|ip):[0-9a-f]{40}", k) for k in keys)


def test_missing_fields_are_named_next_to_them(client):
    html = client.post("/portal", data={"number": "", "proof": ""}).get_data(as_text=True)
    number = html[html.index('data-field="number"') :]
    assert "请填写案件编号。" in number[: number.index("</div>")]
    assert "请填写联系电话或公民身份号码后六位。" in html


def age_failures(by):
    for failure in db.session.scalars(db.select(LookupFailure)):
        failure.at -= by
    db.session.commit()


def test_guessing_is_stopped_after_five_failures_an_hour_and_ten_a_day(world, client, app):
    case = make_case(world["mediator1"])
    for n in range(5):
        assert look_up(client, case.number, f"{n:06d}").status_code == 400
    # Even the right answer is now refused, from any address.
    other = app.test_client()
    blocked = other.post("/portal", data={"number": case.number, "proof": "13812345678"},
                         environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fmt: skip
    assert blocked.status_code == 429 and "稍后再试" in blocked.get_data(as_text=True)
    age_failures(timedelta(hours=1))  # an hour later the hourly limit has passed
    for n in range(4):
        assert look_up(client, case.number, f"{n:06d}").status_code == 400
    # Five failures and one refused attempt an hour ago, four now: ten today, the limit.
    assert look_up(client, case.number, "13812345678").status_code == 429
    age_failures(timedelta(days=1))  # records older than a day are dropped at the next try
    assert look_up(client, case.number, "13812345678").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(LookupFailure)) == 0


def test_parallel_guesses_are_counted_before_they_are_answered(world, client):
    """Each attempt is written down before its answer is checked: five requests in flight
    for the case (their records already there) leave no room for a sixth."""
    case = make_case(world["mediator1"])
    key = portal._hashed("case", case.number)
    db.session.add_all(LookupFailure(key=key, at=utcnow()) for _ in range(5))
    db.session.commit()
    assert look_up(client, case.number, "13812345678").status_code == 429


def test_one_address_trying_many_cases_is_stopped(world, client):
    numbers = [make_case(world["mediator1"]).number for _ in range(3)]
    for n in range(20):
        look_up(client, numbers[n % 3] if n < 3 else f"（2026）东街调字第{9000 + n}号", "000000")
    assert look_up(client, numbers[0], "13812345678").status_code == 429


def test_the_party_prints_the_newest_agreement_and_nothing_else(world, client):
    case = working_case(world)
    mediator = world["mediator1"]
    old = documents.generate_document(case, mediator, DocumentKind.AGREEMENT, case.agreement.id)
    new = documents.generate_document(case, mediator, DocumentKind.AGREEMENT, case.agreement.id)
    record = documents.generate_document(case, mediator, DocumentKind.SESSION,
                                         case.session_records[0].id)  # fmt: skip
    assert look_up(client, case.number, "13987654321").status_code == 302  # the respondent
    html = client.get("/portal/case").get_data(as_text=True)
    assert f"被申请人 {RESPONDENT}" in html and "请到人民调解委员会签署协议书" in html
    assert new.code in html and old.code not in html and record.code not in html
    pdf = client.get(f"/portal/documents/{new.id}.pdf")
    # Looked up by phone: a copy drawn for the party (others' ID numbers masked, see
    # test_portal_masking.py) of the newest version, naming its verification code.
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert (
        new.code
        in subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
        ).stdout.decode()
    )
    for other in (old, record):
        assert client.get(f"/portal/documents/{other.id}.pdf").status_code == 404
    other_case = working_case(world)
    theirs = documents.generate_document(other_case, mediator, DocumentKind.AGREEMENT,
                                         other_case.agreement.id)  # fmt: skip
    assert client.get(f"/portal/documents/{theirs.id}.pdf").status_code == 404


def test_an_ended_case_names_the_routes_and_the_lookup_expires(world, client):
    case = make_case(world["mediator1"])
    mediator = world["mediator1"]
    cases.apply_action(case, mediator, "accept")
    cases.apply_action(case, mediator, "start_mediation")
    cases.apply_action(case, mediator, "terminate", "分歧较大。", "可以向人民法院提起诉讼。")
    look_up(client, case.number, "13812345678")
    html = client.get("/portal/case").get_data(as_text=True)
    assert "调解已终止" in html and "可以向人民法院提起诉讼。" in html
    assert 'aria-current="step">调解终止' in html
    with frozen_time(utcnow() + timedelta(minutes=portal.LOOKUP_MINUTES, seconds=1)):
        expired = client.get("/portal/case")
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/portal")
    look_up(client, case.number, "13812345678")
    assert client.post("/portal/leave", data={}).status_code == 302
    assert client.get("/portal/case").status_code == 302


def test_a_copied_cookie_is_dead_after_ending_the_lookup(app, world, client):
    case = make_case(world["mediator1"])
    look_up(client, case.number, "13812345678")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/portal/case").status_code == 200  # the copy works while the lookup lives
    assert client.post("/portal/leave", data={}).status_code == 302
    assert copy.get("/portal/case").status_code == 302  # ...and not after 结束查询
    found = db.session.scalar(select(PortalLookup))
    assert found.ended_at is not None and found.case_id == case.id


@pytest.mark.parametrize(("proof", "by_id_tail"), [("13812345678", False), (ID_MALE[-6:], True)])
def test_a_lookup_remembers_how_the_party_proved_who_they_are(world, proof, by_id_tail):
    case = make_case(world["mediator1"])
    lookup, token = portal.open_lookup(case.number, proof, "127.0.0.1")
    assert lookup.by_id_tail is by_id_tail
    assert portal.current_lookup(token) is lookup and lookup.case is case
    assert token not in lookup.token_hash  # only a hash is kept


def test_the_progress_line_ends_where_the_case_left_the_way(world, client):
    mediator = world["mediator1"]
    during = make_case(mediator)  # withdrawn during mediation
    for action in ("accept", "start_mediation"):
        cases.apply_action(during, mediator, action)
    cases.apply_action(during, mediator, "withdraw", "申请人撤回。")
    look_up(client, during.number, "13812345678")
    html = client.get("/portal/case").get_data(as_text=True)
    assert '<li class="done">调解</li>' in html and 'aria-current="step">已撤回' in html
    early = make_case(mediator)  # terminated straight after acceptance
    cases.apply_action(early, mediator, "accept")
    cases.apply_action(early, mediator, "terminate", "当事人拒绝调解。", "可以向法院起诉。")
    look_up(client, early.number, "13812345678")
    html = client.get("/portal/case").get_data(as_text=True)
    assert '<li class="done">受理</li>' in html and ">调解</li>" not in html
    assert 'aria-current="step">调解终止' in html


def test_behind_a_proxy_each_resident_is_counted_by_their_own_address():
    """PROXY_COUNT=1: the address the throttle counts is the one the proxy forwarded."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "PROXY_COUNT": 1})  # fmt: skip
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr or "")
    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "10.1.2.3"},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"})  # fmt: skip
    assert response.get_data(as_text=True) == "10.1.2.3"


@pytest.mark.parametrize("typed", [
    "（{wide}）东街调字第０００１号",  # full-width digits from a Chinese input method
    "({year})东街调字第1号",  # no zero padding
    "{year}东街调字第0001号",  # no brackets
    "【{year}】东街调字 第 1 号",  # other brackets, spaces
])  # fmt: skip
def test_the_lookup_reads_a_case_number_as_people_type_it(world, client, typed):
    case = make_case(world["mediator1"])
    assert case.number == f"（{case.year}）东街调字第0001号"
    wide = "".join(chr(ord(c) + 0xFEE0) for c in str(case.year))
    typed = typed.format(year=case.year, wide=wide)
    assert look_up(client, typed, "+86 138 1234 5678").status_code == 302


@pytest.mark.parametrize(
    "proof", ["+8613812345678", "0086 138-1234-5678", "１３８１２３４５６７８"]
)
def test_the_lookup_reads_a_phone_as_people_type_it(world, client, proof):
    case = make_case(world["mediator1"])
    assert look_up(client, case.number, proof).status_code == 302


def test_what_cannot_be_a_case_number_is_said_so_and_not_counted(world, client):
    make_case(world["mediator1"])
    for typed in ("13812345678", "东街调字第1号", "不知道"):
        page = look_up(client, typed, "13812345678")
        html = page.get_data(as_text=True)
        assert page.status_code == 400 and WRONG not in html
        field = html[html.index('data-field="number"') :]
        assert "这不是案件编号" in field[: field.index("</div>")]
        assert typed in html  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(LookupFailure)) == 0


def test_the_signed_agreement_stays_current_when_printed_again(world, client):
    """Printing the agreement after it was signed makes an unsigned copy: the signed version
    stays the one verification and the party are pointed to, and its scan is downloadable."""
    from mediation.agreements import service as agreements

    from test_documents import scan_pdf, upload

    case = working_case(world)
    mediator = world["mediator1"]
    first = documents.generate_document(case, mediator, DocumentKind.AGREEMENT, case.agreement.id)
    scan = scan_pdf(1)
    agreements.confirm_signed(case, mediator, case.agreement, upload(scan, "签字.pdf"), True)
    assert first.is_signed
    again = documents.generate_document(case, mediator, DocumentKind.AGREEMENT, case.agreement.id)
    assert again.version == 2 and not again.is_signed
    signed_page = client.get(f"/verify/{first.code}").get_data(as_text=True)
    assert "此后已出具" not in signed_page and "已上传签字盖章件" in signed_page
    unsigned_page = client.get(f"/verify/{again.code}").get_data(as_text=True)
    assert "尚未签字；已签字生效的是第 1 版" in unsigned_page
    assert look_up(client, case.number, "13812345678").status_code == 302
    html = client.get("/portal/case").get_data(as_text=True)
    assert first.code in html and again.code not in html
    assert client.get(f"/portal/documents/{again.id}.pdf").status_code == 404
    # The scan shows every party's ID number and cannot be masked: not for a phone lookup.
    assert "下载签字盖章件" not in html
    assert client.get(f"/portal/documents/{first.id}/signed").status_code == 403
    assert look_up(client, case.number, ID_MALE[-6:]).status_code == 302
    assert "下载签字盖章件" in client.get("/portal/case").get_data(as_text=True)
    got = client.get(f"/portal/documents/{first.id}/signed")
    stored = read_file(first.signed_attachment)
    assert got.status_code == 200 and got.data == stored and got.data.startswith(b"%PDF-")
    assert "attachment" in got.headers["Content-Disposition"]
    # A signed v2 takes over; then v1 says a later version exists.
    documents.attach_signed_scan(case, mediator, again, upload(scan_pdf(1), "再签.pdf"))
    assert "此后已出具第 2 版" in client.get(f"/verify/{first.code}").get_data(as_text=True)


def test_an_agreement_replaced_by_a_new_one_is_said_so(world, client):
    case = working_case(world)
    mediator = world["mediator1"]
    old = documents.generate_document(case, mediator, DocumentKind.AGREEMENT, case.agreement.id)
    case.agreement.status = AgreementStatus.SUPERSEDED
    db.session.commit()
    assert "已被当事人此后达成的新调解协议取代" in client.get(f"/verify/{old.code}").get_data(
        as_text=True
    )
    assert portal.party_documents(case) == []
