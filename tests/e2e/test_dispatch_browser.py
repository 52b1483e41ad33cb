"""The justice office's window on a 360 px phone (issue 13, part 5): auditor1 registers a
dispute at the 城关镇 司法所 desk and dispatches it to 东街, presses the committee, director1
sees who dispatched it, accepts it and ends it, and auditor1 sees the outcome, records the
one reply to the source and prints it. SCREENSHOT_DIR keeps the pictures."""

import pytest
from browser import acknowledge_rights, phone, snap
from sqlalchemy import select

from mediation.extensions import db
from mediation.models import CaseStatus, DeskEntry

pytestmark = pytest.mark.e2e


def test_auditor_registers_dispatches_follows_and_replies_on_a_phone(world, browser, live, shots):
    office, desk = phone(browser, live, "auditor1")
    committee, board = phone(browser, live, "director1")
    try:
        desk.goto("/desk/")
        desk.click("main >> text=登记来访纠纷")
        desk.select_option("#source", "visit")
        desk.fill("#source_name", "张三")
        desk.fill("#source_phone", "138 1234 5678")
        desk.select_option("#category", "neighbour")
        desk.fill("#dispute_place", "城关镇东街社区幸福路12号")
        desk.fill("#summary", "楼上卫生间漏水，楼下天花板发霉。")
        desk.fill("#request", "请对方修好防水层并赔偿。")
        desk.fill("#parties-0-name", "张三")
        desk.fill("#parties-0-id_number", "330109198510120033")
        desk.click("button[name=save]")  # the respondent is missing
        main = desk.locator("main").inner_text()
        assert "请填写当事人姓名或名称。" in main
        assert desk.locator("#summary").input_value() == "楼上卫生间漏水，楼下天花板发霉。"
        snap(desk, shots, "desk-register-refused")
        desk.fill("#parties-1-name", "李四")
        desk.click("button[name=save]")
        desk.wait_for_url("**/desk/*")
        assert "已登记" in desk.locator("main").inner_text()
        selected = desk.locator("#committee_id option:checked").inner_text()
        assert selected == "东街社区人民调解委员会"  # suggested from the place
        desk.fill("#instructions", "请尽快调处，结果报司法所。")
        snap(desk, shots, "desk-registered")
        desk.click("form[action$='/dispatch'] button[type=submit]")
        desk.wait_for_load_state()
        assert "已交办" in desk.locator("main").inner_text()
        entry = db.session.scalar(select(DeskEntry))
        case = entry.case

        desk.click("summary:has-text('催办')")
        desk.fill("#message", "当事人情绪激动，请本周内受理。")
        desk.click("form[action$='/remind'] button[type=submit]")
        desk.wait_for_load_state()
        assert "已催办" in desk.locator("main").inner_text()
        snap(desk, shots, "desk-dispatched")

        board.goto("/todo")
        assert "当事人情绪激动，请本周内受理。" in board.locator("main").inner_text()
        board.goto("/cases")
        assert "城关镇司法所交办" in board.locator("main").inner_text()
        snap(board, shots, "desk-committee-list")
        board.click(f"text={case.number}")
        facts = board.locator("[data-dispatched]").inner_text()
        assert "城关审核（城关镇司法所）" in facts and "请尽快调处" in facts
        snap(board, shots, "desk-committee-case")
        acknowledge_rights(board)
        board.click("button:has-text('受理')")
        assert "已受理" in board.locator("main").inner_text()
        board.click("summary:has-text('调解终止')")
        board.fill("#reason-terminate", "被申请人明确表示不愿调解。")
        board.fill("#route-terminate", "可以向县人民法院提起诉讼。")
        board.click("button:has-text('确认调解终止')")
        board.wait_for_load_state()
        db.session.expire_all()
        assert db.session.get(DeskEntry, entry.id).case.status == CaseStatus.TERMINATED

        desk.goto("/desk/?show=reply")
        assert entry.number in desk.locator("main").inner_text()
        snap(desk, shots, "desk-list-reply-due")
        desk.click(f"text={entry.number}")
        outcome = desk.locator("[data-outcome]").inner_text()
        assert "调解已终止" in outcome and "被申请人明确表示不愿调解" in outcome
        assert "被申请人明确表示不愿调解" in desk.locator("#text").input_value()
        desk.select_option("#how", "电话告知")
        snap(desk, shots, "desk-outcome")
        desk.click("form[action$='/reply'] button[type=submit]")
        desk.wait_for_load_state()
        assert "已记录答复" in desk.locator("main").inner_text()
        desk.click("a:has-text('打印答复书')")
        letter = desk.locator(".reply-letter").inner_text()
        assert "矛盾纠纷办理结果答复书" in letter and case.number in letter
        assert "被申请人明确表示不愿调解" in letter
        snap(desk, shots, "desk-reply-letter")
    finally:
        office.close()
        committee.close()
