"""The booking page shell at /: served to anyone, with its static modules."""

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework import status

pytestmark = pytest.mark.django_db


def test_booking_page_is_served_at_the_root(client):
    response = client.get("/")
    assert response.status_code == status.HTTP_200_OK
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<script type="module" src="/static/web/app.js">' in html
    assert '<link rel="stylesheet" href="/static/web/app.css">' in html
    assert 'id="seatmap"' in html


def test_every_module_the_page_imports_exists():
    entry = finders.find("web/app.js")
    assert entry
    pending, seen = ["app.js"], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        path = finders.find(f"web/{name}")
        assert path, f"web/{name} is imported but missing"
        with open(path) as source:
            imports = re.findall(r'from "\./([\w.-]+\.js)"', source.read())
        pending.extend(set(imports) - seen)
    assert seen == {"app.js", "api.js", "dom.js", "seatmap.js"}


def test_unknown_page_is_a_plain_404(client):
    assert client.get("/no-such-page/").status_code == status.HTTP_404_NOT_FOUND
