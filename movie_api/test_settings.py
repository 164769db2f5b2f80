"""Settings for the test suite, selected explicitly (pyproject.toml's pytest section).

The production settings with what only tests may have: a throwaway secret key when
none is given, the test client's host name, and static files served without the
manifest (tests do not run collectstatic). Everything else, debug off included, is
as in production, so the suite tests what runs.
"""

import os

# Only while the settings are read: processes the tests start must not inherit it.
_KEY = "DJANGO_SECRET_KEY"
_given = bool(os.environ.get(_KEY))
if not _given:
    os.environ[_KEY] = "insecure-test-key-" + "x" * 40
try:
    from .settings import *  # noqa: F403
    from .settings import ALLOWED_HOSTS, STORAGES
finally:
    if not _given:
        del os.environ[_KEY]

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tasks run where they are enqueued (on commit) unless a test chooses a real queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
