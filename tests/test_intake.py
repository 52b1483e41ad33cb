"""受理登记 through real HTTP requests: validation next to the field, nothing typed lost."""

from mediation.extensions import db
from mediation.models import Case, CaseStatus, EventKind, PartyKind, Source
from mediation.models.base import local_today

from factories import ID_FEMALE, ID_MALE
from htmlform import form_values


def party(i: int, role: str, name: str, **extra) -> dict:
    fields = {"role": role, "kind": "person", "name": name, "ethnicity": "汉族", **extra}
    return {f"parties-{i}-{k}": v for k, v in fields.items()}


def intake_form(**overrides) -> dict:
    data = {
        "category": "neighbour", "source": "application", "source_detail": "",
        "registered_on": local_today().isoformat(), "risk_level": "low",
        "other_authority": "none", "summary": "楼上卫生间漏水，楼下天花板霉变。",
        "request": "请求维修并赔偿。",
        **party(0, "applicant", "张三", id_number=ID_MALE, phone="13812345678",
                address="东街社区幸福路1号"),
        **party(1, "respondent", "李四", id_number=ID_FEMALE, phone="0571-88886666"),
    }  # fmt: skip
    data.update(overrides)
    return data


def only_case() -> Case:
    return db.session.scalars(db.select(Case)).one()


def test_intake_form_renders_with_two_parties(world, login):
    page = login("mediator1").get("/cases/new").get_data(as_text=True)
    assert "人民调解受理登记" in page
    assert 'name="parties-0-name"' in page and 'name="parties-1-name"' in page
    assert 'name="parties-2-name"' not in page


def test_register_case_with_two_parties(world, login):
    c = login("mediator1")
    response = c.post("/cases/new", data=intake_form())
    assert response.status_code == 302
    case = only_case()
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.number == f"（{local_today().year}）东街调字第0001号"
    assert case.status == CaseStatus.SUBMITTED
    assert [(p.role.label, p.name) for p in case.parties] == [
        ("申请人", "张三"),
        ("被申请人", "李四"),
    ]
    zhang = case.parties[0]
    # Birth date and sex are read from the ID number when not typed in.
    assert str(zhang.birth_date) == "1985-10-12" and zhang.sex.label == "男"
    assert case.registered_by.username == "mediator1"
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记案件" in page and case.number in page


def test_wrong_id_number_is_refused_next_to_the_field_and_everything_is_kept(world, login):
    c = login("mediator1")
    form = intake_form(**{"parties-0-id_number": "330109198510120034"})
    response = c.post("/cases/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="parties-0-id_number-error">公民身份号码校验位不正确' in page
    # Nothing typed is lost: the wrong number itself, the other party, the summary.
    assert 'value="330109198510120034"' in page
    assert 'value="李四"' in page and 'value="0571-88886666"' in page
    assert "楼上卫生间漏水，楼下天花板霉变。" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_bad_phone_and_missing_summary_are_named(world, login):
    form = intake_form(**{"parties-1-phone": "88886666", "summary": ""})
    page = login("mediator1").post("/cases/new", data=form).get_data(as_text=True)
    assert "请填写11位手机号码，或带区号的固定电话" in page
    assert "请填写纠纷简要情况。" in page


def test_sex_must_match_id_number(world, login):
    form = intake_form(**{"parties-0-sex": "female"})
    page = login("mediator1").post("/cases/new", data=form).get_data(as_text=True)
    assert "性别与公民身份号码不一致" in page


def test_organisation_party_needs_legal_representative(world, login):
    form = intake_form(**{"parties-1-kind": "organisation", "parties-1-name": "某物业公司",
                          "parties-1-id_number": ""})  # fmt: skip
    page = login("mediator1").post("/cases/new", data=form).get_data(as_text=True)
    assert "须填写法定代表人或主要负责人" in page
    form["parties-1-legal_representative"] = "王经理"
    assert login("mediator1").post("/cases/new", data=form).status_code == 302
    org = only_case().respondents[0]
    assert org.kind == PartyKind.ORGANISATION and org.legal_representative == "王经理"


def test_add_and_remove_party_without_javascript_keeps_typed_input(world, login):
    c = login("mediator1")
    form = intake_form(add_party="respondent")
    page = c.post("/cases/new", data=form).get_data(as_text=True)
    assert 'name="parties-2-name"' in page  # a third row appeared ...
    assert 'value="张三"' in page and "楼上卫生间漏水" in page  # ... and nothing was lost
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    form = intake_form(**party(2, "respondent", "王五"), remove_party="1")
    page = c.post("/cases/new", data=form).get_data(as_text=True)
    assert 'value="李四"' not in page and 'value="王五"' in page
    form = intake_form(**party(2, "respondent", "王五"))
    assert c.post("/cases/new", data=form).status_code == 302
    assert [p.name for p in only_case().parties] == ["张三", "李四", "王五"]


def test_needs_an_applicant_and_a_respondent(world, login):
    form = intake_form(**{"parties-1-role": "applicant"})
    page = login("mediator1").post("/cases/new", data=form).get_data(as_text=True)
    assert "请至少填写一名被申请人。" in page


def test_registration_date_may_not_be_in_the_future(world, login):
    form = intake_form(registered_on="2999-01-01")
    page = login("mediator1").post("/cases/new", data=form).get_data(as_text=True)
    assert "登记日期不能晚于今天。" in page


def test_grid_worker_reports_are_grid_reports(world, login):
    c = login("grid1")
    page = c.get("/cases/new").get_data(as_text=True)
    assert "上报纠纷" in page and 'name="source"' not in page
    assert c.post("/cases/new", data=intake_form(source="court")).status_code == 302
    assert only_case().source == Source.GRID_REPORT
    # Their edit form does not ask either, and saves; a posted source is ignored.
    case = only_case()
    values = form_values(c.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    assert "source" not in values
    values.update(summary="网格员补充的情况。", source="court")
    assert c.post(f"/cases/{case.id}/edit", data=values).status_code == 302
    db.session.expire_all()
    case = only_case()
    assert case.summary == "网格员补充的情况。" and case.source == Source.GRID_REPORT
    # A version that is not a number is a stale form, not a server error. (Another post than
    # the one above: without its one-time token, which would show the first save again.)
    values["version"] = "abc"
    del values["submission"]
    assert c.post(f"/cases/{case.id}/edit", data=values).status_code == 409


def test_referral_needs_the_referring_body(world, login):
    page = login("mediator1").post("/cases/new", data=intake_form(source="police"))
    assert "委派、移交的案件请填写移交单位名称。" in page.get_data(as_text=True)


def test_auditors_and_admins_cannot_register(world, login):
    for username in ("auditor1", "admin"):
        assert login(username).get("/cases/new").status_code == 403


def test_registration_is_on_the_timeline(world, login):
    c = login("mediator1")
    c.post("/cases/new", data=intake_form())
    case = only_case()
    assert [e.kind for e in case.events] == [EventKind.CREATED]
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "办理经过" in page and "登记" in page


def test_post_without_csrf_token_is_refused(world, login):
    c = login("mediator1")
    response = c.post("/cases/new", data={**intake_form(), "csrf_token": "forged"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
