"""What the meeting page costs to load: its files (gzip) and the time until Join can be pressed.

    make frontend && make bench-bundle       (or: uv run python bench/bundle.py --loads 5)

Builds nothing: it serves the bundle already in src/parley/static/dist. The room's owner
opens the meeting page in a real Chromium page; every file the page fetches is read from
Playwright's response events and compressed with gzip -9. A file counts as first load when
the page's HTML names it (a script, a stylesheet, a module preload) or when such a file
imports it statically (`import ... from`, CSS `@import`): the page cannot run without it.
Anything else it fetches (a dynamic `import()`, such as the documents bundle) is lazy, shown
with the moment it was fetched. The first load's JS and CSS are compared with the budget.

Then the time to interactive on loopback: from navigation start to the pre-join screen's
Join button being visible and enabled, the median of `--loads` loads, each in a new browser
context (a cold cache), after one load that warms the server up.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import signal
import statistics
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Response, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.people import PASSWORD, make_member  # noqa: E402
from tests.browser.server import ParleyServer  # noqa: E402

DIST = ROOT / "src" / "parley" / "static" / "dist"
OWNER = "owner@example.org"
BUDGET_KIB = 200  # gzip, JS and CSS of the first load
# Files fetched this long after the Join button is ready still count (lazy ones come late).
SETTLE_MS = 3000

# Static imports in (minified or not) JavaScript, and @import in CSS; `import(` is dynamic.
JS_IMPORT = re.compile(r"""\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"'\s]+)["']""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""")

# Notes, in the page's own clock (0 is navigation start), when the Join button of the
# pre-join screen is first visible and enabled: on every DOM change and every frame.
JOIN_READY = """(() => {
  const ready = () => {
    const button = document.getElementById("join-button")
      || [...document.querySelectorAll("button")].find((b) => /^join/i.test(b.textContent.trim()));
    if (!button || button.disabled || button.getAttribute("aria-disabled") === "true") return false;
    return button.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  };
  const check = () => {
    if (window.__joinReady !== undefined) return;
    if (ready()) window.__joinReady = performance.now();
    else requestAnimationFrame(check);
  };
  const everything = { subtree: true, childList: true, attributes: true };
  new MutationObserver(check).observe(document, everything);
  requestAnimationFrame(check);
})();"""


class Tags(HTMLParser):
    """The files a page's HTML makes the browser fetch before it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        rel = (named.get("rel") or "").lower().split()
        if tag == "script" and named.get("src"):
            self.urls.append(named["src"] or "")
        elif tag == "link" and {"stylesheet", "modulepreload", "preload"} & set(rel):
            self.urls.append(named.get("href") or "")


def kind_of(url: str, content_type: str) -> str:
    path = urlsplit(url).path
    if path.endswith((".js", ".mjs")) or "javascript" in content_type:
        return "JS"
    if path.endswith(".css") or "text/css" in content_type:
        return "CSS"
    if "text/html" in content_type:
        return "HTML"
    return "other"


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def first_load(page_url: str, html: str, bodies: dict[str, bytes]) -> set[str]:
    """The fetched files (without their query) the HTML needs: its tags, and what they import."""
    tags = Tags()
    tags.feed(html)
    todo = [urljoin(page_url, u) for u in tags.urls if u]
    needed: set[str] = set()
    fetched = {without_query(u): u for u in bodies}
    while todo:
        url = without_query(todo.pop())
        if url in needed or url not in fetched:
            continue
        needed.add(url)
        text = bodies[fetched[url]].decode("utf-8", "replace")
        pattern = CSS_IMPORT if url.endswith(".css") else JS_IMPORT
        todo += [urljoin(fetched[url], found) for found in pattern.findall(text)]
    return needed


def new_owner_context(browser: Browser, server: ParleyServer) -> tuple[BrowserContext, str]:
    """A context of its own (an empty cache), logged in as the owner through the API; and
    the CSRF token the API gave."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    login = context.request.post("/api/v1/auth/login", data={"email": OWNER, "password": PASSWORD})
    if not login.ok:
        raise RuntimeError(f"the owner could not log in: {login.status} {login.text()}")
    context.add_init_script(JOIN_READY)
    token: str = login.json()["csrf_token"]
    return context, token


def load(browser: Browser, server: ParleyServer, url: str) -> dict[str, Any]:
    """Open the meeting page once; its time to a ready Join button and what it fetched."""
    context, _token = new_owner_context(browser, server)
    try:
        page = context.new_page()
        responses: list[Response] = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url)
        page.wait_for_function("() => window.__joinReady !== undefined")
        ready_ms: float = page.evaluate("() => window.__joinReady")
        page.wait_for_timeout(SETTLE_MS)
        timing = page.evaluate(
            """() => Object.fromEntries(performance.getEntriesByType("resource")
                .map((entry) => [entry.name, entry.startTime]))"""
        )
        files = []
        for response in responses:
            # The page's data (API answers) and sockets are not part of the bundle.
            if response.request.resource_type in {"fetch", "xhr", "websocket", "eventsource"}:
                continue
            if response.status != 200 or response.request.method != "GET":
                continue
            content_type = response.headers.get("content-type", "")
            files.append(
                {
                    "url": response.url,
                    "kind": kind_of(response.url, content_type),
                    "body": response.body(),
                    "started_ms": timing.get(response.url, 0.0),
                }
            )
        return {"ready_ms": ready_ms, "files": files, "html": page.url}
    finally:
        context.close()


def kib(size: float) -> str:
    return f"{size / 1024:7.1f}"


def report_files(page_url: str, files: list[dict[str, Any]], ready_ms: float) -> None:
    document = next((f for f in files if f["kind"] == "HTML" and f["url"] == page_url), None)
    if document is None:
        raise RuntimeError(f"the meeting page's own HTML was not among the responses: {page_url}")
    assets = [f for f in files if f is not document and f["kind"] != "HTML"]
    needed = first_load(page_url, document["body"].decode(), {f["url"]: f["body"] for f in assets})
    for f in assets:
        f["gzip"] = len(gzip.compress(f["body"], compresslevel=9, mtime=0))
        f["first"] = without_query(f["url"]) in needed

    print(f"one cold load (Join ready at {ready_ms:.0f} ms):")
    print(f"{'file':44} {'kind':5} {'raw KiB':>8} {'gzip KiB':>8}  loaded")
    html_gzip = len(gzip.compress(document["body"], compresslevel=9, mtime=0))
    print(
        f"{'(the meeting page HTML)':44} {'HTML':5} {kib(len(document['body'])):>8} "
        f"{kib(html_gzip):>8}  first"
    )
    for f in sorted(assets, key=lambda f: (not f["first"], f["started_ms"])):
        when = "first" if f["first"] else f"lazily, fetched at {f['started_ms']:.0f} ms"
        print(
            f"{urlsplit(f['url']).path[-44:]:44} {f['kind']:5} {kib(len(f['body'])):>8} "
            f"{kib(f['gzip']):>8}  {when}"
        )
    print()
    totals = {}
    for kind in ("JS", "CSS", "other"):
        for first in (True, False):
            chosen = [f for f in assets if f["kind"] == kind and f["first"] == first]
            totals[kind, first] = (
                sum(len(f["body"]) for f in chosen),
                sum(f["gzip"] for f in chosen),
            )
    js_raw, js_gzip = totals["JS", True]
    css_raw, css_gzip = totals["CSS", True]
    first_gzip = js_gzip + css_gzip
    print(
        f"first load (gzip -9): JS {kib(js_gzip).strip()} KiB ({kib(js_raw).strip()} raw), "
        f"CSS {kib(css_gzip).strip()} KiB ({kib(css_raw).strip()} raw); "
        f"JS + CSS {kib(first_gzip).strip()} KiB against the {BUDGET_KIB} KiB budget: "
        f"{'within' if first_gzip <= BUDGET_KIB * 1024 else 'OVER'} "
        f"({100 * first_gzip / (BUDGET_KIB * 1024):.0f} %)"
    )
    if totals["other", True][1]:
        print(
            f"  and other files (fonts, images): {kib(totals['other', True][1]).strip()} KiB gzip"
        )
    lazy = [f for f in assets if not f["first"]]
    lazy_gzip = sum(f["gzip"] for f in lazy)
    before_ready = [f for f in lazy if f["started_ms"] <= ready_ms]
    print(
        f"lazy (gzip -9): {kib(lazy_gzip).strip()} KiB in {len(lazy)} file(s) "
        f"(JS {kib(totals['JS', False][1]).strip()}, CSS {kib(totals['CSS', False][1]).strip()}); "
        f"{len(before_ready)} of them requested before the Join button was ready"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, default=5, help="cold loads for the median")
    args = parser.parse_args()
    if args.loads < 1:
        parser.error("--loads is at least 1")
    if not (DIST / "app.js").exists():
        raise SystemExit(f"No bundle in {DIST.relative_to(ROOT)}: run `make frontend` first.")
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is missing: install Debian's 'chromium' (make browser).")
    # Stopped from outside (SIGTERM): unwind like an interrupt, closing browser and server.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    start_load = os.getloadavg()
    with tempfile.TemporaryDirectory() as workdir, ParleyServer(Path(workdir)) as server:
        make_member(server, OWNER, "Olive Owner", admin=True)  # the first account: no set-up page
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context, token = new_owner_context(browser, server)
                headers = {"x-csrf-token": token}
                room = context.request.post(
                    "/api/v1/rooms", data={"name": "Bundle"}, headers=headers
                ).json()
                opened = context.request.post(f"/api/v1/rooms/{room['id']}/open", headers=headers)
                if not opened.ok:
                    raise RuntimeError(f"the room did not open: {opened.text()}")
                context.close()
                first = load(browser, server, room["url"])  # warms the server up
                report_files(first["html"], first["files"], first["ready_ms"])
                times = [load(browser, server, room["url"])["ready_ms"] for _ in range(args.loads)]
            finally:
                browser.close()
    end_load = os.getloadavg()
    print(
        f"time to interactive (navigation start -> Join visible and enabled), loopback, "
        f"cold cache: median {statistics.median(times):.0f} ms of {len(times)} "
        f"(min {min(times):.0f}, max {max(times):.0f}; "
        f"{', '.join(f'{t:.0f}' for t in times)})"
    )
    print(
        f"machine load (1, 5, 15 min; {os.cpu_count()} CPUs): "
        f"start {' '.join(f'{x:.2f}' for x in start_load)}, "
        f"end {' '.join(f'{x:.2f}' for x in end_load)}"
    )


if __name__ == "__main__":
    main()
