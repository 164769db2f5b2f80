"""Settings of the worker processes ``test_worker_kill`` starts: the app plus a staller."""

from movie_api.settings import *  # noqa: F403
from movie_api.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.events.stall"]
