"""Run Python in a fresh interpreter with a chosen environment.

Settings are read once, at import, so only a new process shows what an
environment variable does to them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_env(*drop_prefixes: str, **env: str) -> dict[str, str]:
    """This process's environment without pytest's variables and ``drop_prefixes``,
    plus the settings module and ``env``."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", *drop_prefixes))
    }
    return {**base, "DJANGO_SETTINGS_MODULE": "movie_api.settings", **env}


def run_python(
    code: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def json_from(code: str, env: dict[str, str]):
    """Run ``code`` (which prints JSON) and return what it printed."""
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
