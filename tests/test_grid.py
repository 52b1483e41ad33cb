"""Grid 排查 (issue 13, part 3): a grid worker's quick report and 零上报, the committee's
decision (a case, or 就地化解) seen by the grid worker, the grid × week matrix, the monthly
counts, and who may see and do what."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from mediation.extensions import db
from mediation.grid import service as grids
from mediation.models import (
    Case,
    CaseStatus,
    Category,
    GridReport,
    GridReportKind,
    GridReportOutcome,
    Source,
)
from mediation.models.base import local_today
from mediation.workflow import WorkflowError


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


PNG = _png()  # a real picture: uploads are encoded again, a stub is refused


@pytest.fixture
def grid(world):
    return grids.create_grid(
        world["admin"],
        {
            "committee_id": world.committees["东街"].id,
            "name": "东街第一网格",
            "area": "幸福路",
            "worker_id": str(world["grid1"].id),
        },
    )


@pytest.fixture
def other_grid(world):
    return grids.create_grid(
        world["admin"],
        {
            "committee_id": world.committees["河西"].id,
            "name": "河西一组",
            "worker_id": "",
        },
    )


def report_data(grid, **extra):
    return {
        "grid_id": grid.id,
        "place": "幸福路12号",
        "parties": "张、李两户",
        "category": "neighbour",
        "summary": "两户因杂物争吵。",
        "risk_level": "low",
        **extra,
    }


def file(world, grid) -> GridReport:
    return grids.file_report(world["grid1"], report_data(grid), [])


# --- Filing -----------------------------------------------------------------------------------


def test_grid_worker_files_a_report_with_photos_from_the_phone_page(world, login, grid):
    client = login("grid1")
    assert "上报纠纷" in client.get("/grid/report").get_data(as_text=True)
    data = {**report_data(grid), "photos": (io.BytesIO(PNG), "现场.png")}
    response = client.post("/grid/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    report = db.session.scalar(select(GridReport))
    assert report.kind == GridReportKind.REPORT and report.place == "幸福路12号"
    assert report.category == Category.NEIGHBOUR and report.photos[0].content_type == "image/png"
    assert report.week == grids.week_of(local_today())
    html = client.get("/grid").get_data(as_text=True)
    assert "幸福路12号" in html and "待处理" in html
    photo = client.get(f"/grid/reports/{report.id}/photos/{report.photos[0].id}")
    assert photo.status_code == 200 and photo.data.startswith(b"\x89PNG")


def test_grid_photo_that_is_not_an_image_is_refused_next_to_the_field(world, login, grid):
    client = login("grid1")
    data = {**report_data(grid), "photos": (io.BytesIO(b"MZ not a photo"), "x.png")}
    response = client.post("/grid/report", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "只能上传" in html and "幸福路12号" in html
    assert db.session.scalar(select(GridReport)) is None


def test_grid_photo_larger_than_the_limit_is_refused(app, world, login, grid):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    client = login("grid1")
    data = {**report_data(grid), "photos": (io.BytesIO(PNG + b"\0" * 2048), "big.png")}
    response = client.post("/grid/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "文件超过" in response.get_data(as_text=True)


def test_grid_worker_reports_only_for_their_own_grid(world, grid, other_grid):
    with pytest.raises(WorkflowError):
        grids.file_report(world["grid1"], report_data(other_grid), [])
    with pytest.raises(WorkflowError):
        grids.file_report(world["grid9"], report_data(grid), [])


def test_grid_zero_report_counted_once_per_grid_and_week(world, login, grid):
    client = login("grid1")
    week = grids.week_of(local_today())
    response = client.post("/grid/zero", data={"grid_id": grid.id, "week": week.isoformat()})
    assert response.status_code == 302
    again = client.post("/grid/zero", data={"grid_id": grid.id, "week": week.isoformat()})
    assert again.status_code == 400 and "已经零上报过了" in again.get_data(as_text=True)
    zero = db.session.scalars(select(GridReport)).all()
    assert [(z.kind, z.week) for z in zero] == [(GridReportKind.ZERO, week)]
    today = local_today()
    counts = grids.screening_counts([world.committees["东街"].id], today, today)
    assert [(c.worker, c.grid, c.zero, c.reports) for c in counts] == [
        ("陈网格", "东街第一网格", 1, 0)
    ]


def test_grid_zero_report_only_for_this_or_last_week(world, grid):
    far = grids.week_of(local_today()) - timedelta(weeks=3)
    with pytest.raises(WorkflowError, match="本周或上周"):
        grids.file_zero_report(world["grid1"], grid.id, far)
    future = grids.week_of(local_today()) + timedelta(weeks=1)
    with pytest.raises(WorkflowError, match="本周或上周"):
        grids.file_zero_report(world["grid1"], grid.id, future)


def test_grid_zero_report_not_after_a_dispute_reported_that_week(world, grid):
    file(world, grid)
    with pytest.raises(WorkflowError, match="已上报了纠纷"):
        grids.file_zero_report(world["grid1"], grid.id, grids.week_of(local_today()))


# --- The committee's decision, seen by the grid worker ----------------------------------------


def test_grid_report_becomes_a_case_seen_by_the_grid_worker(world, login, grid):
    report = file(world, grid)
    director = login("director1")
    page = director.get(f"/grid/reports/{report.id}").get_data(as_text=True)
    assert "转为案件" in page and "就地化解" in page
    response = director.post(
        f"/grid/reports/{report.id}/case",
        data={"applicant": "张某", "respondent": "李某", "version": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.scalar(select(Case))
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.source == Source.GRID_REPORT and case.status == CaseStatus.SUBMITTED
    assert case.registered_by_id == world["director1"].id and case.dispute_place == "幸福路12号"
    html = login("grid1").get(f"/grid/reports/{report.id}").get_data(as_text=True)
    assert "已转为案件" in html and case.number in html and "申请/上报" in html


def test_grid_report_photos_go_with_it_into_the_case(world, grid):
    photo = FileStorage(io.BytesIO(PNG), "现场.png")
    report = grids.file_report(world["grid1"], report_data(grid), [photo])
    grids.open_case(world["director1"], report, "张某", "李某")
    [attachment] = report.case.attachments
    assert attachment.sha256 == report.photos[0].sha256 and attachment.original_name == "现场.png"


def test_grid_report_resolved_locally_seen_by_the_grid_worker(world, login, grid):
    report = file(world, grid)
    response = login("director1").post(
        f"/grid/reports/{report.id}/resolve", data={"note": "当场协调，各自清理。", "version": "1"}
    )
    assert response.status_code == 302
    html = login("grid1").get("/grid").get_data(as_text=True)
    assert "已就地化解" in html
    detail = login("grid1").get(f"/grid/reports/{report.id}").get_data(as_text=True)
    assert "当场协调，各自清理。" in detail
    assert db.session.scalar(select(Case)) is None


def test_grid_report_decided_once(world, grid):
    report = file(world, grid)
    grids.resolve_locally(world["director1"], report, "已化解")
    with pytest.raises(WorkflowError, match="已经处理"):
        grids.open_case(world["director1"], report, "张", "李")
    assert report.outcome == GridReportOutcome.RESOLVED


def test_grid_resolve_needs_a_note_shown_next_to_it(world, login, grid):
    report = file(world, grid)
    response = login("director1").post(
        f"/grid/reports/{report.id}/resolve", data={"note": "", "version": "1"}
    )
    assert response.status_code == 400 and "请写明如何就地化解的" in response.get_data(as_text=True)


# --- The matrix and the statistics --------------------------------------------------------------


def test_grid_matrix_shows_reported_zero_and_missing_weeks(world, login, grid, other_grid):
    this = grids.week_of(local_today())
    grids.file_zero_report(world["grid1"], grid.id, this - timedelta(weeks=1))
    file(world, grid)
    _, rows = grids.matrix(world["auditor0"])
    by_grid = {row.grid.name: row.cells for row in rows}
    assert by_grid["东街第一网格"][0] == ("report", 1)  # this week first
    assert by_grid["东街第一网格"][1] == ("zero", 0)
    assert by_grid["东街第一网格"][2] == ("before", 0)  # set up this week
    assert by_grid["河西一组"][0] == ("none", 0)
    grid.created_at -= timedelta(weeks=4)
    db.session.commit()
    _, rows = grids.matrix(world["auditor0"])
    assert rows[0].cells[2] == ("none", 0)  # it existed, and nothing came
    html = login("auditor1").get("/grid/matrix").get_data(as_text=True)
    assert "东街第一网格" in html and "河西一组" not in html  # auditor1: 城关 office only
    assert "零上报" in html and "未上报" in html and "上报 1 件" in html


def test_grid_counts_in_the_statistics_page(world, login, grid):
    file(world, grid)
    grids.file_zero_report(
        world["grid1"], grid.id, grids.week_of(local_today()) - timedelta(weeks=1)
    )
    html = login("auditor0").get("/statistics").get_data(as_text=True)
    assert "网格排查" in html and "东街第一网格" in html and "陈网格" in html


# --- Scope ----------------------------------------------------------------------------------


def test_grid_routes_scope_per_role(world, login, grid, other_grid):
    report = file(world, grid)
    url = f"/grid/reports/{report.id}"
    assert login("grid1").get(url).status_code == 200
    assert login("grid9").get(url).status_code == 404  # another grid worker's report
    assert login("director1").get(url).status_code == 200
    assert login("mediator1").get(url).status_code == 200
    assert login("director2").get(url).status_code == 404  # another committee
    assert login("auditor1").get(url).status_code == 200
    assert login("auditor2").get(url).status_code == 404  # another office
    assert login("admin").get(url).status_code == 404  # no case data for administrators
    decide = {"note": "x", "version": "1"}
    for who in ("grid1", "mediator1", "auditor1"):
        assert login(who).post(f"{url}/resolve", data=decide).status_code == 403
    assert login("director2").post(f"{url}/resolve", data=decide).status_code == 404
    assert login("director1").get("/grid/matrix").status_code == 200
    for who in ("grid1", "mediator1", "admin"):
        assert login(who).get("/grid/matrix").status_code == 403
    for who in ("director1", "mediator1", "auditor1", "admin"):
        assert login(who).get("/grid/report").status_code == 403
        assert login(who).post("/grid/zero", data={}).status_code == 403
    assert login("admin").get("/grid/manage").status_code == 200
    for who in ("director1", "grid1", "auditor0"):
        assert login(who).get("/grid/manage").status_code == 403
    assert login("admin").get("/grid").status_code == 403


def test_grid_pages_need_login(world, client, grid):
    for url in ("/grid", "/grid/report", "/grid/matrix", "/grid/manage", "/grid/reports/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_a_grid_with_a_grid_worker_of_that_committee(world, login):
    client = login("admin")
    data = {
        "committee_id": world.committees["河西"].id,
        "name": "河西二组",
        "area": "",
        "worker_id": world["grid1"].id,
    }
    response = client.post("/grid/manage", data=data)
    assert response.status_code == 400 and "网格员须是该调委会" in response.get_data(as_text=True)
    response = client.post("/grid/manage", data={**data, "worker_id": ""})
    assert response.status_code == 302
    assert "河西二组" in client.get("/grid/manage").get_data(as_text=True)


def test_grid_report_decision_from_a_stale_page_is_refused(world, login, grid):
    report = file(world, grid)
    grids.resolve_locally(world["director1"], report, "已化解")
    response = login("director1").post(
        f"/grid/reports/{report.id}/case",
        data={"applicant": "张某", "respondent": "李某", "version": "1"},
    )
    assert response.status_code == 409 and "已经处理" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case)) is None
