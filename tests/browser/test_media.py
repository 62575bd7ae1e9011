"""Audio, video and screen sharing peer to peer, between real Chromium pages (fake devices)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, wait_until
from tests.browser.people import (
    act_on,
    arrive_as_guest,
    choose,
    join_meeting,
    make_member,
    my_id,
    open_new_room,
    open_panel,
    plays,
)
from tests.browser.server import ParleyServer

# What this page receives from each other participant, from the browser's own statistics.
INBOUND = """async () => {
    const media = window.parleyMedia;
    const result = {};
    if (!media || !media.transport) return result;
    for (const [id, peer] of media.transport.peers) {
        const totals = {frames: 0, audio_packets: 0, audio_energy: 0};
        for (const stats of (await peer.pc.getStats()).values()) {
            if (stats.type !== "inbound-rtp") continue;
            if (stats.kind === "video") totals.frames += stats.framesDecoded || 0;
            if (stats.kind === "audio") {
                totals.audio_packets += stats.packetsReceived || 0;
                totals.audio_energy += stats.totalAudioEnergy || 0;
            }
        }
        result[id] = totals;
    }
    return result;
}"""


def inbound(page: Page) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = page.evaluate(INBOUND)
    return result


def sees_video_and_hears(page: Page, other: Page) -> bool:
    got = inbound(page).get(my_id(other), {})
    return bool(got) and got["frames"] > 0 and got["audio_packets"] > 0


def test_two_people_see_and_hear_each_other_mute_share_leave_and_reload(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Physics lab")
    ada.goto(link)
    # The pre-join screen: a live preview and the microphone's level, before anyone sees us.
    expect(ada.locator("#preview-video")).to_be_visible()
    wait_until(lambda: ada.locator("#preview-video").evaluate("v => v.videoWidth > 0"), "preview")
    expect(ada.locator("#connectivity-list")).to_contain_text("Direct connection: works")
    expect(ada.get_by_label("Camera", exact=True)).not_to_be_empty()
    screenshot(ada, "prejoin-en")
    join_meeting(ada)

    bea = arrive_as_guest(new_page, link, "Bea")
    join_meeting(bea)
    ada_id, bea_id = my_id(ada), my_id(bea)
    wait_until(lambda: sees_video_and_hears(ada, bea), "Ada to receive Bea")
    wait_until(lambda: sees_video_and_hears(bea, ada), "Bea to receive Ada")
    wait_until(lambda: plays(ada, bea_id), "Bea's tile to play on Ada's page")
    wait_until(lambda: plays(bea, ada_id), "Ada's tile to play on Bea's page")
    assert inbound(ada)[bea_id]["audio_energy"] > 0  # the fake microphone's beeps arrive
    screenshot(ada, "meeting-video-two-en")

    # Bea mutes herself: Ada sees it, and no more sound leaves Bea's browser.
    bea.get_by_role("button", name="Mute", exact=True).click()
    expect(bea.get_by_role("button", name="Unmute")).to_be_visible()
    expect(ada.locator(f'[data-tile="{bea_id}"]').get_by_role("img", name="Microphone off"))
    open_panel(ada, "Participants")
    expect(
        ada.locator(f'#participant-list [data-participant="{bea_id}"]').get_by_role(
            "img", name="Microphone off"
        )
    ).to_be_visible()
    assert bea.evaluate("() => window.parleyMedia.local.mic === null")
    time.sleep(1)
    before = inbound(ada)[bea_id]["audio_packets"]
    time.sleep(1.5)
    assert inbound(ada)[bea_id]["audio_packets"] - before <= 2

    # Unmuted, then muted by the moderator: the microphone really stops.
    bea.get_by_role("button", name="Unmute").click()
    expect(bea.get_by_role("button", name="Mute", exact=True)).to_be_visible()
    wait_until(
        lambda: inbound(ada)[bea_id]["audio_packets"] > before + 20, "Bea's sound to come back"
    )
    act_on(ada, "Bea", "Mute")
    expect(bea.get_by_text("A moderator muted your microphone.")).to_be_visible()
    expect(bea.get_by_role("button", name="Unmute")).to_be_visible()
    assert bea.evaluate("() => window.parleyMedia.local.mic === null")

    # A shared screen reaches the other and is shown large.
    bea.get_by_role("button", name="Share the screen").click()
    expect(bea.get_by_role("button", name="Stop sharing")).to_be_visible()
    wait_until(lambda: plays(ada, f"{bea_id}:screen"), "Bea's screen on Ada's page")
    expect(ada.locator("#spotlight")).to_contain_text("Bea's screen")
    screenshot(ada, "meeting-screen-share-en")
    bea.get_by_role("button", name="Stop sharing").click()
    expect(ada.locator("#spotlight")).to_be_hidden()

    # Cameras locked by the moderator: Bea's goes off and cannot come back.
    choose(ada, "Moderation", "Cameras", "menuitemcheckbox")
    expect(ada.get_by_role("menuitemcheckbox", name="Cameras")).to_be_checked()
    ada.keyboard.press("Escape")
    expect(ada.get_by_role("menu", name="Moderation")).to_be_hidden()
    expect(bea.get_by_role("button", name="Start the camera")).to_be_disabled()
    assert bea.evaluate("() => window.parleyMedia.local.cam === null")
    expect(ada.locator(f'[data-tile="{bea_id}"] video')).to_have_count(0)
    choose(ada, "Moderation", "Cameras", "menuitemcheckbox")
    ada.keyboard.press("Escape")
    expect(bea.get_by_role("button", name="Start the camera")).to_be_enabled()
    bea.get_by_role("button", name="Start the camera").click()
    wait_until(lambda: plays(ada, bea_id), "Bea's camera back on Ada's page")

    # The server restarts: media flows on between the browsers, and the pages reconnect.
    frames = inbound(bea)[ada_id]["frames"]
    server.stop()
    expect(bea.locator("#connection-status").get_by_text("Reconnecting…")).to_be_visible()
    wait_until(
        lambda: inbound(bea)[ada_id]["frames"] > frames + 10, "video while the server is down"
    )
    server.start()
    expect(bea.locator("#connection-status").get_by_text("Reconnecting…")).to_be_hidden(
        timeout=20_000
    )

    # A reload brings Bea straight back (no pre-join the second time), seeing and seen.
    bea.reload()
    expect(bea.locator("#prejoin")).to_be_hidden()
    wait_until(lambda: plays(bea, ada_id), "Ada's video after Bea's reload", timeout=20)
    wait_until(lambda: plays(ada, bea_id), "Bea's video after her reload", timeout=20)

    # Bea leaves: her tile goes at once.
    bea.get_by_role("button", name="Leave").click()
    expect(ada.locator(f'[data-tile="{bea_id}"]')).to_have_count(0)
    expect(ada.locator("#participant-list")).not_to_contain_text("Bea")


def test_three_people_each_see_the_two_others(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "Trio")
    ada.goto(link)
    join_meeting(ada)
    bea = arrive_as_guest(new_page, link, "Bea")
    join_meeting(bea)
    cy = arrive_as_guest(new_page, link, "Cy")
    join_meeting(cy)
    pages = [ada, bea, cy]
    for page in pages:
        for other in pages:
            if other is not page:
                wait_until(lambda p=page, o=other: sees_video_and_hears(p, o), "a mesh of three")
    for page in pages:
        expect(page.locator("#tiles video")).to_have_count(3)
        # Each camera is sent twice in a mesh of three: at a lower bitrate than to one person.
        bitrates = page.evaluate(
            """() => [...window.parleyMedia.transport.peers.values()].map(
                (peer) => peer.senders.camera.getParameters().encodings[0].maxBitrate)"""
        )
        assert bitrates == [700_000, 700_000]
    screenshot(cy, "meeting-video-three-en")


def test_without_camera_permission_one_still_joins_and_receives(
    new_page: Callable[..., Page], server: ParleyServer
) -> None:
    make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
    ada = new_page()
    link = open_new_room(ada, "No devices")
    ada.goto(link)
    join_meeting(ada)

    refused = new_page()
    # The person refuses the browser's permission prompt.
    refused.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
    )
    refused.goto(link)
    refused.get_by_label("Your name").fill("Dee")
    refused.get_by_role("button", name="Start").click()
    expect(refused.get_by_role("alert")).to_contain_text("The browser refused access to the")
    expect(refused.locator("#prejoin-camera")).to_have_attribute("aria-pressed", "false")
    screenshot(refused, "prejoin-refused-en")
    refused.locator("#join-button").click()
    wait_until(lambda: plays(refused, my_id(ada)), "Ada's video for someone without devices")
    expect(refused.get_by_role("button", name="Start the camera")).to_be_visible()
    open_panel(ada, "Participants")
    expect(
        ada.locator(f'#participant-list [data-participant="{my_id(refused)}"]').get_by_role(
            "img", name="Microphone off"
        )
    ).to_be_visible()


def test_past_the_mesh_limit_people_are_told(new_page: Callable[..., Page], tmp_path: Path) -> None:
    with ParleyServer(tmp_path, extra_env={"PARLEY_MESH_LIMIT": "2"}) as server:
        make_member(server, "ada@example.org", "Ada Lovelace", admin=True)
        ada = new_page(base_url=server.url)
        link = open_new_room(ada, "Crowded")
        ada.goto(link)
        join_meeting(ada, camera=False)
        bea = arrive_as_guest(new_page, link, "Bea", base_url=server.url)
        join_meeting(bea, camera=False)
        cy = arrive_as_guest(new_page, link, "Cy", base_url=server.url)
        join_meeting(cy, camera=False)
        expect(cy.locator("#media-notice")).to_contain_text(
            "This meeting is too large for peer-to-peer audio and video (2 people at most)"
        )
        expect(cy.get_by_role("button", name="Unmute")).to_be_disabled()
        expect(ada.locator("#media-notice")).to_contain_text("This meeting has 3 people")
        # The first two are connected to each other only; the third to nobody.
        bea_id = my_id(bea)
        wait_until(lambda: set(inbound(ada)) == {bea_id}, "Ada connected to Bea only")
        assert inbound(cy) == {}
        screenshot(cy, "meeting-mesh-limit-en")
