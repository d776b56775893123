"""Signing in and out only from this site's own pages (against login CSRF).

A POST to /sign-in or /sign-out is accepted when

1. its `Origin` header is this site's own origin; or, when it sends no Origin,
2. its `Referer` is a URL of this site's own origin; or, when it sends neither (some privacy
   tools strip both),
3. its form field `csrf` equals the `ledger_csrf` cookie: a double-submit cookie (OWASP). Every
   page sets that cookie (random, HttpOnly, SameSite=Strict, Secure over HTTPS) and carries its
   value in its sign-in and sign-out forms; another site can neither read the cookie nor make a
   browser send it along.

An Origin or Referer of any other origin (also `null`) is refused, whatever the form carries.
This site's own origin is the scheme the request came over (`api.clients.is_https`, which
believes `X-Forwarded-Proto` from trusted proxies only) with the host it asked for.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from api.clients import host, is_https

CSRF_COOKIE = "ledger_csrf"
CSRF_FIELD = "csrf"
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def _origin(url: str) -> Origin | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme]


def own_origin(request: Request) -> Origin | None:
    """This site's origin, as the client sees it."""
    return _origin(f"{'https' if is_https(request) else 'http'}://{host(request)}")


def same_site(request: Request, form: Mapping[str, list[str]]) -> bool:
    """Whether a sign-in or sign-out POST comes from this site's own page (see above)."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is not None:
            mine = own_origin(request)
            return mine is not None and _origin(value) == mine
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = (form.get(CSRF_FIELD) or [""])[0]
    return bool(_WELL_FORMED.fullmatch(cookie)) and hmac.compare_digest(
        cookie.encode(), sent.encode()
    )


def form_value(request: Request) -> str:
    """The value a page's forms carry: the cookie's, or a new one that `remember` sets."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if _WELL_FORMED.fullmatch(value):
        return value
    new: str | None = getattr(request.state, "csrf_new", None)
    if new is None:
        new = request.state.csrf_new = secrets.token_urlsafe(32)
    return new


def remember(request: Request, response: Response) -> None:
    """Set the cookie on the response if `form_value` made a new value."""
    new: str | None = getattr(request.state, "csrf_new", None)
    if new is not None:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=is_https(request), path="/"
        )
