"""The queue's configuration, readiness of the queue, and the periodic-job runner."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework import status

from events.models import Event
from tests.interpreter import clean_env, run_python
from tests.live import free_port

pytestmark = pytest.mark.django_db

READY = "/api/health/ready/"
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RQ_QUEUE = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}


def test_readiness_checks_the_database_queue(api_client, settings):
    settings.TASKS = DB_QUEUE

    response = api_client.get(READY)

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["checks"]["task_queue"] == "ok"


def test_readiness_is_503_when_the_rq_redis_is_down(api_client, settings):
    settings.TASKS = RQ_QUEUE
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/3"}}

    response = api_client.get(READY)

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["checks"]["task_queue"] == "error: ConnectionError"


CHECK = """
import django
django.setup()
from django.conf import settings
print(settings.TASKS["default"]["BACKEND"], settings.RQ_QUEUES["default"]["URL"])
"""


def _settings(**env):
    return run_python(
        CHECK,
        clean_env(
            "REDIS_URL",
            "TASKS_BACKEND",
            DJANGO_SETTINGS_MODULE="movie_api.settings",
            DJANGO_DEBUG="1",
            **env,
        ),
    )


def test_tasks_backend_rq_runs_over_redis_url():
    result = _settings(TASKS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:6379/3")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django_tasks_rq.RQBackend",
        "redis://127.0.0.1:6379/3",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND=rq needs REDIS_URL"),
        (
            {"TASKS_BACKEND": "celery"},
            "TASKS_BACKEND must be one of database, rq, immediate",
        ),
    ],
)
def test_a_bad_tasks_backend_refuses_to_start(env, message):
    result = _settings(**env)

    assert result.returncode != 0
    assert message in result.stderr


def test_run_periodic_lists_every_registered_job(capsys):
    call_command("run_periodic", "--list")

    lines = capsys.readouterr().out.splitlines()
    assert "expire_holds\tevery 60s\treservations.tasks.expire_holds" in lines
    assert "outbox_sweep\tevery 60s\tevents.tasks.sweep_outbox" in lines
    assert "webhook_retries\tevery 30s\twebhooks.tasks.retry_webhooks" in lines


def test_run_periodic_once_enqueues_the_named_job(
    capsys, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    left = Event.objects.create(
        type="reservation.held", data={}, created=timezone.now() - timedelta(minutes=5)
    )

    call_command("run_periodic", "--once", "--job", "outbox_sweep")

    assert capsys.readouterr().out == "run_periodic: enqueued outbox_sweep\n"
    left.refresh_from_db()
    assert left.dispatched_at is not None  # the immediate backend ran the sweep


def test_run_periodic_refuses_an_unknown_job():
    with pytest.raises(
        CommandError, match=r"Unknown job.*nightly.*known: expire_holds"
    ):
        call_command("run_periodic", "--once", "--job", "nightly")


def test_a_periodic_job_needs_a_positive_interval():
    from events.periodic import register_periodic
    from events.tasks import sweep_outbox

    with pytest.raises(ValueError, match="positive interval"):
        register_periodic(sweep_outbox, every=0, name="never")
