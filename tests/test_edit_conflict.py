"""Two people editing the same case: the second save is refused, shows what changed and keeps
what the second person typed (STYLE: version_id_col on every editable aggregate)."""

import pytest

from mediation.extensions import db
from mediation.models import Case, EventKind

from factories import make_case
from htmlform import form_values


def edit_page(client, case_id):
    response = client.get(f"/cases/{case_id}/edit")
    assert response.status_code == 200
    return form_values(response.get_data(as_text=True))


def test_edit_form_round_trips_unchanged(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    values = edit_page(c, case.id)
    assert values["parties-0-name"] == "张三" and values["version"] == "1"
    response = c.post(f"/cases/{case.id}/edit", data=values)
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.version == 1  # nothing changed, nothing written
    assert [e.kind for e in case.events] == [EventKind.CREATED]


def test_edit_saves_and_records_what_changed(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    values = edit_page(c, case.id)
    values["summary"] = "更正后的纠纷情况。"
    values["parties-1-phone"] = "13900001111"
    assert c.post(f"/cases/{case.id}/edit", data=values).status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.summary == "更正后的纠纷情况。"
    changes = case.events[-1].details["changes"]
    assert changes["纠纷简要情况"] == ["楼上漏水导致楼下天花板受损。", "更正后的纠纷情况。"]
    # The timeline keeps personal data masked.
    assert changes["被申请人李四 联系电话"] == ["139****4321", "139****1111"]


def test_second_save_is_refused_with_the_changes_and_keeps_typed_input(world, login):
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)

    tab_a["request"] = "请求赔偿维修费三千元。"
    assert first.post(f"/cases/{case.id}/edit", data=tab_a).status_code == 302

    tab_b["summary"] = "主任补充的纠纷情况。"
    tab_b["parties-0-address"] = "东街社区幸福路8号"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "李调解已修改了本案件，您的保存未生效" in page
    assert "当事人申请事项" in page and "请求赔偿维修费三千元。" in page  # what changed
    assert "主任补充的纠纷情况。" in page and 'value="东街社区幸福路8号"' in page  # kept
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.summary == "楼上漏水导致楼下天花板受损。"
    assert stored.request == "请求赔偿维修费三千元。"

    # The form now holds both: my summary and address, and their request, merged.
    again = form_values(page)
    assert again["version"] == "2"
    assert again["request"] == "请求赔偿维修费三千元。"
    assert again["summary"] == "主任补充的纠纷情况。"
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.summary == "主任补充的纠纷情况。"
    assert stored.request == "请求赔偿维修费三千元。"
    assert stored.parties[0].address == "东街社区幸福路8号"


@pytest.mark.parametrize(
    ("field", "theirs", "mine", "shown"),
    [("summary", "甲写的情况。", "乙写的情况。", "甲写的情况。"),
     ("risk_level", "high", "medium", "重大（可能激化）")],  # a choice: named by its label
)  # fmt: skip
def test_both_changing_one_field_is_named_next_to_it(world, login, field, theirs, mine, shown):
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    tab_a[field] = theirs
    first.post(f"/cases/{case.id}/edit", data=tab_a)
    tab_b[field] = mine
    page = second.post(f"/cases/{case.id}/edit", data=tab_b).get_data(as_text=True)
    assert f'id="{field}-error">对方已将此项改为“{shown}”' in page
    assert form_values(page)[field] == mine


def test_status_change_also_conflicts_with_an_open_edit(world, login):
    case = make_case(world["mediator1"])
    c = login("director1")
    values = edit_page(c, case.id)
    login("mediator1").post(f"/cases/{case.id}/actions/accept", data={})
    values["summary"] = "新的情况"
    response = c.post(f"/cases/{case.id}/edit", data=values)
    assert response.status_code == 409
    assert "申请/上报 → 已受理" in response.get_data(as_text=True)


def test_losing_the_right_to_edit_keeps_the_typed_input(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    values = edit_page(c, case.id)
    login("director1").post(f"/cases/{case.id}/actions/accept", data={})  # nobody assigned
    values["summary"] = "我刚写的一大段情况"
    response = c.post(f"/cases/{case.id}/edit", data=values)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "您已不能修改本案登记信息" in page and "我刚写的一大段情况" in page


def test_edit_adds_and_removes_parties(world, login):
    case = make_case(world["mediator1"])
    c = login("mediator1")
    values = edit_page(c, case.id)
    for key in [k for k in values if k.startswith("parties-1-")]:
        values[key.replace("parties-1-", "parties-2-")] = values.pop(key)
    values["parties-2-id"] = ""
    values["parties-2-name"] = "王五"
    values["parties-2-id_number"] = ""
    values["parties-2-sex"] = ""
    values["parties-2-birth_date"] = ""
    assert c.post(f"/cases/{case.id}/edit", data=values).status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert [p.name for p in case.parties] == ["张三", "王五"]
    changes = case.events[-1].details["changes"]
    assert changes["删除被申请人"] == ["李四", ""] and changes["新增被申请人"] == ["", "王五"]
