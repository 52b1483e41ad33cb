"""Benchmark of the PDF documents, run on demand. Prints the median time to render an agreement
and to bind a 40-page case file (卷宗) from the stored documents, each as a ratio against a
one-line WeasyPrint document rendered in the same run, so the figures compare across machines.

The baseline the targets are judged against is a plain one-line WeasyPrint document:
`weasyprint.HTML(string=...).write_pdf()` with WeasyPrint's defaults, as anyone would render
it (about 40-50 ms here). A second, stricter figure is printed beside it: the same line
through our own renderer, whose fonts are already loaded and shared by every render (a few
ms), so that ratio shows the layout work alone.

    python bench/documents.py            targets: agreement <= 8x, case file <= 20x
BENCH_RUNS sets how many renders each median is taken over (default 5); BENCH_CASE_FILE=path
keeps one case file there, to look at.
"""

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import weasyprint  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from mediation import create_app  # noqa: E402
from mediation.documents import service as documents  # noqa: E402
from mediation.documents.render import render_pdf  # noqa: E402
from mediation.models import CaseStatus, DocumentKind  # noqa: E402
from mediation.models.base import utcnow  # noqa: E402
from mediation.records.service import record_session  # noqa: E402

from factories import build_world  # noqa: E402
from test_documents import archived_case  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGETS = {"agreement": 8, "case file (40 pages)": 20}
ONE_LINE = "<p style=\"font-family: 'Mediation Song'\">人民调解协议书</p>"
PLAIN_ONE_LINE = "<p>人民调解协议书</p>"
# One page of a session's course, as a mediator writes it: long, with full-width punctuation.
COURSE = (
    "申请人陈述：楼上卫生间漏水已有三个月，多次协商未果，天花板、墙面和衣柜受损，"
    "要求被申请人修复并赔偿损失。被申请人陈述：漏水原因尚不清楚，愿意配合查明。"
    "调解员释明《中华人民共和国民法典》相邻关系的规定，组织双方查看现场，"
    "并请物业工作人员说明管道情况。"
) * 5


def median(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
        "UPLOAD_FOLDER": str(folder / "uploads"), "SECRET_KEY": "bench",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })  # fmt: skip
    with app.app_context(), app.test_request_context(base_url="http://127.0.0.1"):
        upgrade()
        world = build_world()
        case = archived_case(world)
        # Fill the file up to 40 pages with session records, as a long mediation would.
        case.status, was = CaseStatus.MEDIATING, case.status  # records are closed once archived
        _, pages = documents.build_case_file(case, "BENCHCODE", world["mediator1"])
        held = utcnow() - timedelta(days=20)
        while pages < 40:
            for n in range(max(1, (40 - pages) // 2)):
                record_session(case, world["mediator1"], {
                    "held_at": held + timedelta(hours=n), "place": "调解室",
                    "mediators": "李调解", "attendees": "乜㛃、亓官", "course": COURSE,
                    "result": "双方同意继续协商。",
                })  # fmt: skip
            _, pages = documents.build_case_file(case, "BENCHCODE", world["mediator1"])
        case.status = was
        entry = documents.find_entry(case, DocumentKind.AGREEMENT, case.agreement.id)
        agreement_pages = len(
            PdfReader(io.BytesIO(render_pdf(documents.document_html(case, entry, "X")))).pages
        )

        render_pdf(ONE_LINE)  # load the fonts once: every measure below sees a warm process
        weasyprint.HTML(string=PLAIN_ONE_LINE).write_pdf()
        base = median(lambda: weasyprint.HTML(string=PLAIN_ONE_LINE).write_pdf())
        warm = median(lambda: render_pdf(ONE_LINE))
        agreement = median(lambda: render_pdf(documents.document_html(case, entry, "BENCH")))
        case_file = median(lambda: documents.build_case_file(case, "BENCHCODE", world["mediator1"]))
        if os.environ.get("BENCH_CASE_FILE"):  # keep one for looking at
            pdf, _ = documents.build_case_file(case, "BENCHCODE", world["mediator1"])
            Path(os.environ["BENCH_CASE_FILE"]).write_bytes(pdf)

    print(f"documents benchmark: median of {RUNS} renders each, in one process")
    print(f"  one-line document (baseline)    {base * 1000:8.1f} ms  (plain WeasyPrint)")
    print(f"  one-line, our warm renderer     {warm * 1000:8.1f} ms")
    failed = False
    for name, seconds, extra in (
        ("agreement", agreement, f"{agreement_pages} pages"),
        ("case file (40 pages)", case_file, f"{pages} pages"),
    ):
        ratio = seconds / base
        target = TARGETS[name]
        ok = ratio <= target
        failed |= not ok
        print(
            f"  {name:<31} {seconds * 1000:8.1f} ms  {ratio:6.1f}x  "
            f"(target <= {target}x, {'ok' if ok else 'OVER'}; {seconds / warm:.0f}x the warm "
            f"one-liner; {extra})"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
