"""WSGI entry point. The URLconf is loaded eagerly so every worker is warm before its first request."""

import os

from django.core.wsgi import get_wsgi_application

from movie_api.fastpath import FastPath

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movie_api.settings")

# The seat map's fast path answers anonymous seat-map reads from a copy of Django's
# own answer while the seat map's version is unchanged (movie_api/fastpath.py).
application = FastPath(get_wsgi_application())

# Import the URLconf (and with it every view) now, not on the first request, so a
# freshly forked worker answers as fast as the others (shared/NOTES-concurrency.md).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
