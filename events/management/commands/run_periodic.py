"""The scheduler: enqueue each registered periodic job on its interval.

``manage.py run_periodic`` runs until stopped (one per deployment); ``--once``
enqueues the named jobs (or all) once and exits, for cron; ``--list`` shows them.
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from events.periodic import periodic_jobs


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (hold expiry, outbox sweep, ...) on their intervals."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Enqueue the jobs once and exit (cron)."
        )
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            help="Only this job (repeatable); see --list.",
        )
        parser.add_argument(
            "--list", action="store_true", help="List the jobs and their intervals."
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=1.0,
            help="Seconds between checks for due jobs (default 1).",
        )

    def handle(self, *args, once, job, list, tick, **options):
        jobs = periodic_jobs()
        unknown = sorted(set(job) - set(jobs))
        if unknown:
            raise CommandError(
                f"Unknown job(s): {', '.join(unknown)}; known: {', '.join(sorted(jobs))}"
            )
        if job:
            jobs = {name: jobs[name] for name in job}
        if list:
            for name, periodic in sorted(jobs.items()):
                seconds = int(periodic.every.total_seconds())
                self.stdout.write(
                    f"{name}\tevery {seconds}s\t{periodic.task.module_path}"
                )
            return
        if once:
            for name, periodic in jobs.items():
                self._enqueue(name, periodic)
            return
        self._loop(jobs, tick)

    def _enqueue(self, name, periodic) -> None:
        try:
            periodic.task.enqueue()
        except Exception as exc:
            self.stderr.write(f"run_periodic: could not enqueue {name}: {exc!r}")
        else:
            self.stdout.write(f"run_periodic: enqueued {name}")

    def _loop(self, jobs, tick) -> None:
        stopping = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.append(True))
        due = {name: timezone.now() for name in jobs}
        self.stdout.write(
            f"run_periodic: {len(jobs)} job(s): {', '.join(sorted(jobs))}"
        )
        while not stopping:
            now = timezone.now()
            for name, periodic in jobs.items():
                if due[name] <= now:
                    self._enqueue(name, periodic)
                    due[name] = now + periodic.every
            time.sleep(tick)
