"""Large meetings through a real Janus: Chromium, Parley and Janus in a network namespace."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    page_opener,
    screenshot,
    wait_until,
)
from tests.browser.people import (
    act_on,
    arrive_as_guest,
    join_meeting,
    make_member,
    my_id,
    open_new_room,
    plays,
)
from tests.browser.server import ParleyServer
from tests.janus import JanusProcess, Namespace, janus_nodes, require_janus

# What each page receives through the SFU, per participant, from the browser's statistics.
RECEIVED = """async () => {
    const media = window.parleyMedia;
    const result = {};
    const transport = media && media.transport;
    if (!transport || !transport.subscriber) return result;
    const byMid = new Map((transport.subscriber.streams || []).map((s) => [s.mid, s]));
    for (const stats of (await transport.subscriber.pc.getStats()).values()) {
        if (stats.type !== "inbound-rtp") continue;
        const stream = byMid.get(stats.mid);
        const feed = stream && transport.feeds.get(stream.feed_id);
        if (!feed) continue;
        const key = feed.participant;
        const totals = result[key] || (result[key] = {frames: 0, audio: 0});
        if (stats.kind === "video") totals.frames += stats.framesDecoded || 0;
        else totals.audio += stats.packetsReceived || 0;
    }
    return result;
}"""


# What a page's SFU transport holds, printed when a test fails.
TRANSPORT_STATE = """() => {
    const t = window.parleyMedia.transport;
    const sub = t.subscriber;
    return JSON.stringify({
        mode: window.parleyMedia.mode,
        feeds: [...t.feeds],
        wanted: [...(t.wanted || [])],
        sub: sub && {streams: sub.streams, current: [...sub.current], pc: sub.pc.connectionState},
        pub: t.publisher && {id: t.publisher.id, state: t.publisher.pc.connectionState},
    });
}"""


def received(page: Page) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = page.evaluate(RECEIVED)
    return result


def on_sfu(page: Page) -> bool:
    return bool(page.evaluate("() => window.parleyMedia && window.parleyMedia.mode === 'sfu'"))


def gets_video_and_sound(page: Page, other: str, more_than: dict[str, int] | None = None) -> bool:
    got = received(page).get(other, {})
    base = more_than or {"frames": 0, "audio": 0}
    return got.get("frames", 0) > base["frames"] + 5 and got.get("audio", 0) > base["audio"] + 5


@pytest.fixture(scope="module")
def namespace() -> Iterator[Namespace]:
    require_janus()
    with Namespace() as made:
        yield made


@pytest.fixture(scope="module")
def ns_browser(
    playwright: Playwright, namespace: Namespace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    wrapper = namespace.chromium_wrapper(tmp_path_factory.mktemp("chromium"), CHROMIUM)
    chromium = playwright.chromium.launch(executable_path=wrapper, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def sfu_env() -> dict[str, str]:
    """Settings for the test's Parley: meetings of 3 go to the SFU (a test may change them)."""
    return {"PARLEY_SFU_THRESHOLD": "3", "PARLEY_JANUS_HEALTH_SECONDS": "0.5"}


@pytest.fixture
def sfu(
    namespace: Namespace, tmp_path: Path, sfu_env: dict[str, str]
) -> Iterator[tuple[ParleyServer, JanusProcess]]:
    """Parley with one Janus node, both inside the namespace."""
    with (
        janus_nodes(tmp_path, 1, namespace) as (env, nodes),
        ParleyServer(
            tmp_path,
            extra_env={**env, **sfu_env},
            prefix=namespace.prefix(),
            probe=namespace.answers,
        ) as server,
    ):
        yield server, nodes[0]


@pytest.fixture
def ns_page(
    ns_browser: Browser, sfu: tuple[ParleyServer, JanusProcess]
) -> Iterator[Callable[..., Page]]:
    with page_opener(ns_browser, sfu[0].url, timeout_ms=15_000) as open_page:
        yield open_page


def janus_room_of(page: Page) -> int:
    return int(page.evaluate("() => window.parleyMedia.transport.config.janus.room"))


def displays(janus: JanusProcess, room: int) -> set[str]:
    return {json.loads(p["display"])["p"] for p in janus.participants(room) if p.get("display")}


def test_a_growing_meeting_moves_to_the_sfu_three_see_each_other_and_a_removed_one_is_cut(
    ns_page: Callable[..., Page], sfu: tuple[ParleyServer, JanusProcess]
) -> None:
    server, janus = sfu
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = ns_page()
    link = open_new_room(ada, "Assembly")
    ada.goto(link)
    join_meeting(ada)
    bea = arrive_as_guest(ns_page, link, "Bea")
    join_meeting(bea)
    ada_id, bea_id = my_id(ada), my_id(bea)
    # Two people: peer to peer, as before.
    time.sleep(1)
    assert not on_sfu(ada) and not on_sfu(bea)

    cy = arrive_as_guest(ns_page, link, "Cy")
    join_meeting(cy)
    cy_id = my_id(cy)
    # The third arrival moves everyone's media to the SFU, without anyone reloading.
    for page in (ada, bea, cy):
        wait_until(lambda page=page: on_sfu(page), "the meeting to move to the SFU")
    pages = {ada_id: ada, bea_id: bea, cy_id: cy}
    for me, page in pages.items():
        for other in pages:
            if other != me:
                try:
                    wait_until(
                        lambda page=page, other=other: gets_video_and_sound(page, other),
                        f"{me} to receive {other} through Janus",
                        timeout=30,
                    )
                except AssertionError:
                    for p in pages.values():
                        print("transport:", p.evaluate(TRANSPORT_STATE), received(p))
                    raise
                wait_until(lambda page=page, other=other: plays(page, other), "a playing tile")
    assert ada.evaluate("() => window.parleyMedia.transport.peers.size") == 0  # no mesh left
    # Each camera reaches Janus in simulcast (the layers each page then chooses from).
    feeds = ada.evaluate("() => [...window.parleyMedia.transport.feeds.values()]")
    assert len(feeds) == 2
    for feed in feeds:
        assert [s.get("simulcast") for s in feed["streams"] if s["type"] == "video"] == [True]
    room = janus_room_of(ada)
    assert displays(janus, room) == {ada_id, bea_id, cy_id}
    screenshot(ada, "meeting-sfu-three-en")

    # Bea shares her screen: a publisher of its own, received by the others, shown large.
    bea.get_by_role("button", name="Share the screen").click()
    wait_until(lambda: plays(ada, f"{bea_id}:screen"), "Bea's screen on Ada's page", 30)
    wait_until(lambda: plays(cy, f"{bea_id}:screen"), "Bea's screen on Cy's page", 30)
    expect(ada.locator("#spotlight")).to_contain_text("Bea's screen")
    assert len({json.loads(p["display"])["k"] for p in janus.participants(janus_room_of(ada))}) == 2
    bea.get_by_role("button", name="Stop sharing").click()
    expect(ada.locator("#spotlight")).to_be_hidden()

    # Cy is removed by the moderator: gone from Janus too, and Cy's way in no longer works.
    cy_config: dict[str, Any] = cy.evaluate("() => window.parleyMedia.transport.config.janus")
    act_on(ada, "Cy", "Remove from the meeting")
    expect(cy.get_by_text("You were removed from the meeting.")).to_be_visible()
    wait_until(lambda: cy_id not in displays(janus, room), "Cy to be cut from Janus")
    assert displays(janus, room) == {ada_id, bea_id}
    before = received(bea).get(cy_id, {}).get("frames", 0)
    time.sleep(1)
    assert received(bea).get(cy_id, {}).get("frames", 0) <= before + 1  # nothing more of Cy

    # A hand-made client with Cy's old join token and a valid Janus token is refused.
    assert janus.try_join(room, janus.token(), cy_config["join_token"]) == 433
    # And Cy's own Janus token opens nothing either once Parley refuses new ones: it was
    # signed for minutes; Parley no longer hands Cy any (the meeting says Cy is out).
    assert cy_id not in displays(janus, room)


def test_janus_restarting_mid_meeting_brings_media_back_by_itself(
    ns_page: Callable[..., Page], sfu: tuple[ParleyServer, JanusProcess]
) -> None:
    server, janus = sfu
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = ns_page()
    link = open_new_room(ada, "Always SFU")
    # The room is set to use the media server from the first person on.
    ada.get_by_label("Always use the media server").check()
    ada.get_by_role("button", name="Save the settings").click()
    expect(ada.get_by_text("Settings saved.")).to_be_visible()
    screenshot(ada, "room-settings-media-server-en")
    ada.goto(link)
    join_meeting(ada)
    bea = arrive_as_guest(ns_page, link, "Bea")
    join_meeting(bea)
    ada_id, bea_id = my_id(ada), my_id(bea)
    wait_until(lambda: on_sfu(ada) and on_sfu(bea), "both on the SFU from the start")
    wait_until(lambda: gets_video_and_sound(bea, ada_id), "Bea to receive Ada", timeout=30)
    wait_until(lambda: gets_video_and_sound(ada, bea_id), "Ada to receive Bea", timeout=30)

    janus.restart()  # killed (SIGKILL) and started again: every room and session is lost
    expect(bea.get_by_text("Reconnecting to the media server…")).to_be_visible()
    # Nobody does anything: the pages reconnect, Parley makes the room again, media flow.
    wait_until(lambda: gets_video_and_sound(bea, ada_id), "Ada's media back on Bea's page", 40)
    wait_until(lambda: gets_video_and_sound(ada, bea_id), "Bea's media back on Ada's page", 40)
    wait_until(lambda: plays(bea, ada_id), "Ada's tile to play again")
    expect(bea.get_by_text("Reconnecting to the media server…")).to_be_hidden()
    assert displays(janus, janus_room_of(ada)) == {ada_id, bea_id}
    ada.goto("/admin/rooms")
    expect(ada.get_by_role("heading", name="Media servers")).to_be_visible()
    expect(ada.get_by_text("Answers")).to_be_visible()
    screenshot(ada, "admin-media-servers-en")


VIDEOS_SHOWN = """() => {
    const t = window.parleyMedia.transport;
    const shown = {audio: [], video: []};
    for (const s of (t.subscriber && t.subscriber.streams) || []) {
        const feed = t.feeds.get(s.feed_id);
        if (feed && s.active !== false) shown[s.type].push(feed.participant);
    }
    return shown;
}"""


@pytest.mark.parametrize("sfu_env", [{"PARLEY_SFU_THRESHOLD": "2", "PARLEY_SFU_VIDEOS": "1"}])
def test_pages_receive_everyone_s_audio_and_a_bounded_number_of_videos_the_pinned_first(
    ns_page: Callable[..., Page], sfu: tuple[ParleyServer, JanusProcess]
) -> None:
    server, _janus = sfu
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = ns_page()
    link = open_new_room(ada, "One video")
    ada.goto(link)
    join_meeting(ada)
    others = {}
    for name in ("Bea", "Cy"):
        page = arrive_as_guest(ns_page, link, name)
        join_meeting(page)
        others[name] = my_id(page)
    bea_id, cy_id = others["Bea"], others["Cy"]

    def shown() -> dict[str, list[str]]:
        result: dict[str, list[str]] = ada.evaluate(VIDEOS_SHOWN)
        return result

    # Everyone's sound, one video only (this site shows one).
    wait_until(lambda: sorted(shown()["audio"]) == sorted([bea_id, cy_id]), "both voices", 30)
    wait_until(lambda: len(shown()["video"]) == 1, "one video", 30)
    wait_until(lambda: gets_video_and_sound(ada, shown()["video"][0]), "that video playing", 30)
    # Ada pins the one she does not see: it becomes the video she receives.
    hidden = cy_id if shown()["video"] == [bea_id] else bea_id
    name = "Cy" if hidden == cy_id else "Bea"
    ada.get_by_role("button", name=f"Pin: {name}").click()
    wait_until(lambda: shown()["video"] == [hidden], "the pinned person's video", 20)
    wait_until(lambda: plays(ada, hidden), "the pinned tile to play", 20)
    assert sorted(shown()["audio"]) == sorted([bea_id, cy_id])
    screenshot(ada, "meeting-sfu-pinned-en")
