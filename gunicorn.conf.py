"""gunicorn settings for `make serve` and the multi-process tests."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get(
    "GUNICORN_BIND",
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}",
)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 50 if max_requests else 0
# With LOG_FORMAT=json the app writes a JSON line per request itself; gunicorn's
# plain-text access line would only duplicate it.
accesslog = None if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
preload_app = False

# --- Prometheus multiprocess mode (movie_api/metrics.py) -------------------------
# Each worker writes its metric samples to files in PROMETHEUS_MULTIPROC_DIR and
# /metrics sums them, whichever worker answers. The variable must be set before a
# worker imports prometheus_client, so here, in the master, which the workers
# inherit it from. Unset: a fresh directory for this master, removed at exit.
# Given: it is created if missing and emptied of an earlier run's files at start
# (counts from a previous server would otherwise be added to this one's).
_OWN_METRICS_DIR = "MOVIE_API_OWN_METRICS_DIR"  # survives a config reload (HUP)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="movie_api_metrics_"
    )
    os.environ[_OWN_METRICS_DIR] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    # Drops the dead worker's live gauges; its counters stay in the sum.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    own = os.environ.get(_OWN_METRICS_DIR)
    if own and own == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(own, ignore_errors=True)
