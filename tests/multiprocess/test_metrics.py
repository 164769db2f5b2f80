"""/metrics under real gunicorn workers: a scrape, whichever worker answers it,
counts the holds every worker made (prometheus_client's multiprocess mode, set up
in gunicorn.conf.py), also after a worker died; and LOG_FORMAT=json lines from
the workers parse one by one."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.request

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from tests.live import LiveServer, booking_seed, fire, live_gunicorn
from tests.multiprocess.test_faults import _children, _wait_for

pytestmark = pytest.mark.slow

TOKEN = "live-metrics-token-" + "x" * 20
URL = "/api/reservations/"
STALE = 1000


def _scrape(server: LiveServer) -> dict[str, list]:
    request = urllib.request.Request(server.base_url + "/metrics")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return {
        family.name: family.samples for family in text_string_to_metric_families(text)
    }


def _value(samples: dict, family: str, sample: str, **labels) -> float:
    return sum(
        s.value
        for s in samples[family]
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _pids_of(server: LiveServer, status: int, method: str, path: str) -> set[str]:
    pattern = rf"^pid=<?(\d+)>? {status} {method} {re.escape(path)}$"
    return set(re.findall(pattern, server.log_path.read_text(), re.MULTILINE))


def _leave_stale_counts(directory) -> None:
    """What an earlier server would leave behind: a dead worker's counter file."""
    stale = MmapedDict(str(directory / "counter_1.db"))
    key = mmap_key(
        "movie_api_holds_created",
        "movie_api_holds_created_total",
        [],
        [],
        "Seat holds created.",
    )
    stale.write_value(key, STALE, 0)
    stale.close()


def test_a_scrape_counts_the_holds_of_every_worker(tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    _leave_stale_counts(metrics_dir)
    with live_gunicorn(
        workers=2,
        extra_env={
            "METRICS_TOKEN": TOKEN,
            "LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        seed=booking_seed(showtimes=1, users=60),
    ) as (server, out):
        seed = json.loads(out)
        tokens, showtime = seed["tokens"], seed["showtimes"][0]
        assert not (metrics_dir / "counter_1.db").exists()  # cleared at start

        refused = server.request("GET", "/metrics")
        assert refused.status == 404

        # Holds in parallel bursts until both workers have made some.
        made = 0
        for burst in range(6):
            answers = fire(
                lambda i, burst=burst: server.request(
                    "POST",
                    URL,
                    token=tokens[burst * 10 + i],
                    body={"showtime": showtime, "seats": [f"{'ABCDEF'[burst]}{i + 1}"]},
                ),
                10,
            )
            assert [a.status for a in answers] == [201] * 10
            made += 10
            if len(_pids_of(server, 201, "POST", URL)) == 2:
                break
        holders = _pids_of(server, 201, "POST", URL)
        assert len(holders) == 2, "one worker made every hold"

        # Scrapes in parallel reach both workers; each must see all the holds.
        scrapes = fire(lambda _i: _scrape(server), 6)
        for samples in scrapes:
            assert (
                _value(
                    samples, "movie_api_holds_created", "movie_api_holds_created_total"
                )
                == made
            )
            assert (
                _value(samples, "movie_api_active_holds", "movie_api_active_holds")
                == made
            )
            assert (
                _value(
                    samples,
                    "movie_api_request_duration_seconds",
                    "movie_api_request_duration_seconds_count",
                    route="reservation-list",
                    method="POST",
                    status_class="2xx",
                )
                == made
            )

        # A dead worker's counts stay in the sum once gunicorn replaced it.
        master = server.process.pid
        workers = _children(master)
        victim = int(sorted(holders)[0])
        os.kill(victim, signal.SIGKILL)
        _wait_for(
            lambda: len(_children(master)) == 2 and victim not in _children(master)
        )
        time.sleep(0.5)  # the new worker loads the app
        after = _scrape(server)
        assert (
            _value(after, "movie_api_holds_created", "movie_api_holds_created_total")
            == made
        )
        assert workers != _children(master)

        # Every JSON line of the workers parses; requests and events are there.
        lines = [
            json.loads(line)
            for line in server.log_path.read_text().splitlines()
            if line.startswith("{")
        ]
        holds = [
            line
            for line in lines
            if line["logger"] == "movie_api.requests"
            and line["route"] == "reservation-list"
        ]
        events = [line for line in lines if line["logger"] == "movie_api.events"]
        assert len(holds) == len(events) == made
        assert {line["status"] for line in holds} == {201}
        assert all(isinstance(line["user_id"], int) for line in holds)
        assert {line["request_id"] for line in holds} == {
            line["request_id"] for line in events
        }
        assert {line["event"] for line in events} == {"created"}
        print(
            f"\n[metrics] {made} holds over workers {sorted(holders)}; "
            f"6 parallel scrapes and one after a SIGKILL all counted {made}"
        )
