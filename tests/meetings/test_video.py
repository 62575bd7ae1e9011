"""Shared videos: which addresses are accepted, and who may share and drive them."""

from __future__ import annotations

import httpx
import pytest

from parley.media.video_links import BadVideo, parse
from tests.browser.server import ParleyServer
from tests.meetings.client import Participant

PEERTUBE = ["videos.example.org"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3",
            {"provider": "youtube", "id": "dQw4w9WgXcQ"},
        ),
        ("https://youtu.be/dQw4w9WgXcQ", {"provider": "youtube", "id": "dQw4w9WgXcQ"}),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", {"provider": "youtube", "id": "dQw4w9WgXcQ"}),
        ("https://vimeo.com/76979871", {"provider": "vimeo", "id": "76979871"}),
        ("https://player.vimeo.com/video/76979871", {"provider": "vimeo", "id": "76979871"}),
        (
            "https://videos.example.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
            {"provider": "peertube", "id": "9c9de5e8-0a1e-484a-b099-e80766180a6d"},
        ),
        ("https://cdn.example.org/talks/intro.MP4?sig=abc", {"provider": "file"}),
        ("http://127.0.0.1:8080/clock.webm", {"provider": "file"}),
    ],
)
def test_accepted_addresses(url: str, expected: dict[str, str]) -> None:
    video = parse(url, peertube_hosts=PEERTUBE)
    assert {k: video[k] for k in expected} == expected
    assert video["url"].startswith(("https://", "http://"))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//.mp4",
        "data:video/mp4;base64,AAAA",
        "ftp://files.example.org/a.mp4",
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=<script>",
        'https://www.youtube.com/watch?v=dQw4w9WgXcQ"onload="x',
        "https://videos.unknown.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
        "http://videos.example.org/w/9c9de5e8",
        "https://user:secret@cdn.example.org/a.mp4",
        "https://vimeo.com/channels/staffpicks",
        "https://example.org/page.html",
        "not a url",
    ],
)
def test_hostile_or_unknown_addresses_are_refused(url: str) -> None:
    with pytest.raises(BadVideo) as refused:
        parse(url, peertube_hosts=PEERTUBE)
    assert "YouTube, Vimeo or PeerTube" in refused.value.message


def test_only_the_presenter_shares_and_drives(people: tuple[Participant, ...]) -> None:
    moderator, bea, cy = people
    # The owner, the first moderator in, presents.
    assert moderator.welcome["you"]["presenter"] is True
    bea.send({"type": "video.share", "url": "https://cdn.example.org/a.mp4"})
    assert bea.expect("error")["code"] == "not_presenter"
    moderator.send({"type": "video.share", "url": "javascript:alert(1)"})
    refusal = moderator.expect("error")
    assert refusal["code"] == "bad_video" and "cannot be shared" in refusal["message"]

    moderator.send({"type": "video.share", "url": "https://cdn.example.org/a.mp4"})
    shared = cy.expect("video")["data"]["video"]
    assert shared["provider"] == "file" and shared["by_name"] == "Ada"
    assert shared["playing"] is False and shared["position"] == 0
    bea.send({"type": "video.control", "playing": True, "position": 12, "rate": 1})
    assert bea.expect("error")["code"] == "not_presenter"
    moderator.send({"type": "video.control", "playing": True, "position": 12.5, "rate": 1.5})
    moved = cy.expect("video")["data"]["video"]
    assert (moved["playing"], moved["position"], moved["rate"]) == (True, 12.5, 1.5)
    moderator.send({"type": "video.control", "playing": True, "position": -1, "rate": 9})
    assert moderator.expect("error")["code"] == "bad_message"
    moderator.send({"type": "video.stop"})
    assert cy.expect("video")["data"]["video"] is None


def test_a_video_ends_with_its_meeting(
    people: tuple[Participant, ...], server: ParleyServer, owner: httpx.Client
) -> None:
    moderator, _bea, _cy = people
    moderator.send({"type": "video.share", "url": "https://cdn.example.org/a.mp4"})
    moderator.expect("video")
    room = next(r for r in owner.get("/api/v1/rooms").json() if r["slug"] == moderator.slug)
    assert owner.post(f"/api/v1/rooms/{room['id']}/close").status_code in {200, 204}
    assert owner.post(f"/api/v1/rooms/{room['id']}/open").status_code in {200, 204}
    with httpx.Client(base_url=server.url) as client:
        dee = Participant.join(server, client, room, name="Dee").open()
        assert dee.welcome["video"] is None
        dee.close()
