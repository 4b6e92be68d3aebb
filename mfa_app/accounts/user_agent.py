"""A browser and an operating system named from a User-Agent header, for the list of sessions.
Simple on purpose: the common browsers and systems by their tokens, checked in the order that
tells them apart (Edge and Opera also say Chrome, Chrome also says Safari, Android also says
Linux)."""

from __future__ import annotations

MAX_LENGTH = 512  # what is stored of a header; real ones are a few hundred characters

_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
]


def describe(user_agent: str | None) -> tuple[str, str]:
    """(browser, operating system), e.g. ("Firefox", "Windows")."""
    text = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in text), "Unknown browser")
    system = next((name for token, name in _SYSTEMS if token in text), "unknown system")
    return browser, system


def label(user_agent: str | None) -> str:
    browser, system = describe(user_agent)
    return f"{browser} on {system}"
