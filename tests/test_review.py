"""The justice office's case-file review (案卷评查) and samples: who sees what on every
route, the return → answer → pass cycle with its history, repeats refused as conflicts,
reproducible samples, and bounded queries on the list pages."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, literal, select

from mediation.agreements.service import todo_for
from mediation.documents.service import build_case_file
from mediation.extensions import db
from mediation.models import (
    CaseEvent,
    CaseStatus,
    EventKind,
    ReviewSample,
    ReviewStatus,
    ReviewVerdict,
    Verdict,
)
from mediation.models.base import local_today
from mediation.oversight import service
from mediation.workflow import WorkflowError

from factories import make_case
from test_documents import archived_case, flat, text_of


def closed_case(world, user="mediator1", closed_on: date | None = None):
    """A case as the review sees it: closed on a given day (set directly, the review only
    reads it)."""
    case = make_case(world[user])
    day = closed_on or local_today()
    case.status, case.accepted_on = CaseStatus.CLOSED, day - timedelta(days=20)
    case.deadline, case.closed_on = day + timedelta(days=10), day
    db.session.commit()
    return case


def test_a_returned_file_is_answered_and_passed_with_its_history_kept(world):
    case = closed_case(world)
    auditor, director = world["auditor1"], world["director1"]
    review = service.give_verdict(
        case, auditor, Verdict.RETURNED, "请补充回访记录。", {"follow_up": "未见回访记录。"}, 0
    )
    assert review.status == ReviewStatus.RETURNED
    service.answer_return(case, director, "已于12月1日补充回访，情况见补充说明。", review.version)
    assert review.status == ReviewStatus.RESUBMITTED
    service.give_verdict(case, auditor, Verdict.PASSED, "", {}, review.version)
    assert review.status == ReviewStatus.PASSED
    kinds = [
        e.kind
        for e in db.session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id,
                CaseEvent.kind.in_([EventKind.REVIEW, EventKind.REVIEW_ANSWER]),
            )
        )
    ]
    assert kinds == [EventKind.REVIEW, EventKind.REVIEW_ANSWER, EventKind.REVIEW]
    lines = [line.text for line in service.history_lines(case)]
    assert len(lines) == 3 and "不合格（退回补正）" in lines[0] and "未见回访记录" in lines[0]
    assert "周主任" in lines[1] and "合格" in lines[2]


def test_a_repeated_verdict_is_a_conflict_not_a_second_verdict(world):
    case = closed_case(world)
    auditor = world["auditor1"]
    service.give_verdict(case, auditor, Verdict.RETURNED, "缺少材料。", {}, 0)
    with pytest.raises(WorkflowError) as refused:  # the same form posted again
        service.give_verdict(case, auditor, Verdict.RETURNED, "缺少材料。", {}, 0)
    db.session.rollback()
    assert refused.value.status == 409 and "刷新" in refused.value.message
    assert db.session.scalar(select(db.func.count(ReviewVerdict.id))) == 1
    review = service.review_of(case)
    with pytest.raises(WorkflowError, match="等调委会答复"):  # current version, still waiting
        service.give_verdict(case, auditor, Verdict.PASSED, "", {}, review.version)
    db.session.rollback()
    service.answer_return(case, world["director1"], "已补正。", review.version)
    with pytest.raises(WorkflowError) as again:
        service.answer_return(case, world["director1"], "已补正。", review.version - 1)
    assert again.value.status == 409
    db.session.rollback()
    service.give_verdict(case, auditor, Verdict.BASIC, "", {}, service.review_of(case).version)
    with pytest.raises(WorkflowError, match="评查已结束"):
        service.give_verdict(case, auditor, Verdict.PASSED, "", {}, service.review_of(case).version)


def test_a_return_must_say_what_to_correct_and_only_closed_files_are_reviewed(world):
    case = closed_case(world)
    with pytest.raises(WorkflowError) as refused:
        service.give_verdict(case, world["auditor1"], Verdict.RETURNED, " ", {"art29": ""}, 0)
    assert refused.value.status == 400 and refused.value.field == "comment"
    db.session.rollback()
    open_case = make_case(world["mediator1"])
    with pytest.raises(WorkflowError, match="结案后才能评查"):
        service.give_verdict(open_case, world["auditor1"], Verdict.PASSED, "", {}, 0)


def test_only_auditors_give_verdicts_and_only_handlers_answer(world):
    case = closed_case(world)
    with pytest.raises(WorkflowError) as refused:
        service.give_verdict(case, world["director1"], Verdict.PASSED, "", {}, 0)
    assert refused.value.status == 403
    with pytest.raises(WorkflowError) as outside:
        service.give_verdict(case, world["auditor2"], Verdict.PASSED, "", {}, 0)
    assert outside.value.status == 404
    review = service.give_verdict(case, world["auditor1"], Verdict.RETURNED, "补正。", {}, 0)
    for username in ("auditor1", "mediator2", "mediator1"):  # mediator1 is not assigned
        with pytest.raises(WorkflowError) as not_theirs:
            service.answer_return(case, world[username], "补正。", review.version)
        assert not_theirs.value.status == 403


def test_a_returned_file_is_in_the_committees_todo(world):
    case = closed_case(world)
    service.give_verdict(case, world["auditor1"], Verdict.RETURNED, "补正。", {}, 0)
    assert [c.id for c in todo_for(world["director1"])["reviews"]] == [case.id]
    assert todo_for(world["director2"])["reviews"] == []


# --- Pages and scope ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, index, page",
    [
        ("auditor1", 200, 200),
        ("auditor0", 200, 200),
        ("auditor2", 200, 404),
        ("director1", 403, 200),
        ("mediator1", 403, 200),
        ("director2", 403, 404),
        ("mediator5", 403, 404),
        ("grid1", 403, 404),
        ("admin", 403, 404),
    ],
)
def test_every_review_route_answers_by_role_and_scope(world, login, username, index, page):
    case = closed_case(world)
    c = login(username)
    assert c.get("/review/").status_code == index
    assert c.get("/review/samples").status_code == index
    assert c.get(f"/review/cases/{case.id}").status_code == page
    posted = c.post(f"/review/cases/{case.id}/verdict", data={"verdict": "passed", "version": "0"})
    assert posted.status_code == (
        302 if username in ("auditor1", "auditor0") else 404 if page == 404 else 403
    )
    answered = c.post(f"/review/cases/{case.id}/answer", data={"text": "补正", "version": "1"})
    assert answered.status_code in ((404,) if page == 404 else (403, 409))


def test_the_auditor_lists_only_the_closed_files_of_their_part_of_the_tree(world, login):
    mine = closed_case(world)
    closed_case(world, "mediator2")  # 河西: the other office
    make_case(world["mediator1"])  # open: not for review
    page = login("auditor1").get("/review/").get_data(as_text=True)
    assert mine.number in page and "河西" not in page.split("<table", 1)[1]
    assert "共 1 份" in page


def test_return_answer_pass_through_the_pages(world, login):
    case = closed_case(world)
    auditor, director = login("auditor1"), login("director1")
    url = f"/review/cases/{case.id}"
    page = auditor.get(url).get_data(as_text=True)
    assert "质量检查表" in page and "提交评查结论" in page
    returned = {"verdict": "returned", "version": "0", "note_follow_up": "请补充回访记录。"}
    assert auditor.post(f"{url}/verdict", data=returned).status_code == 302
    again = auditor.post(f"{url}/verdict", data=returned)
    assert again.status_code == 409 and "刷新页面" in again.get_data(as_text=True)
    assert "请补充回访记录。" in again.get_data(as_text=True)  # what was typed is still there
    todo = director.get("/todo").get_data(as_text=True)
    assert "案卷评查退回补正" in todo and case.number in todo
    shown = director.get(url).get_data(as_text=True)
    assert "请补充回访记录。" in shown and "提交补正说明" in shown
    empty = director.post(f"{url}/answer", data={"text": "", "version": "1"})
    assert empty.status_code == 400 and "请填写补正说明" in empty.get_data(as_text=True)
    assert (
        director.post(f"{url}/answer", data={"text": "已补充。", "version": "1"}).status_code == 302
    )
    assert case.number not in director.get("/todo").get_data(as_text=True)
    passed = auditor.post(f"{url}/verdict", data={"verdict": "passed", "version": "2"})
    assert passed.status_code == 302
    final = auditor.get(url).get_data(as_text=True)
    assert "第2次评查：合格" in final and "提交评查结论" not in final
    timeline = director.get(f"/cases/{case.id}").get_data(as_text=True)
    assert timeline.count("案卷评查") >= 2 and "评查补正" in timeline and "已补充。" in timeline


def test_base_has_the_review_entry_for_auditors_only(world, login):
    assert "案卷评查" in login("auditor1").get("/cases").get_data(as_text=True)
    assert "案卷评查" not in login("director1").get("/cases").get_data(as_text=True)


# --- Sampling -------------------------------------------------------------------------------


def test_sample_is_reproducible_from_its_seed(world):
    year, quarter, day = last_quarter()
    for _ in range(7):
        closed_case(world, closed_on=day)  # 东街
    for _ in range(2):
        closed_case(world, "mediator5", closed_on=day)  # 城关
    office, east = world.offices["chengguan"], world.committees["东街"]
    first = service.drawn(office, year, quarter, 3, "2026Q4-城关")
    assert first == service.drawn(office, year, quarter, 3, "2026Q4-城关")
    assert sorted(len(v) for v in first.values()) == [2, 3]
    others = [service.drawn(office, year, quarter, 3, seed)[east.id] for seed in "abcdef"]
    assert len({tuple(ids) for ids in others}) > 1  # another seed, another draw
    # A committee's draw does not depend on the other committees.
    assert service.drawn(east, year, quarter, 3, "2026Q4-城关")[east.id] == first[east.id]
    # The order is the database's, the same on PostgreSQL and SQLite: fixed numbers.
    order = db.session.scalar(select(service.draw_order("seed-42", literal(12345))))
    assert order == service_order_in_python("seed-42", 12345)


def service_order_in_python(seed: str, case_id: int) -> int:
    a, b, c, d = service._salts(seed)
    x = (case_id * 48271 + a) % service.PRIME
    x = (x * x + b) % service.PRIME
    x = (x * 16807 + c) % service.PRIME
    return (x * x + d) % service.PRIME


def last_quarter() -> tuple[int, int, date]:
    today = local_today()
    quarter = (today.month + 2) // 3
    year, quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return year, quarter, service.quarter_bounds(year, quarter)[0] + timedelta(days=5)


def test_drawn_sample_records_its_seed_and_draws_again_the_same(world, login):
    year, quarter, day = last_quarter()
    closed = [closed_case(world, closed_on=day) for _ in range(5)]
    closed_case(world, "mediator5", closed_on=day)  # 城关, same office
    closed_case(world, closed_on=day - timedelta(days=200))  # another quarter
    office = world.offices["chengguan"]
    sample = service.draw_sample(world["auditor1"], office, year, quarter, 2, "seed-42")
    drawn = sorted(c.case_id for c in sample.cases)
    assert len(drawn) == 3 and set(drawn) <= {c.id for c in closed} | {closed[0].id + 5}
    again = service.drawn(office, year, quarter, 2, "seed-42")
    assert sorted(i for ids in again.values() for i in ids) == drawn
    with pytest.raises(WorkflowError, match="seed-42") as repeat:
        service.draw_sample(world["auditor1"], office, year, quarter, 2, "")
    assert repeat.value.status == 409
    page = login("auditor1").get(f"/review/samples/{sample.id}").get_data(as_text=True)
    assert "seed-42" in page and "已评查 0 / 3 份" in page
    assert login("auditor2").get(f"/review/samples/{sample.id}").status_code == 404


def test_sample_form_draws_and_a_repeat_is_409(world, login):
    year, quarter, day = last_quarter()
    closed_case(world, closed_on=day)
    c = login("auditor1")
    data = {
        "org": str(world.offices["chengguan"].id),
        "year": str(year),
        "quarter": str(quarter),
        "per_committee": "3",
        "seed": "",
    }
    drawn = c.post("/review/samples", data=data)
    assert drawn.status_code == 302
    seed = db.session.scalar(select(ReviewSample.seed))
    assert seed and seed in c.get(drawn.headers["Location"]).get_data(as_text=True)
    repeat = c.post("/review/samples", data=data)
    assert repeat.status_code == 409 and "不重复抽取" in repeat.get_data(as_text=True)
    hexi = {**data, "org": str(world.offices["hexi"].id)}
    assert c.post("/review/samples", data=hexi).status_code == 404


# --- Bounded queries ------------------------------------------------------------------------


def count_queries(app, fn) -> int:
    seen = []

    def before(*args):
        seen.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_review_list_and_sample_pages_use_a_bounded_number_of_queries(app, world, login):
    year, quarter, day = last_quarter()
    earlier_year, earlier_quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    earlier = service.quarter_bounds(earlier_year, earlier_quarter)[0] + timedelta(days=3)
    c = login("auditor1")
    office = world.offices["chengguan"]
    counts = []
    for n, (y, q, d) in ((2, (year, quarter, day)), (8, (earlier_year, earlier_quarter, earlier))):
        for _ in range(n):
            closed_case(world, closed_on=d)
        sample = service.draw_sample(world["auditor1"], office, y, q, 50, f"s{n}")
        assert len(sample.cases) == n
        pages = (
            "/review/",
            f"/review/samples/{sample.id}",
            "/review/samples",
            "/review/assessment?kind=year",
            f"/review/cases/{sample.cases[0].case_id}",
        )
        found = []
        for url in pages:
            c.get(url)  # warm: the login's own bookkeeping is not the page's
            db.session.expire_all()
            found.append(count_queries(app, lambda url=url: c.get(url)))
        counts.append(found)
    assert counts[0] == counts[1], counts
    print("queries per page (list, sample, samples, assessment, review):", counts[1])


def test_the_case_files_closing_sheet_lists_the_review_history(world):
    case = archived_case(world)
    review = service.give_verdict(
        case, world["auditor1"], Verdict.RETURNED, "", {"risk": "请说明风险评估情况。"}, 0
    )
    # The mediator handling the case answers (the director could too).
    service.answer_return(case, world["mediator1"], "本案经评估为一般风险。", review.version)
    pdf, _ = build_case_file(case, "TESTCODE", world["auditor1"])
    text = flat(text_of(pdf))
    assert "案卷评查" in text and "请说明风险评估情况" in text and "本案经评估为一般风险" in text


def test_a_review_of_an_archived_file_files_a_new_version_of_its_case_file(world):
    """Rule 19: the 备考表 of the stored 卷宗 carries the review history, so each verdict and
    answer on an archived file stores a new version; the earlier ones stay."""
    from mediation.models import DocumentKind, GeneratedDocument

    def versions(case):
        return db.session.scalars(
            select(GeneratedDocument.version).where(
                GeneratedDocument.case_id == case.id,
                GeneratedDocument.kind == DocumentKind.CASE_FILE,
            )
        ).all()

    case = archived_case(world)
    before = versions(case)
    review = service.give_verdict(
        case, world["auditor1"], Verdict.RETURNED, "请补充回访记录。", {}, 0
    )
    service.answer_return(case, world["mediator1"], "已补充说明回访情况。", review.version)
    after = versions(case)
    assert len(after) == len(before) + 2 and max(after) == max(before, default=0) + 2
