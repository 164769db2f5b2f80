"""`make run` on a busy port: it says so at once, before installing, migrating and
seeding (scripts/check_port.py)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CHECK_PORT = ROOT / "scripts" / "check_port.py"


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _check(host: str, port: str | int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK_PORT), host, str(port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_make_run_on_a_busy_port_fails_before_migrating(busy_port, tmp_path):
    env = {
        **os.environ,
        # Were the check missing, migrate and seed_demo would write here, not to
        # the project's database.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={busy_port}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode != 0
    assert f"Cannot serve on 127.0.0.1:{busy_port}" in result.stderr
    assert "PORT=8001 make run" in result.stderr
    assert "migrate" not in result.stdout
    assert not (tmp_path / "db.sqlite3").exists()


def test_check_port_passes_a_free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert _check("127.0.0.1", port).returncode == 0


def test_check_port_refuses_a_port_that_is_no_number():
    result = _check("127.0.0.1", "http")
    assert result.returncode == 2
    assert "PORT must be a number" in result.stderr
