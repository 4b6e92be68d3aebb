"""The origins the app's pages are served from, and the checks that keep other sites out of the
backend: Reflex's CORS answers, the websocket handshake, and the session-cookie routes.

The allowed origins are looked up on every check, not when the app is created: `reflex run`
and Reflex's AppHarness settle the frontend's URL (deploy_url) after the app module is imported."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from urllib.parse import urlsplit

from reflex.config import get_config

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """`scheme://host[:port]` as a browser writes it in an Origin header; "" if `url` has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")


def allowed() -> frozenset[str]:
    """MFA_ALLOWED_ORIGINS, or else the origin of Reflex's deploy_url."""
    from mfa_app.state.service import current  # the mount's settings (rxconfig imports this module)

    listed = current().settings.allowed_origins
    urls = listed.split(",") if listed.strip() else [get_config().deploy_url or ""]
    return frozenset(origin for origin in map(origin_of, urls) if origin)


def is_allowed(origin: str | None, environ: object = None) -> bool:
    """Whether an Origin header names one of the app's origins. `environ` makes this usable as
    python-engineio's cors_allowed_origins callable, which passes the request's environ."""
    return bool(origin) and origin in allowed()


class AllowedOrigins(Collection[str]):
    """The allowed origins as Reflex's config.cors_allowed_origins: Starlette's CORS middleware
    asks `origin in allow_origins` on each request, so this answers with the origins of now."""

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, str) and is_allowed(origin)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(allowed()))

    def __len__(self) -> int:
        return len(allowed())


def from_app_page(headers: Mapping[str, str]) -> bool:
    """Whether a request to a session-cookie route comes from one of the app's own pages.

    Sec-Fetch-Site, which current browsers send to HTTPS and loopback URLs and no page can forge,
    settles it when it says same-origin (pages and backend on one origin, as in production), or
    refuses it when it says cross-site or none (another site; a link opened from an e-mail or
    typed). For same-site (the development frontend on another port) or without the header, the
    Origin header decides, or for a GET navigation, which carries none, the Referer's origin."""
    site = headers.get("sec-fetch-site")
    if site == "same-origin":
        return True
    if site not in (None, "same-site"):
        return False
    return is_allowed(headers.get("origin") or origin_of(headers.get("referer", "")))
