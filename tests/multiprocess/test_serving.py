"""Production-like serving (what `make serve` does): gunicorn, debug off, whitenoise."""

import re
import urllib.request

import pytest

from tests.live import live_gunicorn

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_api_admin_docs_and_static_files_with_debug_off():
    with live_gunicorn(workers=2, collectstatic=True) as (server, _):
        base = server.base_url
        assert server.request("GET", "/api/health/").body == {"status": "ok"}
        assert server.request("GET", "/api/movies/").status == 200

        missing = server.request("GET", "/api/no-such-thing/")
        assert missing.status == 404
        assert missing.body["error"]["code"] == "not_found"

        code, ctype, body = _get(base + "/admin/login/")
        assert code == 200
        assert b"Django administration" in body
        admin_css = (
            re.search(rb'href="(/static/admin/css/[^"]+\.css)"', body).group(1).decode()
        )
        assert _get(base + admin_css)[0] == 200

        code, ctype, body = _get(base + "/api/docs/")
        assert code == 200
        assert "text/html" in ctype
        scripts = re.findall(rb'src="(/static/[^"]+\.js)"', body)
        assert scripts, body[:500]
        for script in scripts:
            assert _get(base + script.decode())[0] == 200

        code, ctype, body = _get(base + "/api/schema/")
        assert code == 200
        assert b"/api/reservations/" in body
