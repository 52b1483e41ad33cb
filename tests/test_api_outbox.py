"""Status changes pushed to the referring body (issue 14, part 3): an outbox row written in
the transaction of each change, delivered by the worker (`flask api-deliver`) to a local
HTTP receiver, signed with the client's secret, retried with back-off, exactly once per
change across a worker restart."""

import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta

import pytest
from apiclient import make_client
from concurrency import at_once
from sqlalchemy import select

from mediation.api import outbox
from mediation.cases import service as cases
from mediation.extensions import db
from mediation.models import ApiOutbox, ApiReferral, Case
from mediation.models.base import frozen_time, utcnow
from mediation.workflow import WorkflowError

from factories import make_case


class Receiver:
    """A court's callback endpoint: http.server in a thread. It records every message with
    its headers; `fail_next` answers that many posts with 500 first."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append({
                    "body": body, "payload": json.loads(body),
                    "signature": self.headers["X-Mediation-Signature"],
                    "key": self.headers["Idempotency-Key"],
                })  # fmt: skip
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def referred_case(world, court, reference="（2026）浙0102民诉前调1号") -> Case:
    """A case the court referred (registered at the desk here; the intake is test_api's)."""
    case = make_case(world["director1"])
    db.session.add(ApiReferral(client_id=court.id, reference=reference, case_id=case.id))
    db.session.commit()
    return case


def rows() -> list[ApiOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiOutbox).order_by(ApiOutbox.id)))


def test_each_status_change_writes_one_outbox_row_with_the_change(world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    case = referred_case(world, court)
    cases.apply_action(case, world["director1"], "accept")
    cases.apply_action(case, world["director1"], "withdraw", reason="申请人撤回")
    payloads = [r.payload for r in rows()]
    assert [(p["from_status"], p["to_status"]) for p in payloads] == [
        ("submitted", "accepted"), ("accepted", "withdrawn"),
    ]  # fmt: skip
    assert payloads[0]["case_number"] == case.number
    assert payloads[0]["reference_number"] == "（2026）浙0102民诉前调1号"
    assert payloads[1]["to_status_label"] == "已撤回"


def test_a_refused_change_writes_nothing(world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    case = referred_case(world, court)
    with pytest.raises(WorkflowError):
        cases.apply_action(case, world["director1"], "start_mediation")  # not accepted yet
    db.session.rollback()
    assert rows() == []


def test_cases_of_other_sources_or_without_a_callback_push_nothing(world):
    silent, _ = make_client(world, callback_url="")
    case = referred_case(world, silent)
    desk = make_case(world["director1"])
    cases.apply_action(case, world["director1"], "accept")
    cases.apply_action(desk, world["director1"], "accept")
    assert rows() == []


def test_the_worker_posts_signed_messages_with_an_idempotency_key(world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    case = referred_case(world, court)
    cases.apply_action(case, world["director1"], "accept")
    done = outbox.deliver_due("w1")
    assert (done.delivered, done.failed) == (1, 0)
    [message] = receiver.received
    expected = hmac.new(court.signing_secret.encode(), message["body"], hashlib.sha256)
    assert message["signature"] == "sha256=" + expected.hexdigest()
    assert message["payload"]["to_status"] == "accepted"
    [row] = rows()
    assert message["key"] == row.idempotency_key and row.delivered_at is not None
    assert outbox.deliver_due("w1").delivered == 0  # delivered is delivered


def test_a_refused_post_is_retried_with_exponential_back_off(world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    case = referred_case(world, court)
    cases.apply_action(case, world["director1"], "accept")
    receiver.fail_next = 3
    start = utcnow()
    waits = []
    moment = start
    for _ in range(3):
        with frozen_time(moment):
            assert outbox.deliver_due("w").failed == 1
        [row] = rows()
        waits.append(row.next_attempt_at - moment)
        with frozen_time(row.next_attempt_at - timedelta(seconds=1)):
            assert outbox.deliver_due("w").failed == 0  # not due yet: nothing is posted
        moment = row.next_attempt_at
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert rows()[0].attempts == 3 and rows()[0].last_status == 500
    with frozen_time(moment):
        assert outbox.deliver_due("w").delivered == 1
    assert len(receiver.received) == 1
    assert outbox.delay_after(30) == timedelta(hours=6)  # the wait stops growing


def test_exactly_once_per_change_across_a_worker_restart(world, receiver):
    """Worker A claims a message and dies before posting it; worker B, started afresh,
    delivers the others at once and A's after the claim's lease; every change reaches the
    receiver exactly once, and nothing is left."""
    court, _ = make_client(world, callback_url=receiver.url)
    for n in range(4):
        case = referred_case(world, court, reference=f"（2026）浙0102民诉前调{n}号")
        cases.apply_action(case, world["director1"], "accept")
    ids = [r.id for r in rows()]
    assert outbox.claim(ids[0], "worker-A")  # ... and worker A is killed here
    assert outbox.deliver_due("worker-A", limit=1).delivered == 1  # A posted one more first
    assert outbox.deliver_due("worker-B").delivered == 2  # B: the rest but A's claim
    with frozen_time(utcnow() + outbox.LEASE + timedelta(seconds=1)):
        assert outbox.deliver_due("worker-B").delivered == 1  # A's claim, taken over
        assert outbox.deliver_due("worker-C").delivered == 0
    keys = [m["key"] for m in receiver.received]
    assert sorted(keys) == sorted(r.idempotency_key for r in rows())
    assert len(keys) == len(set(keys)) == 4
    assert all(r.delivered_at is not None for r in rows())


def test_simultaneous_workers_deliver_each_change_once(app, world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    for n in range(6):
        case = referred_case(world, court, reference=f"（2026）浙0102民诉前调{n}号")
        cases.apply_action(case, world["director1"], "accept")

    def worker(name):
        def run():
            with app.app_context():
                return outbox.deliver_due(name).delivered

        return run

    delivered = at_once([worker(f"w{i}") for i in range(4)])
    assert sum(delivered) == 6, delivered
    keys = [m["key"] for m in receiver.received]
    assert len(keys) == len(set(keys)) == 6


def test_the_cli_worker_delivers_once(app, world, receiver):
    court, _ = make_client(world, callback_url=receiver.url)
    case = referred_case(world, court)
    cases.apply_action(case, world["director1"], "accept")
    result = app.test_cli_runner().invoke(args=["api-deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "已送达 1 条" in result.output
    assert len(receiver.received) == 1
