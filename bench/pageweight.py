"""Page weight of the production frontend: for each route, the JavaScript and CSS a browser
downloads to show it, raw and gzip.

The route's prerendered HTML (`.web/build/client/<route>/index.html`) names what the page loads
up front: `<script src>`, `<link rel="modulepreload">` and `<link rel="stylesheet">` (and
`<link rel="preload" as="style">`). From those, every static `import ... from "./x.js"` of each
chunk is followed too (React Router's build already lists the static graph as modulepreloads, so
this mostly confirms it). Dynamic `import("./x.js")` chunks are loaded only when some code path
asks for them: they are counted apart as `lazy`, not in the route's total. Inline `<script>`
and `<style>` bytes are part of the HTML document, counted in `html_*`.

gzip: level 9 (what the build's own precompressed `.gz` files use), computed here per file.

The budget: a page's JavaScript stays within 10 KiB (gzip) of a blank Reflex page's, measured
the same way in the same run: an app of one `rx.text` page on Reflex's default config, built with
the same Reflex and bun (`blank_page`).
"""

from __future__ import annotations

import gzip
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

BUDGET_OVER_BLANK_BYTES = 10 * 1024  # JS gzip a page may add to a blank Reflex page's

BLANK_APP = {
    "rxconfig.py": 'import reflex as rx\n\nconfig = rx.Config(app_name="blank")\n',
    "blank/__init__.py": "",
    "blank/blank.py": (
        "import reflex as rx\n\n\n"
        "def index() -> rx.Component:\n"
        '    return rx.text("A blank page.")\n\n\n'
        "app = rx.App()\n"
        'app.add_page(index, route="/")\n'
    ),
}

STATIC_IMPORT = re.compile(rb"""(?:\bimport|\bexport)\s*(?:[\w*{}\s,$]*?\bfrom\s*)?["'](\.{1,2}/[^"']+?\.js)["']""")
DYNAMIC_IMPORT = re.compile(rb"""\bimport\(\s*["'](\.{1,2}/[^"']+?\.js)["']\s*\)""")
CSS_IMPORT = re.compile(rb"""["'](\.{1,2}/[^"']+?\.css)["']""")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            href = a.get("href", "")
            if not href:
                return
            if "modulepreload" in rel:
                self.scripts.append(href)
            elif "stylesheet" in rel or ("preload" in rel and a.get("as") == "style"):
                self.styles.append(href)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def _local(build: Path, url: str) -> Path | None:
    if url.startswith(("http://", "https://", "//")):
        return None
    path = build / url.split("?")[0].lstrip("/")
    return path if path.is_file() else None


def route_weight(build: Path, html_path: Path) -> dict:
    html = html_path.read_bytes()
    tags = _Tags()
    tags.feed(html.decode("utf-8", errors="replace"))
    js: dict[Path, bytes] = {}
    lazy: dict[Path, bytes] = {}
    css: dict[Path, bytes] = {}
    pending = [p for p in (_local(build, s) for s in tags.scripts) if p]
    for href in tags.styles:
        if (p := _local(build, href)) is not None:
            css[p] = p.read_bytes()
    dynamic: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in js:
            continue
        data = js[path] = path.read_bytes()
        for ref in STATIC_IMPORT.findall(data):
            target = (path.parent / ref.decode()).resolve()
            if target.is_file() and target not in js:
                pending.append(target)
        for ref in DYNAMIC_IMPORT.findall(data):
            target = (path.parent / ref.decode()).resolve()
            if target.is_file():
                dynamic.add(target)
        for ref in CSS_IMPORT.findall(data):
            target = (path.parent / ref.decode()).resolve()
            if target.is_file():
                css.setdefault(target, target.read_bytes())
    js = {p.resolve(): d for p, d in js.items()}
    for path in dynamic - set(js):
        lazy[path] = path.read_bytes()
    return {
        "js_raw": sum(len(d) for d in js.values()),
        "js_gzip": sum(gz(d) for d in js.values()),
        "css_raw": sum(len(d) for d in css.values()),
        "css_gzip": sum(gz(d) for d in css.values()),
        "html_raw": len(html),
        "html_gzip": gz(html),
        "js_files": len(js),
        "css_files": len(css),
        "lazy_js_raw": sum(len(d) for d in lazy.values()),
        "lazy_js_gzip": sum(gz(d) for d in lazy.values()),
        "largest_js": sorted(
            ({"file": p.name, "raw": len(d), "gzip": gz(d)} for p, d in js.items()), key=lambda f: -f["gzip"]
        )[:5],
    }


def measure(build: Path, routes: list[str]) -> dict[str, dict]:
    result = {}
    for route in routes:
        html = build / route.strip("/") / "index.html" if route != "/" else build / "index.html"
        if html.is_file():
            result[route] = route_weight(build, html)
    return result


def blank_page(work: Path, reflex: Path, env: dict[str, str]) -> dict:
    """The weight of "/" of a blank Reflex app, built in `work` with the `reflex` executable."""
    for name, text in BLANK_APP.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    subprocess.run(
        [str(reflex), "export", "--frontend-only", "--no-zip"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return route_weight(work / ".web/build/client", work / ".web/build/client/index.html")


def over_blank(weight: dict[str, dict], blank: dict) -> dict[str, dict]:
    """Per route: the JS gzip bytes over the blank page's, and whether that is within budget."""
    return {
        route: {
            "js_gzip_over_blank": w["js_gzip"] - blank["js_gzip"],
            "within_budget": w["js_gzip"] - blank["js_gzip"] <= BUDGET_OVER_BLANK_BYTES,
        }
        for route, w in weight.items()
    }
