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


# --- Lists edited inside a form: merged row by row, matched by id (or a new row's key) -----


def three_party_case(world):
    from mediation.models import PartyRole

    from factories import person

    return make_case(world["mediator1"], parties=[
        person(PartyRole.APPLICANT, "张三", phone="13812345678"),
        person(PartyRole.RESPONDENT, "李四", phone="13987654321"),
        person(PartyRole.RESPONDENT, "王五", address="东街社区5号"),
    ])  # fmt: skip


def add_party_row(values, name, key="k-new-row", role="respondent"):
    """A row added in the browser: the next index, no id, a key made by the page's script."""
    index = 1 + max(int(k.split("-")[1]) for k in values if k.startswith("parties-"))
    row = {"id": "", "key": key, "role": role, "kind": "person", "name": name,
           "ethnicity": "汉族", "sex": "", "birth_date": "", "age": "", "id_number": "",
           "occupation": "", "address": "", "phone": "", "legal_representative": ""}  # fmt: skip
    values.update({f"parties-{index}-{k}": v for k, v in row.items()})
    return values


def remove_party_row(values, name):
    """The row of that party taken out, the rows after it moved up, as the page's script does."""
    rows = {}
    for k, v in values.items():
        if k.startswith("parties-"):
            _, index, sub = k.split("-", 2)
            rows.setdefault(int(index), {})[sub] = v
    kept = [rows[i] for i in sorted(rows) if rows[i]["name"] != name]
    assert len(kept) == len(rows) - 1
    out = {k: v for k, v in values.items() if not k.startswith("parties-")}
    for index, row in enumerate(kept):
        out.update({f"parties-{index}-{sub}": v for sub, v in row.items()})
    return out


def stored_parties(case_id):
    db.session.expire_all()
    return {p.name: p for p in db.session.get(Case, case_id).parties}


def test_changes_to_different_fields_of_one_party_are_both_kept(world, login):
    """The finding: A changed a party's phone, B the same party's address; B's conflict page
    showed the old phone and saving it again reverted A's phone."""
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    tab_a["parties-1-phone"] = "13700001111"
    assert first.post(f"/cases/{case.id}/edit", data=tab_a).status_code == 302
    tab_b["parties-1-address"] = "东街社区幸福路8号"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "对方已将此项改为" not in page  # nothing both changed
    again = form_values(page)
    assert again["parties-1-phone"] == "13700001111"  # theirs, not the old phone
    assert again["parties-1-address"] == "东街社区幸福路8号"  # mine
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    lisi = stored_parties(case.id)["李四"]
    assert lisi.phone == "13700001111" and lisi.address == "东街社区幸福路8号"


def test_party_added_by_one_survives_the_others_save(world, login):
    """The finding: A added a party, B changed another party's occupation; B's second save
    deleted the added party."""
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    assert (
        first.post(f"/cases/{case.id}/edit", data=add_party_row(tab_a, "赵六")).status_code == 302
    )
    tab_b["parties-0-occupation"] = "个体工商户"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    again = form_values(response.get_data(as_text=True))
    assert again["parties-2-name"] == "赵六" and again["parties-2-id"]  # theirs, saved
    assert again["parties-0-occupation"] == "个体工商户"
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    parties = stored_parties(case.id)
    assert set(parties) == {"张三", "李四", "赵六"}
    assert parties["张三"].occupation == "个体工商户"


def test_party_removed_by_one_stays_removed_after_the_others_unrelated_save(world, login):
    case = three_party_case(world)
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    assert (
        first.post(f"/cases/{case.id}/edit", data=remove_party_row(tab_a, "王五")).status_code
        == 302
    )
    tab_b["summary"] = "主任补充的纠纷情况。"
    tab_b["parties-0-occupation"] = "教师"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    again = form_values(response.get_data(as_text=True))
    assert "王五" not in again.values() and "parties-2-name" not in again
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    parties = stored_parties(case.id)
    assert set(parties) == {"张三", "李四"} and parties["张三"].occupation == "教师"
    assert db.session.get(Case, case.id).summary == "主任补充的纠纷情况。"


def test_same_party_field_changed_by_both_is_a_conflict_shown_side_by_side(world, login):
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    tab_a["parties-1-phone"] = "13700001111"
    tab_a["request"] = "请求赔偿维修费三千元。"  # only A changes this
    assert first.post(f"/cases/{case.id}/edit", data=tab_a).status_code == 302
    tab_b["parties-1-phone"] = "13600002222"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="parties-1-phone-error">对方已将此项改为“13700001111”' in page
    assert "<dt>对方已保存</dt><dd>13700001111</dd>" in page  # both, side by side
    assert "<dt>您填写的（框中）</dt><dd>13600002222</dd>" in page
    assert 'data-use-theirs="13700001111"' in page
    again = form_values(page)
    assert again["parties-1-phone"] == "13600002222"  # what I typed is in the field
    assert again["request"] == "请求赔偿维修费三千元。"  # their unrelated change, merged in

    # Saving the conflict page as it stands: my phone, and A's unrelated change kept.
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.request == "请求赔偿维修费三千元。"
    assert stored_parties(case.id)["李四"].phone == "13600002222"


def test_party_removed_by_one_and_changed_by_the_other_is_a_conflict(world, login):
    case = three_party_case(world)
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    assert (
        first.post(f"/cases/{case.id}/edit", data=remove_party_row(tab_a, "王五")).status_code
        == 302
    )
    tab_b["parties-2-address"] = "东街社区6号"
    response = second.post(f"/cases/{case.id}/edit", data=tab_b)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "对方已删除此当事人，而您修改了住所" in page
    again = form_values(page)
    assert again["parties-2-name"] == "王五" and again["parties-2-address"] == "东街社区6号"
    assert again["parties-2-id"] == "" and again["parties-2-key"]  # added again if saved

    # Saved as it stands: 王五 is back, with what B typed, as a new party.
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    assert stored_parties(case.id)["王五"].address == "东街社区6号"


def test_party_changed_by_one_and_removed_by_the_other_is_kept_until_confirmed(world, login):
    case = three_party_case(world)
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    tab_a["parties-2-phone"] = "13500003333"
    assert first.post(f"/cases/{case.id}/edit", data=tab_a).status_code == 302
    response = second.post(f"/cases/{case.id}/edit", data=remove_party_row(tab_b, "王五"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "您删除了此当事人，但对方同时修改了联系电话" in page
    again = form_values(page)
    assert again["parties-2-phone"] == "13500003333" and again["parties-2-id"]

    # Removing it again on the merged page is a deliberate removal.
    assert (
        second.post(f"/cases/{case.id}/edit", data=remove_party_row(again, "王五")).status_code
        == 302
    )
    assert set(stored_parties(case.id)) == {"张三", "李四"}


def test_parties_added_by_both_are_all_kept(world, login):
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    assert (
        first.post(f"/cases/{case.id}/edit", data=add_party_row(tab_a, "赵六", "ka")).status_code
        == 302
    )
    response = second.post(f"/cases/{case.id}/edit", data=add_party_row(tab_b, "钱七", "kb"))
    assert response.status_code == 409
    again = form_values(response.get_data(as_text=True))
    names = [again[f"parties-{i}-name"] for i in range(4)]
    assert names == ["张三", "李四", "赵六", "钱七"] and again["parties-3-key"] == "kb"
    assert second.post(f"/cases/{case.id}/edit", data=again).status_code == 302
    assert set(stored_parties(case.id)) == {"张三", "李四", "赵六", "钱七"}


def test_a_new_party_is_matched_by_its_key_through_two_refused_saves(world, login):
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_b = add_party_row(edit_page(second, case.id), "钱七", "kb")
    for summary in ("第一次修改。", "第二次修改。"):  # someone saves before each of B's saves
        tab_a = edit_page(first, case.id)
        tab_a["summary"] = summary
        assert first.post(f"/cases/{case.id}/edit", data=tab_a).status_code == 302
        response = second.post(f"/cases/{case.id}/edit", data=tab_b)
        assert response.status_code == 409
        tab_b = form_values(response.get_data(as_text=True))
        assert [v for k, v in tab_b.items() if k.endswith("-key") and v] == ["kb"]
        assert list(tab_b.values()).count("钱七") == 1
    assert second.post(f"/cases/{case.id}/edit", data=tab_b).status_code == 302
    assert [p.name for p in db.session.get(Case, case.id).parties].count("钱七") == 1


def test_a_stale_form_never_removes_a_party_it_never_saw(world, login):
    """A page opened before A added a party, posted with the current version (as a draft
    restored into a fresh page once did): no version conflict, and still the party A added
    is not removed by a form that never showed it."""
    case = make_case(world["mediator1"])
    first, second = login("mediator1"), login("director1")
    tab_a, tab_b = edit_page(first, case.id), edit_page(second, case.id)
    assert (
        first.post(f"/cases/{case.id}/edit", data=add_party_row(tab_a, "赵六")).status_code == 302
    )
    tab_b["version"] = edit_page(second, case.id)["version"]
    tab_b["parties-0-occupation"] = "教师"
    assert second.post(f"/cases/{case.id}/edit", data=tab_b).status_code == 302
    parties = stored_parties(case.id)
    assert set(parties) == {"张三", "李四", "赵六"} and parties["张三"].occupation == "教师"


def test_update_case_removes_only_parties_the_form_was_opened_with(world):
    from mediation.cases import service
    from mediation.models import PartyRole

    case = three_party_case(world)
    by_name = {p.name: p for p in case.parties}
    posted = [
        {"id": by_name["张三"].id, "role": PartyRole.APPLICANT, "name": "张三"},
        {"id": by_name["李四"].id, "role": PartyRole.RESPONDENT, "name": "李四"},
    ]
    seen = {by_name["张三"].id, by_name["李四"].id}
    service.update_case(case, world["mediator1"], case.version, {}, posted, seen=seen)
    assert set(stored_parties(case.id)) == {"张三", "李四", "王五"}  # never seen: kept
    case = db.session.get(Case, case.id)
    seen.add(by_name["王五"].id)
    service.update_case(case, world["mediator1"], case.version, {}, posted, seen=seen)
    assert set(stored_parties(case.id)) == {"张三", "李四"}


def test_agreement_terms_typed_in_a_second_tab_are_kept_when_refused(world, login):
    """Agreement terms are written once (a new agreement; there is no edit of one): a second
    tab's agreement is refused with its terms still in the form, the first one's intact."""
    from datetime import timedelta

    from mediation.cases import service as cases
    from mediation.models.base import local_today, utcnow
    from mediation.records.service import record_session

    case = make_case(world["mediator1"])
    user = world["mediator1"]
    cases.apply_action(case, user, "accept")
    cases.apply_action(case, user, "start_mediation")
    record_session(case, user, {
        "held_at": utcnow() - timedelta(hours=2), "place": "调解室", "mediators": user.name,
        "attendees": "张三、李四", "course": "双方陈述并协商。", "result": "达成一致。",
    })  # fmt: skip
    first, second = login("mediator1"), login("mediator1")
    url = f"/cases/{case.id}/agreement/new"
    tabs = [
        form_values(c.get(url).get_data(as_text=True), "agreement-form") for c in (first, second)
    ]
    for tab, who in zip(tabs, ("甲", "乙"), strict=True):
        tab.update({"disputed_points": "维修责任。", "responsibility": "李四负责。",
                    "terms-0-obligor": "李四", "terms-0-obligee": "张三",
                    "terms-0-content": f"{who}：赔偿维修费", "terms-0-manner": "转账",
                    "terms-0-deadline": str(local_today() + timedelta(days=7))})  # fmt: skip
    assert first.post(url, data=tabs[0]).status_code == 302
    response = second.post(url, data=tabs[1])
    assert 400 <= response.status_code < 500
    again = form_values(response.get_data(as_text=True), "agreement-form")
    assert again["terms-0-content"] == "乙：赔偿维修费"
    db.session.expire_all()
    assert [t.content for t in db.session.get(Case, case.id).agreement.terms] == ["甲：赔偿维修费"]


def test_a_party_added_without_javascript_gets_a_key(world, login):
    """The add button posts the form back; the row it adds carries a key like a row added
    in the browser, so a merge after a refused save keeps it as one row."""
    case = make_case(world["mediator1"])
    c = login("mediator1")
    values = edit_page(c, case.id)
    page = c.post(f"/cases/{case.id}/edit", data={**values, "add_party": "respondent"})
    added = form_values(page.get_data(as_text=True))
    assert added["parties-2-id"] == "" and len(added["parties-2-key"]) >= 16
    assert added["parties-0-key"] == ""  # a saved party is known by its id
