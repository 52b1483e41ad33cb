"""The bench's generated data is data the app accepts: its audit chain verifies, every case
row matches its newest timeline event, and its pages open."""

import sys
from pathlib import Path

from sqlalchemy import select

from mediation.audit import chain
from mediation.extensions import db
from mediation.models import Case, CaseEvent, CaseStatus, Party

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import generate


def test_generated_cases_verify_and_open(app):
    tree = generate.build_tree(offices_count=2, per_office=2)
    written = generate.generate(300, tree)
    assert written["cases"] == 300 and written["case_events"] > 1000
    assert chain.verify() == []
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert {CaseStatus.ARCHIVED, CaseStatus.MEDIATING, CaseStatus.SUBMITTED} <= statuses
    names = db.session.scalars(select(Party.name)).all()
    assert any(ch in name for name in names for ch in generate.RARE)
    assert any(len(name) == 2 for name in names)
    client = app.test_client()
    login = client.post("/login", data={"username": "auditor0", "password": generate.PASSWORD})
    assert login.status_code == 302
    case = db.session.scalar(select(Case).where(Case.status == CaseStatus.ARCHIVED).limit(1))
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert case.number in client.get(f"/cases?q={case.number}").get_data(as_text=True)
    newest = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    )
    assert (newest.case_status, newest.case_version) == (case.status, case.version)
