"""What every request passes through before and after the views: security headers, the
reverse-proxy setting, the secret key, JSON and URL parameters that cannot crash a view."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# No inline scripts or styles anywhere (they live in static/), so the policy needs no
# 'unsafe-inline'. data: and blob: images are the photos shown after an upload and the
# browser camera's frames; nothing is loaded from another site.
CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
    "media-src 'self' blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
    "form-action 'self'", "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def same_site_path(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site ("/people?q=ada"), else `fallback`: the one
    check for every `next=` a form or a sign-in carries. Browsers drop tabs and newlines
    from URLs and read a backslash as a slash, so "/<tab>/evil.example" or "/<backslash>evil.example"
    would be "//evil.example", another site: a path with any of them is refused, as is
    anything that does not start with one slash (a scheme, "//host")."""
    target = target or ""
    local = (target.startswith("/") and not target.startswith("//") and "\\" not in target
             and not any(ord(c) < 0x21 or ord(c) == 0x7F for c in target))
    return target if local else fallback


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in routes: at most 18 digits (below 2**63, the largest id a database
    stores), so a longer number does not match (404) instead of overflowing the driver
    (500). A length, not a `max`: werkzeug answers 405 for a path whose converter refuses."""

    regex = r"\d{1,18}"


class SafeJSONProvider(DefaultJSONProvider):
    """JSON bodies nested deeper than Python can parse are invalid input (400), not a
    RecursionError (500); numbers such as 1e400 stay floats (inf) and are refused by the
    parameter checks."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None


def secret_key(instance: Path) -> str:
    """The key in instance/secret_key, created once: written to a private temporary file
    (mode 0600), then linked into place, so that two workers starting together agree on one
    key and nobody else on the machine can read it."""
    path = instance / "secret_key"
    if not path.exists():
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(32).hex().encode())
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if another worker was first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if path.stat().st_mode & 0o077:  # made by an earlier version, readable by others
        path.chmod(0o600)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Headers on every response; the proxy setting; bounded ids; safe JSON."""
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    hops = app.config["PROXY_HOPS"]
    if hops:  # behind that many reverse proxies: trust their X-Forwarded-* headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
