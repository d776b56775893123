"""405 Method Not Allowed, with `Allow`, for every method a declared path does not offer.

Starlette tries the routes in order and takes the first whose path and method both match, so
`GET /v1/decisions/batch` reached `GET /v1/decisions/{decision_id}` and was refused as a bad
UUID (422), although `/v1/decisions/batch` is a declared path that offers POST only; and where
it did answer 405, `Allow` named the methods of one route, not of the path. This middleware
decides first, by the path alone: the most specific declared path template that matches (the
fewest parameters: a literal segment beats a parameter, as in OpenAPI) names the methods; any
other method is answered with 405 problem+json and `Allow` listing them all. Paths no route
declares go on to the app (and its 404).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import routing
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem


@dataclass(frozen=True)
class _Template:
    regex: re.Pattern[str]
    parameters: int
    methods: frozenset[str]


class MethodNotAllowed:
    """ASGI middleware: answer 405 for a method the request's declared path does not offer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._literal: dict[str, frozenset[str]] | None = None
        self._templated: list[_Template] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = _route_path(scope)
            allowed = self._allowed(scope, path)
            if allowed and scope["method"] not in allowed:
                allow = ", ".join(sorted(allowed))
                response = problem(
                    405,
                    "method-not-allowed",
                    "Method not allowed",
                    f"{scope['method']} is not allowed on {path}; it allows {allow}",
                    path,
                    {"Allow": allow},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope, path: str) -> frozenset[str] | None:
        """The methods of the most specific declared path that matches (None if none does)."""
        if self._literal is None:
            self._collect(scope)
        assert self._literal is not None
        if path in self._literal:
            return self._literal[path]
        found: frozenset[str] | None = None
        fewest = 0
        for template in self._templated:  # sorted by their number of parameters
            if found is not None and template.parameters > fewest:
                break
            if template.regex.match(path):
                found, fewest = (found or frozenset()) | template.methods, template.parameters
        return found

    def _collect(self, scope: Scope) -> None:
        # on the first request, when every route has been added (Starlette puts the app in scope)
        methods: dict[str, set[str]] = {}
        templates: dict[str, Any] = {}
        for route in _routes(scope["app"].router.routes):
            if getattr(route, "methods", None) and hasattr(route, "path_regex"):
                methods.setdefault(route.path, set()).update(route.methods)
                templates.setdefault(route.path, route)
        self._literal = {
            path: frozenset(found)
            for path, found in methods.items()
            if not templates[path].param_convertors
        }
        self._templated = sorted(
            (
                _Template(route.path_regex, len(route.param_convertors), frozenset(methods[path]))
                for path, route in templates.items()
                if route.param_convertors
            ),
            key=lambda t: t.parameters,
        )


def _routes(routes: Iterable[Any]) -> Iterable[Any]:
    """Every route, also those of included routers (FastAPI >= 0.16x keeps them nested)."""
    flatten = getattr(routing, "iter_route_contexts", None)
    return flatten(list(routes)) if flatten is not None else routes


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
