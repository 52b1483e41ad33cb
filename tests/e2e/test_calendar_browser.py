"""The hearing calendar on a 360 px phone (issue 13 part 6): director1 accepts the online
application, schedules its first session, sees it on the week and month calendars, prints
the 调解通知书; the resident's lookup then shows the new status and the first session.
Pictures in SCREENSHOT_DIR."""

from datetime import timedelta

import pytest
from browser import acknowledge_rights, both_widths, phone
from sqlalchemy import select

from mediation.channels import service as channels
from mediation.extensions import db
from mediation.models import Appointment, Case, CaseStatus, GeneratedDocument
from mediation.models.base import local_today

pytestmark = pytest.mark.e2e


def apply_online(world) -> str:
    """The resident's online application to 东街 (the doors test applies through the page)."""
    application = channels.submit_application(
        {
            "name": "张三", "id_number": "330109198510120033", "phone": "13812345678",
            "other_name": "李四", "category": "neighbour",
            "summary": "楼上卫生间漏水，我家天花板发霉。", "request": "请对方修好防水层。",
            "place": "东街社区幸福路3号", "committee_id": world.committees["东街"].id,
            "consent": True,
        },
        "127.0.0.1",
    )  # fmt: skip
    return application.receipt


def test_director_schedules_and_the_resident_sees_the_first_session(world, browser, live, shots):
    receipt = apply_online(world)
    director, desk = phone(browser, live, "director1")
    resident, page = phone(browser, live)
    day = local_today() + timedelta(days=2)
    try:
        case = db.session.scalar(select(Case))
        desk.goto(f"/cases/{case.id}")
        acknowledge_rights(desk)
        desk.click("button:has-text('受理')")
        assert "已受理" in desk.locator("main").inner_text()

        desk.click("#appointments >> text=安排调解")
        desk.fill("#starts_at", f"{day.isoformat()}T09:30")
        desk.fill("#ends_at", f"{day.isoformat()}T11:00")
        desk.fill("#place", "东街社区调解室")
        desk.check(f"#mediator_ids input[value='{world['mediator1'].id}']")
        desk.fill("#invited", "张三之兄张大（亲属，经双方同意）")
        both_widths(desk, shots, "calendar-schedule-form")
        desk.click("main button[type=submit]:has-text('安排调解')")
        assert "已安排调解" in desk.locator("main").inner_text()
        both_widths(desk, shots, "calendar-appointment")
        desk.click("button:has-text('生成调解通知书')")
        assert "已生成文书" in desk.locator("main").inner_text()
        assert db.session.scalar(select(GeneratedDocument)).kind == "notice"

        # A second case in the same slot and room: the warning next to the fields.
        second = channels.submit_application(
            {"name": "王五", "id_number": "11010519491231002X", "phone": "13987654321",
             "other_name": "赵六", "category": "family", "summary": "赡养纠纷。",
             "request": "请求调解。", "place": "东街社区", "consent": True,
             "committee_id": world.committees["东街"].id},
            "127.0.0.1",
        ).case  # fmt: skip
        desk.goto(f"/cases/{second.id}")
        acknowledge_rights(desk)
        desk.click("button:has-text('受理')")
        desk.goto(f"/cases/{second.id}/appointments/new")
        desk.fill("#starts_at", f"{day.isoformat()}T10:00")
        desk.fill("#ends_at", f"{day.isoformat()}T11:00")
        desk.fill("#place", "东街社区调解室")
        desk.click("main button[type=submit]:has-text('安排调解')")
        warning = desk.locator("[data-field=place] .error").inner_text()
        assert "已被占用" in warning and case.number in warning
        both_widths(desk, shots, "calendar-clash")
        desk.check("#confirm_clash")
        desk.click("main button[type=submit]:has-text('安排调解')")
        assert "已安排调解" in desk.locator("main").inner_text()

        desk.click("header >> text=日程")
        desk.goto(f"/calendar/committees/{world.committees['东街'].id}?date={day.isoformat()}")
        assert case.number in desk.locator("table.calendar").inner_text()
        assert desk.locator(".appt-clash").count() == 2
        both_widths(desk, shots, "calendar-week")
        desk.click(".calendar-views a:text-is('月')")
        assert case.number in desk.locator("table.calendar").inner_text()
        both_widths(desk, shots, "calendar-month")
        desk.click(f"table.calendar >> text={case.number}")
        assert "东街社区调解室" in desk.locator("main").inner_text()

        page.goto("/portal")
        page.fill("#number", receipt)
        page.fill("#proof", "13812345678")
        page.click("form button[type=submit]")
        page.wait_for_url("**/portal/case")
        main = page.locator("main").inner_text()
        assert "已受理" in main
        shown = page.locator("[data-next-appointment]").inner_text()
        assert f"{day.isoformat()} 09:30—11:00" in shown and "东街社区调解室" in shown
        assert "张大" not in shown and "李调解" not in main
        both_widths(page, shots, "calendar-portal")
        assert db.session.scalar(select(Appointment).limit(1)).case.status == CaseStatus.ACCEPTED
    finally:
        director.close()
        resident.close()
