"""`make run` is one command: runserver, a task worker and the scheduler, stopped together."""

import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings

from tests.webhooks.receiver import free_port

pytestmark = pytest.mark.slow


def _group(pgid: int) -> list[str]:
    """Command lines of the live processes in process group ``pgid``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115
            cmdline = open(f"/proc/{pid}/cmdline").read()  # noqa: SIM115
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(cmdline.replace("\0", " ").strip())
    return found


def test_make_run_starts_a_worker_and_the_scheduler_and_stops_them(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for name in ("REDIS_URL", "TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed below
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal's process group: Ctrl-C reaches all of it
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert make.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/health/", timeout=2
                ):
                    break
            except OSError:
                time.sleep(0.5)
        running = " | ".join(_group(make.pid))
        assert "manage.py runserver" in running
        assert "manage.py db_worker" in running
        assert "manage.py run_periodic" in running

        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _group(make.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group(make.pid) == []
    finally:
        if make.poll() is None or _group(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert (
        "run_periodic: 3 job(s): expire_holds, outbox_sweep, webhook_retries" in output
    )
