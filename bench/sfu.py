"""Mesh against SFU, in one run: what media cost the browsers and Janus, and the first frame.

    make bench-sfu             (or: uv run python bench/sfu.py --seconds 4 --samples 3)

Everything runs in a network namespace made here (Janus, `parley serve`, one Chromium with a
context per person, fake camera and microphone), as the SFU tests do. Scenarios, each in a
new room, peer to peer and then through Janus: one publisher (camera and microphone) to 1, 3
and 6 subscribers (no devices), and 3 participants all publishing. Once every page receives
every video, CPU is sampled over `--samples` windows of `--seconds` (medians printed), as a
percentage of one core, for Chromium (all its processes) and for Janus, with their memory
(PSS). Then join-to-first-frame: a person presses Join, with a publisher already in the
meeting; from the click to the first decoded frame of the publisher's video, mesh and SFU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.people import (  # noqa: E402
    arrive_as_guest,
    join_meeting,
    make_member,
    open_new_room,
)
from tests.browser.server import ParleyServer  # noqa: E402
from tests.janus import Namespace, janus_nodes  # noqa: E402

# Remote videos this page decodes, by participant, peer to peer or through the SFU.
FRAMES = """async () => {
    const media = window.parleyMedia;
    const result = {};
    const t = media && media.transport;
    if (!t) return result;
    const add = (who, frames) => { result[who] = (result[who] || 0) + frames; };
    for (const [id, peer] of t.peers || []) {
        for (const s of (await peer.pc.getStats()).values()) {
            if (s.type === "inbound-rtp" && s.kind === "video") add(id, s.framesDecoded || 0);
        }
    }
    if (t.subscriber) {
        const byMid = new Map((t.subscriber.streams || []).map((s) => [s.mid, s]));
        for (const s of (await t.subscriber.pc.getStats()).values()) {
            if (s.type !== "inbound-rtp" || s.kind !== "video") continue;
            const feed = byMid.get(s.mid) && t.feeds.get(byMid.get(s.mid).feed_id);
            if (feed) add(feed.participant, s.framesDecoded || 0);
        }
    }
    return result;
}"""

# Bytes this page has sent (all its connections): what its uplink carries.
SENT = """async () => {
    const t = window.parleyMedia && window.parleyMedia.transport;
    if (!t) return 0;
    const pcs = [...(t.peers || new Map()).values()].map((p) => p.pc);
    for (const p of [t.publisher, t.screenPublisher]) if (p && p.pc) pcs.push(p.pc);
    let sent = 0;
    for (const pc of pcs) {
        for (const s of (await pc.getStats()).values()) {
            if (s.type === "outbound-rtp") sent += s.bytesSent || 0;
        }
    }
    return sent;
}"""

# Click Join and resolve with the milliseconds until the first remote video frame decodes.
JOIN_TO_FRAME = (
    """async () => {
    const frames = """
    + FRAMES
    + """;
    const started = performance.now();
    document.getElementById("join-button").click();
    while (true) {
        const got = await frames();
        if (Object.values(got).some((n) => n > 0)) return performance.now() - started;
        await new Promise((r) => setTimeout(r, 5));
    }
}"""
)

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / HZ


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def process_tree(namespace: Namespace, marker: str) -> list[int]:
    """The processes of the Chromium launched with `--parley-bench=<marker>`, children too."""
    pids = subprocess.run(
        ["ip", "netns", "pids", namespace.name], capture_output=True, text=True, check=True
    ).stdout.split()
    parents, roots = {}, set()
    for pid in map(int, pids):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        parents[pid] = int(stat[1])
        if f"--parley-bench={marker}".encode() in command and b"--type=" not in command:
            roots.add(pid)
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return sorted(found)


def sample(namespace: Namespace, janus_pid: int, seconds: float, count: int) -> dict[str, float]:
    """Median CPU (% of one core) and memory of each Chromium and Janus over `count` windows."""
    groups: dict[str, Callable[[], list[int]]] = {
        "publishers": lambda: process_tree(namespace, "publishers"),
        "viewers": lambda: process_tree(namespace, "viewers"),
        "janus": lambda: [janus_pid],
    }
    cpu: dict[str, list[float]] = {name: [] for name in groups}
    for _ in range(count):
        pids = {name: find() for name, find in groups.items()}
        before = {name: sum(cpu_seconds(p) for p in found) for name, found in pids.items()}
        time.sleep(seconds)
        for name, found in pids.items():
            used = sum(cpu_seconds(p) for p in found) - before[name]
            cpu[name].append(used / seconds * 100)
    figures = {f"{name}_cpu": statistics.median(values) for name, values in cpu.items()}
    for name, find in groups.items():
        figures[f"{name}_mb"] = sum(pss_mb(p) for p in find())
    return figures


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


class Bench:
    """Publishers in one Chromium, viewers in another: each one's cost is its own."""

    def __init__(self, publishers: Browser, viewers: Browser, server: ParleyServer) -> None:
        self.browsers = {"publishers": publishers, "viewers": viewers}
        self.server = server
        self.rooms = 0
        self.pages: list[Page] = []

    def page(self, role: str = "publishers") -> Page:
        context = self.browsers[role].new_context(
            base_url=self.server.url, viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        self.pages.append(page)
        return page

    def close_all(self) -> None:
        for page in self.pages:
            page.context.close()
        self.pages.clear()

    def room(self, sfu: bool) -> tuple[Page, str]:
        """A new room (set to use the SFU or not), its owner's page on the room's page."""
        self.rooms += 1
        owner = self.page()
        link = open_new_room(owner, f"Bench {self.rooms}")
        if sfu:
            owner.get_by_label("Always use the media server").check()
            owner.get_by_role("button", name="Save the settings").click()
            owner.get_by_text("Settings saved.").wait_for()
        return owner, link

    def scenario(self, sfu: bool, publishers: int, subscribers: int) -> list[Page]:
        owner, link = self.room(sfu)
        owner.goto(link)
        join_meeting(owner)
        pages = [owner]
        for n in range(1, publishers):
            page = arrive_as_guest(lambda: self.page(), link, f"Publisher {n}")
            join_meeting(page)
            pages.append(page)
        for n in range(subscribers):
            page = arrive_as_guest(lambda: self.page("viewers"), link, f"Viewer {n}")
            join_meeting(page, camera=False, microphone=False)
            pages.append(page)
        ids = [
            p.evaluate("() => window.parleyMedia.you && window.parleyMedia.you.id") for p in pages
        ]
        senders = set(ids[:publishers])

        def everyone_receives() -> bool:
            for page, me in zip(pages, ids, strict=True):
                got: dict[str, Any] = page.evaluate(FRAMES)
                if any(got.get(s, 0) < 10 for s in senders - {me}):
                    return False
            return True

        try:
            wait_for(everyone_receives, "every page to receive every video", timeout=90)
        except RuntimeError:
            for page, me in zip(pages, ids, strict=True):
                print(f"  {me} receives {page.evaluate(FRAMES)}", file=sys.stderr)
            raise
        return pages

    def first_frame(self, sfu: bool) -> float:
        owner, link = self.room(sfu)
        owner.goto(link)
        join_meeting(owner)
        guest = arrive_as_guest(lambda: self.page("viewers"), link, "Newcomer")
        guest.locator("#prejoin").wait_for()
        guest.wait_for_function("() => document.getElementById('preview-video').videoWidth > 0")
        milliseconds: float = guest.evaluate(JOIN_TO_FRAME)
        return milliseconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one CPU window")
    parser.add_argument("--samples", type=int, default=3, help="CPU windows per scenario")
    parser.add_argument("--runs", type=int, default=5, help="join-to-first-frame runs per mode")
    parser.add_argument("--subscribers", default="1,3,6", help="viewers of one publisher")
    parser.add_argument("--all-publishing", type=int, default=3, help="people all publishing")
    args = parser.parse_args()
    counts = [int(n) for n in args.subscribers.split(",")]

    with tempfile.TemporaryDirectory() as folder, Namespace() as namespace:
        workdir = Path(folder)

        with janus_nodes(workdir, 1, namespace) as (env, nodes):
            env = {**env, "PARLEY_SFU_THRESHOLD": "1000", "PARLEY_MESH_LIMIT": "12"}
            janus = nodes[0]
            with ParleyServer(
                workdir, extra_env=env, prefix=namespace.prefix(), probe=namespace.answers
            ) as server:
                make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
                wrapper = namespace.chromium_wrapper(workdir, CHROMIUM)
                with sync_playwright() as driver:
                    browsers = [
                        driver.chromium.launch(
                            executable_path=wrapper, args=[*CHROMIUM_ARGS, f"--parley-bench={role}"]
                        )
                        for role in ("publishers", "viewers")
                    ]
                    bench = Bench(*browsers, server)
                    run(bench, namespace, janus.pid(), args, counts)
                    for browser in browsers:
                        browser.close()


def run(
    bench: Bench, namespace: Namespace, janus_pid: int, args: argparse.Namespace, counts: list[int]
) -> None:
    print("CPU in % of one core (medians), memory in MB (PSS); publishers' and viewers' Chromium;")
    print("upload: what one publisher sends, in kbit/s")
    print(
        f"{'scenario':<25} {'mode':<5} {'pub CPU':>8} {'pub MB':>7} {'upload':>7} {'view CPU':>9}"
        f" {'view MB':>8} {'Janus CPU':>10} {'Janus MB':>9}"
    )
    rows = [(1, n) for n in counts] + [(args.all_publishing, 0)]
    for publishers, subscribers in rows:
        for sfu in (False, True):
            pages = bench.scenario(sfu, publishers, subscribers)
            sent = [page.evaluate(SENT) for page in pages[:publishers]]
            started = time.monotonic()
            f = sample(namespace, janus_pid, args.seconds, args.samples)
            elapsed = time.monotonic() - started
            sent = [page.evaluate(SENT) - before for page, before in zip(pages, sent, strict=False)]
            upload = statistics.median(sent) * 8 / 1000 / elapsed
            label = (
                f"1 publisher, {subscribers} viewers"
                if publishers == 1
                else f"{publishers} all publishing"
            )
            print(
                f"{label:<25} {'sfu' if sfu else 'mesh':<5} {f['publishers_cpu']:>8.0f}"
                f" {f['publishers_mb']:>7.0f} {upload:>7.0f} {f['viewers_cpu']:>9.0f}"
                f" {f['viewers_mb']:>8.0f} {f['janus_cpu']:>10.1f} {f['janus_mb']:>9.0f}",
                flush=True,
            )
            bench.close_all()
    print()
    for sfu in (False, True):
        times = []
        for _ in range(args.runs):
            times.append(bench.first_frame(sfu))
            bench.close_all()
        shown = ", ".join(f"{t:.0f}" for t in times)
        print(
            f"join to first frame, {'sfu' if sfu else 'mesh':<4}: median"
            f" {statistics.median(times):.0f} ms ({shown})",
            flush=True,
        )


if __name__ == "__main__":
    main()
