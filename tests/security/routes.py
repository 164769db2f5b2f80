"""The API's routes as the URL resolver sees them, for tests that must cover each one.

Walking the resolver (not the schema, not a hand-kept list) is what makes these
tests fail for an endpoint someone adds without thinking about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from movie_api.exceptions import api_not_found

# Not endpoints of the API: the schema and its docs page describe the API (the
# schema leaves itself out on purpose: SERVE_INCLUDE_SCHEMA = False), and the
# catch-all answers every unknown /api/ path with the JSON 404.
NOT_API_ENDPOINTS = {"/api/schema/", "/api/docs/"}

_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>")
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    path: str  # /api/movies/{pk}/, with Django's parameter names
    method: str  # GET, POST...
    view: type

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def _regex_to_template(regex: str) -> str:
    """``^movies/(?P<pk>[^/.]+)/$`` -> ``movies/{pk}/`` (groups may nest brackets)."""
    out, i = [], 0
    while i < len(regex):
        match = _REGEX_GROUP.match(regex, i)
        if match is None:
            if regex[i] not in "^$":
                out.append(regex[i])
            i += 1
            continue
        depth, j = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        out.append("{" + match.group(1) + "}")
        i = j
    return "".join(out)


def _template(pattern) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        return _regex_to_template(text)
    return _ROUTE_PARAM.sub(r"{\1}", text)


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _template(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + _template(entry.pattern), entry.callback


# Answered by every GET view (or by DRF itself); never documented on their own.
IMPLICIT_METHODS = {"head", "options"}


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a viewset: the router says which methods map to actions
        # (DRF adds "head" to this very dict on the first request it serves.)
        methods = set(actions)
    elif getattr(callback, "view_class", None) is not None:
        view = callback.view_class
        methods = {name for name in view.http_method_names if hasattr(view, name)}
    else:
        methods = {"get"}  # a plain function view: at least GET reaches it
    return sorted(method.upper() for method in methods - IMPLICIT_METHODS)


def api_routes() -> list[Route]:
    """Every (path, method) under /api/ that reaches a view, schema and docs aside."""
    routes = []
    for path, callback in _walk(get_resolver().url_patterns):
        if not path.startswith("/api/") or path in NOT_API_ENDPOINTS:
            continue
        if callback is api_not_found:
            continue
        view = getattr(callback, "cls", None) or getattr(
            callback, "view_class", callback
        )
        routes.extend(Route(path, method, view) for method in _methods(callback))
    return routes


def shape(path: str) -> str:
    """A path with its parameter names blanked: /api/movies/{pk}/ -> /api/movies/{}/."""
    return re.sub(r"\{[^}]*\}", "{}", path)
