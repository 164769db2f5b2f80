"""The WSGI application with the test seams of ``tests.seams`` installed.

Gunicorn workers of the multi-process race tests serve this instead of
``movie_api.wsgi:application`` when a test asks for a race window or for the
guards off; production code has no such switch.
"""

from movie_api.wsgi import application
from tests.seams import install_from_environment

install_from_environment()

__all__ = ["application"]
