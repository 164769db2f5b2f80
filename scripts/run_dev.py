"""`make run`: the development server with a task worker and the scheduler beside it.

One command: the worker (`manage.py db_worker`, or `rqworker` when TASKS_BACKEND=rq)
and the scheduler (`manage.py run_periodic`) start first, then runserver in the
foreground. When runserver ends, or this script gets SIGINT/SIGTERM, the other two
are stopped as well. Usage: run_dev.py HOST:PORT
"""

import os
import signal
import subprocess
import sys

PY = sys.executable
# Their log lines as they happen, not when a buffer fills.
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def worker_command() -> list[str]:
    if os.environ.get("TASKS_BACKEND") == "rq":
        return [
            PY,
            "manage.py",
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            # as `make worker`: RQ's forking worker halves throughput (docs/SCALING.md)
            "--worker-class",
            "rq.worker.SimpleWorker",
            "--with-scheduler",
        ]
    return [PY, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"]


def main(address: str) -> int:
    helpers = [
        subprocess.Popen(worker_command(), env=ENV),
        subprocess.Popen([PY, "manage.py", "run_periodic"], env=ENV),
    ]
    server = subprocess.Popen([PY, "manage.py", "runserver", address])

    def stop(signum, frame):
        server.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    finally:
        for process in helpers:
            if process.poll() is None:
                process.terminate()
        for process in helpers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
