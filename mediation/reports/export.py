"""The statistics as a spreadsheet (.xlsx): one sheet per table of the page, numbers as
numbers (rates as per-cent cells), headed by the unit, the period and the date counted to."""

import io

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from mediation.models.base import local_today
from mediation.oversight.assessment import COLUMNS as ASSESSMENT_COLUMNS
from mediation.oversight.assessment import RANKINGS, Assessment
from mediation.reports.official import CATEGORY_COLUMNS, OUTCOME_COLUMNS, official_rows
from mediation.reports.service import BREAKDOWN, MEDIATOR, Report, Tally, columns

FORMATS = {"count": "0", "rate": "0.0%", "days": "0.0"}


def workbook(report: Report) -> io.BytesIO:
    book = Workbook()
    sheets = [
        ("按单位", "单位", [(unit.name,) for unit, _ in report.by_unit],
         [t for _, t in report.by_unit], columns()),
        ("按纠纷类型", "纠纷类型", [(c.label,) for c, _ in report.by_category],
         [t for _, t in report.by_category], columns(BREAKDOWN)),
        ("按来源", "案件来源", [(s.label,) for s, _ in report.by_source],
         [t for _, t in report.by_source], columns(BREAKDOWN)),
        ("按住所地", "申请人住所地", [(d,) for d, _ in report.by_district],
         [t for _, t in report.by_district], columns(BREAKDOWN)),
        ("按调解员", "调解员", [(u.name, o.name) for u, o, _ in report.by_mediator],
         [t for _, _, t in report.by_mediator], columns(MEDIATOR)),
    ]  # fmt: skip
    book.remove(book.active)
    for title, heading, names, tallies, cols in sheets:
        total = report.total if title != "按调解员" else None
        _sheet(book.create_sheet(title), report, heading, names, tallies, cols, total)
    _official_sheet(book.create_sheet("人民调解工作统计表"), report)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _sheet(sheet, report: Report, heading: str, names, tallies: list[Tally], cols,
           total: Tally | None) -> None:  # fmt: skip
    label_columns = ["单位" if heading == "单位" else heading]
    if heading == "调解员":
        label_columns.append("所在单位")
    sheet.append([f"人民调解工作统计表（{report.unit.name}，{report.period.label}）"])
    sheet.append([f"统计截至{report.as_of.isoformat()}，制表日期{local_today().isoformat()}"])
    sheet.append([])
    sheet.append(label_columns + [label for _, label, _ in cols])
    for name, tally in zip(names, tallies, strict=True):
        sheet.append(list(name) + [getattr(tally, attr) for attr, _, _ in cols])
    if total is not None:
        sheet.append(["合计"] + [""] * (len(label_columns) - 1)
                     + [getattr(total, attr) for attr, _, _ in cols])  # fmt: skip
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    first = len(label_columns) + 1
    _format_columns(sheet, first, [how for _, _, how in cols], 11)
    for n in range(1, first):
        sheet.column_dimensions[get_column_letter(n)].width = 26
    sheet.freeze_panes = sheet.cell(row=5, column=first)


def _format_columns(sheet, first: int, hows: list[str], width: int) -> None:
    """Columns from `first` on: their width, and below the heading the number format of
    rates and days (counts are whole numbers, which the default format shows as they are:
    setting it on every cell of a county's 800 mediators cost a quarter of the workbook)."""
    for n, how in enumerate(hows):
        letter = get_column_letter(first + n)
        sheet.column_dimensions[letter].width = width
        if how == "count":
            continue
        for (cell,) in sheet.iter_rows(min_row=5, min_col=first + n, max_col=first + n):
            cell.number_format = FORMATS[how]


# --- 考核 (mediation/oversight/assessment.py): the ranked tables as sheets of their own ------


def assessment_sheets(book: Workbook, assessment: Assessment) -> None:
    """Add the assessment's two ranked tables (committees, mediators) to a workbook."""
    title = f"（{assessment.unit.name}，{assessment.period.label}）"
    tables = [
        (
            "考核-调委会",
            f"调委会考核排名{title}",
            ["名次", "调委会"],
            [([n, org.name], score) for n, org, score in assessment.committees],
        ),
        (
            "考核-调解员",
            f"调解员考核排名{title}",
            ["名次", "调解员", "所在调委会"],
            [([n, u.name, org.name], score) for n, u, org, score in assessment.mediators],
        ),
    ]
    for sheet_title, heading, labels, rows in tables:
        sheet = book.create_sheet(sheet_title)
        sheet.append([heading])
        sheet.append([f"制表日期{local_today().isoformat()}，按{RANKINGS[assessment.sort]}排名"])
        sheet.append([])
        sheet.append(labels + [label for _, label, _ in ASSESSMENT_COLUMNS])
        for names, score in rows:
            sheet.append(names + [getattr(score, attr) for attr, _, _ in ASSESSMENT_COLUMNS])
        sheet["A1"].font = Font(bold=True, size=14)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        first = len(labels) + 1
        _format_columns(sheet, first, [how for _, _, how in ASSESSMENT_COLUMNS], 10)
        for n in range(2, first):
            sheet.column_dimensions[get_column_letter(n)].width = 24
        sheet.freeze_panes = sheet.cell(row=5, column=first)


def assessment_workbook(assessment: Assessment, report: Report | None = None) -> io.BytesIO:
    """The 考核 sheets, after the statistics' own sheets for the same unit and period when a
    report is given: the office's spreadsheet of the period in one file."""
    if report is None:
        book = Workbook()
        book.remove(book.active)
    else:
        book = load_workbook(workbook(report))
    assessment_sheets(book, assessment)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _official_sheet(sheet, report: Report) -> None:
    """The 人民调解工作统计表 as printed (reports/official.py): grouped headings, one row per
    unit below and the total."""
    rows, total = official_rows(report)
    categories, outcomes = CATEGORY_COLUMNS, OUTCOME_COLUMNS
    width = 2 + len(categories) + len(outcomes)
    sheet.append(["人民调解工作统计表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.append(
        [
            f"填报单位：{report.unit.name}",
            "",
            "",
            "",
            f"统计期间：{report.period.label}",
            "",
            "",
            "",
            "",
            "",
            f"填报日期：{local_today().isoformat()}",
        ]
    )
    sheet.append(
        ["单位", "受理纠纷合计", "其中按纠纷类型"]
        + [""] * (len(categories) - 1)
        + ["调解情况"]
        + [""] * (len(outcomes) - 1)
    )
    sheet.append(["", ""] + [label for _, label, _ in categories + outcomes])
    sheet.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    sheet.merge_cells(start_row=3, start_column=2, end_row=4, end_column=2)
    sheet.merge_cells(start_row=3, start_column=3, end_row=3, end_column=2 + len(categories))
    sheet.merge_cells(start_row=3, start_column=3 + len(categories), end_row=3, end_column=width)
    for row in [*rows, total]:
        sheet.append(
            [row.name, row["accepted"]] + [row[key] for key, _, _ in categories + outcomes]
        )
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for line in (3, 4):
        for cell in sheet[line]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    _format_columns(sheet, 3, [how for _, _, how in categories + outcomes], 7)
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "C5"
