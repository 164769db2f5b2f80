"""The one place periodic jobs are registered (run by ``manage.py run_periodic``).

An app registers its job in its ``AppConfig.ready()`` (usually by importing its
``tasks`` module, which calls ``register_periodic`` next to the task)::

    from django_tasks import task
    from events.periodic import register_periodic

    @task()
    def expire_offers() -> int: ...

    register_periodic(expire_offers, every=60)

The scheduler does no work itself: every ``every`` seconds it enqueues the task,
and the workers run it. Jobs must therefore tolerate running twice or overlapping
(each of ours locks what it changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django_tasks.base import Task


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Task
    every: timedelta


_jobs: dict[str, PeriodicJob] = {}


def register_periodic(
    task: Task, *, every: int | timedelta, name: str | None = None
) -> PeriodicJob:
    """Run ``task`` (no arguments) every ``every`` seconds; ``name`` defaults to the task's."""
    if not isinstance(every, timedelta):
        every = timedelta(seconds=every)
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    job = PeriodicJob(name=name or task.name, task=task, every=every)
    _jobs[job.name] = job
    return job


def periodic_jobs() -> dict[str, PeriodicJob]:
    """The registered jobs by name."""
    return dict(_jobs)
