"""Charts beside the statistics, drawn on the server as SVG: no JavaScript, nothing inline
that a strict CSP forbids (presentation attributes only). Every bar is a link to the case
list narrowed to exactly the cases its figure counts (the list's filters in cases/listing.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_FILL = "#2f6fb2"
RISE_FILL = "#c2410c"


@dataclass
class Bar:
    label: str
    value: float  # what the bar's length shows
    figure: int  # the count its link lists
    text: str  # the figure as written beside the bar
    href: str


def _link(bar: Bar, inner: str) -> str:
    title = escape(f"{bar.label}：{bar.text}，点击查看这些案件")
    return (
        f'<a href="{escape(bar.href)}" data-figure="{bar.figure}"><title>{title}</title>{inner}</a>'
    )


def bars(title: str, items: list[Bar], top: float | None = None) -> Markup:
    """A horizontal bar chart: one row per item, label on the left, figure after the bar."""
    row, label_w, bar_w = 26, 150, 240
    height = row * len(items) + 8
    top = top or max((b.value for b in items), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 110} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, bar in enumerate(items):
        y = 4 + i * row
        length = max(bar.value / top * bar_w, 1 if bar.figure else 0)
        label = bar.label if len(bar.label) <= 11 else bar.label[:10] + "…"  # full in <title>
        inner = (
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="14">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="16" rx="2" '
            f'fill="{BAR_FILL}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 17}" font-size="14">'
            f"{escape(bar.text)}</text>"
        )
        parts.append(_link(bar, inner))
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(title: str, items: list[Bar]) -> Markup:
    """A column chart for a series over time (the last twelve months)."""
    width, height, base = 480, 190, 160
    step = width / max(len(items), 1)
    top = max((b.value for b in items), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#9aa4ae"/>',
    ]
    for i, bar in enumerate(items):
        x = i * step + step * 0.2
        tall = bar.value / top * (base - 24)
        middle = x + step * 0.3
        inner = (
            f'<rect x="{x:.1f}" y="{base - tall:.1f}" width="{step * 0.6:.1f}" '
            f'height="{tall:.1f}" rx="2" fill="{BAR_FILL}"/>'
            f'<text x="{middle:.1f}" y="{base - tall - 5:.1f}" text-anchor="middle" '
            f'font-size="12">{escape(bar.text)}</text>'
            f'<text x="{middle:.1f}" y="{base + 18}" text-anchor="middle" font-size="12">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(_link(bar, inner))
    parts.append("</svg>")
    return Markup("".join(parts))


def report_charts(report, trend, link) -> dict[str, Markup]:
    """The four charts of a report: `trend` is [(month Period, accepted)], `link(**filters)`
    the case list's URL with those filters."""
    unit, period = report.unit, report.period
    span = {"accepted_from": period.start.isoformat(), "accepted_to": period.end.isoformat()}

    def accepted_bars(rows, key: str) -> list[Bar]:
        return [
            Bar(
                k.label,
                t.accepted,
                t.accepted,
                str(t.accepted),
                link(org=unit.id, **span, **{key: k.value}),
            )
            for k, t in rows
        ]

    monthly = [
        Bar(
            f"{m.number}月",
            n,
            n,
            str(n),
            link(org=unit.id, accepted_from=m.start.isoformat(), accepted_to=m.end.isoformat()),
        )
        for m, n in trend
    ]
    rates = [
        Bar(
            child.name,
            t.success_rate or 0,
            t.successful,
            f"{t.success_rate * 100:.1f}%（{t.successful}/{t.concluded}）"
            if t.success_rate is not None
            else "—（本期无调结）",
            link(
                org=child.id, agreed_from=period.start.isoformat(), agreed_to=period.end.isoformat()
            ),
        )
        for child, t in report.by_unit
    ]
    return {
        "trend": columns("近12个月受理案件数", monthly),
        "category": bars("本期受理案件按纠纷类型", accepted_bars(report.by_category, "category")),
        "source": bars("本期受理案件按来源", accepted_bars(report.by_source, "source")),
        "rate": bars("本期调解成功率（按单位）", rates, top=1),
    }
