"""Schema-driven fuzzing with schemathesis, in process, on the whole API.

schemathesis's engine (what ``st run`` drives) calls the WSGI application from
inside this test over a seeded, committed database: two customers, ``alice``
and ``bob``, each own a held and a purchased reservation with tickets, and the
engine sends their JWTs (a Web Fuzzing Commons auth document naming them as
peers). Its phases (coverage of boundary and invalid values, random fuzzing,
and stateful sequences that feed ids from one response into later requests)
send over a thousand requests, and every response must pass:

- ``not_a_server_error``: no 5xx;
- ``response_schema_conformance`` / ``status_code_conformance``: the body and the
  status are ones openapi.yaml documents (errors included);
- ``ignored_auth``: an operation that declares authentication refuses a request
  without credentials or with invalid ones;
- ``object_level_authorization``: what alice reads of her own, bob cannot get.

A failure names the check, the request and the response, reproducible with the
fixed seed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
import schemathesis
from django.db import connection, connections
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from movie_api.wsgi import application
from reservations.models import Reservation
from reservations.views import ReservationViewSet

from .world import bearer, build_world

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "ignored_auth",
    "object_level_authorization",
    "content_type_conformance",
)
PEERS = ("alice", "bob")
# Tried, in this order, on operations the peers are refused, so writes reach past
# 403 too: catalogue managers write the catalogue, box office checks tickets in.
ROLES = ("manager", "box_office")
SEED = 20261126
FIRST_ID = 900_001
MAX_EXAMPLES = 10  # per operation in the fuzzing phase


@pytest.fixture
def _in_process_probes(monkeypatch):
    """Let schemathesis's auth checks re-send requests in process.

    ignored_auth and object_level_authorization re-send a request without a
    session, and schemathesis 4.32 then hands its socket options (max_redirects,
    verify...) to werkzeug, which refuses them with a TypeError. They mean
    nothing in process, so drop them there.
    """
    send = WSGI_TRANSPORT.send

    def send_in_process(case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(case, session=session, **kwargs)

    monkeypatch.setattr(WSGI_TRANSPORT, "send", send_in_process)


def _served(environ, start_response):
    """The application as a WSGI server runs it.

    werkzeug's test client never closes the response, so Django's
    request_finished never fires; and the engine calls from its own threads,
    whose database connections would outlive them (CONN_MAX_AGE on PostgreSQL).
    """
    response = application(environ, start_response)
    try:
        yield from response
    finally:
        response.close()
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()


def _spread_ids() -> None:
    """Start reservation ids at 900001.

    object_level_authorization decides that bob may see one of alice's
    reservations when its id appears anywhere in bob's list, as any scalar: with
    ids 1 and 2 they always do (a showtime id, a count), and the check goes blind.
    """
    table = Reservation._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [table, FIRST_ID - 1],
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [table, FIRST_ID - 1],
            )


def _wfc_document(world) -> dict:
    """The identities as a Web Fuzzing Commons auth document (fixed JWT headers)."""
    users = dict(
        zip(PEERS, (world.customer, world.other), strict=True),
        manager=world.manager,
        box_office=world.box_office,
    )
    return {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": "Authorization", "value": bearer(user)}],
            }
            for name, user in users.items()
        ]
    }


def _config(wfc_path) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},
            "generation": {"max-examples": MAX_EXAMPLES},
            "phases": {
                "stateful": {"max-steps": 10, "generation": {"max-examples": 30}}
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
            },
            "auth": {"wfc": {"path": str(wfc_path), "peers": list(PEERS)}},
            "workers": 1,
        }
    )


class Run:
    """What one engine run did: requests per phase and status, failures, errors."""

    def __init__(self) -> None:
        self.requests: set[str] = set()
        self.phases: Counter = Counter()
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.checks_run: Counter = Counter()

    def record(self, event) -> None:
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            if case_id not in self.requests:
                self.requests.add(case_id)
                self.phases[str(getattr(event, "phase", "fuzz"))] += 1
                if interaction.response is not None:
                    self.statuses[interaction.response.status_code] += 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                self.checks_run[check.name] += 1
                if check.status == Status.FAILURE:
                    self.failures.append(_describe(recorder, case_id, check))
        if event.status == Status.ERROR:
            self.errors.append(f"{event.label}: error")

    def __str__(self) -> str:
        return (
            f"{len(self.requests)} requests {dict(self.phases)}, statuses "
            f"{dict(sorted(self.statuses.items()))}, checks {dict(self.checks_run)}, "
            f"{len(self.failures)} failures"
        )


def _describe(recorder, case_id: str, check) -> str:
    case = recorder.cases[case_id].value
    interaction = recorder.interactions.get(case_id)
    response = interaction.response if interaction else None
    title = check.failure_info.failure.title if check.failure_info else ""
    return (
        f"{check.name}: {title}\n"
        f"  {case.method} {case.formatted_path} query={case.query} "
        f"body={json.dumps(case.body, default=str)[:300]}\n"
        f"  -> {response.status_code if response else None} "
        f"{response.text[:300] if response else ''}"
    )


def fuzz(schema) -> Run:
    run = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            run.record(event)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise AssertionError(f"schemathesis stopped: {event.exception!r}")
    return run


def _schema(tmp_path):
    _spread_ids()
    world = build_world()
    wfc = tmp_path / "identities.json"
    wfc.write_text(json.dumps(_wfc_document(world)))
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", _served, config=_config(wfc)
    )


@pytest.mark.usefixtures("_in_process_probes")
def test_fuzzing_the_whole_schema_finds_nothing(tmp_path):
    schema = _schema(tmp_path)

    started = time.monotonic()
    run = fuzz(schema)
    summary = f"schemathesis: {run} in {time.monotonic() - started:.0f}s"

    print(summary)
    assert not run.failures, "\n".join([summary, *run.failures[:20]])
    assert not run.errors, run.errors[:20]
    assert len(run.requests) >= 1000, f"the fuzzing lost its reach: {summary}"
    assert set(CHECKS) <= set(run.checks_run), summary


@pytest.mark.usefixtures("_in_process_probes")
def test_fuzzing_catches_a_planted_object_level_bug(tmp_path, monkeypatch):
    """Negative control: with one reservation read left unscoped, bob gets
    alice's reservation and object_level_authorization must say so."""
    scoped = ReservationViewSet.get_queryset

    def unscoped_for_reads(view):
        queryset = scoped(view)
        return Reservation.objects.all() if view.action == "retrieve" else queryset

    monkeypatch.setattr(ReservationViewSet, "get_queryset", unscoped_for_reads)
    schema = _schema(tmp_path).include(path_regex=r"^/api/reservations/")

    run = fuzz(schema)

    assert any(
        failure.startswith("object_level_authorization") for failure in run.failures
    ), run
