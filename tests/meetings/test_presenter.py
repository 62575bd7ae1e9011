"""The presenter (one person of a meeting, moderator or not) and the layout moderators push,
on the socket as pages see them, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.people import make_member
from tests.browser.server import ParleyServer, serving
from tests.documents.client import DocClient
from tests.meetings.client import Participant, log_in, open_room

VIDEO = "https://cdn.example.org/talk.mp4"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ParleyServer]:
    """One server per database for the module (each test has a room of its own)."""
    with serving(request.param, tmp_path_factory.mktemp("presenter")) as running:
        make_member(running, "ada@example.org", "Ada", admin=True)
        yield running


@pytest.fixture
def owner(server: ParleyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        log_in(client)
        yield client


@pytest.fixture
def room(owner: httpx.Client) -> dict[str, Any]:
    return open_room(owner, "Presenting")


def _guest(server: ParleyServer, room: dict[str, Any], name: str, **open: Any) -> Participant:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return Participant.join(server, client, room, name=name).open(**open)


def _board(server: ParleyServer, person: Participant) -> DocClient:
    board = DocClient(server.port, person.slug, person.token, "board", server.url).open()
    board.pump(lambda: bool(board.state))
    return board


def _errors(board: DocClient) -> list[str]:
    return [c["code"] for c in board.controls if c["type"] == "error"]


def _presenters(person: Participant) -> list[str]:
    return [p["name"] for p in person.welcome["participants"] if p["presenter"]]


@pytest.fixture
def people(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any]
) -> Iterator[tuple[Participant, Participant, Participant]]:
    """Ada (the owner, a moderator), then Bea and Cy (guests), in the order they came."""
    ada = Participant.join(server, owner, room).open()
    bea = _guest(server, room, "Bea")
    cy = _guest(server, room, "Cy")
    ada.expect("joined", name="Cy")
    bea.expect("joined", name="Cy")
    yield ada, bea, cy
    for person in (ada, bea, cy):
        person.close()


def test_the_first_moderator_who_joins_presents(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any]
) -> None:
    # A participant who comes first does not present: nobody does yet.
    bea = _guest(server, room, "Bea")
    assert bea.welcome["you"]["presenter"] is False
    ada = Participant.join(server, owner, room).open()
    assert ada.welcome["you"]["presenter"] is True
    joined = bea.expect("joined", name="Ada")["data"]
    assert (joined["role"], joined["presenter"]) == ("moderator", True)
    cy = _guest(server, room, "Cy")
    assert _presenters(cy) == ["Ada"]
    # A second moderator (Cy, promoted) does not take it.
    ada.send({"type": "mod.promote", "target": cy.id})
    promoted = bea.expect("updated", id=cy.id)["data"]
    assert (promoted["role"], promoted["presenter"]) == ("moderator", False)
    # The meetings API shows it too.
    listed = owner.get(f"/api/v1/rooms/{room['id']}/meeting/participants").json()
    assert {p["name"]: p["presenter"] for p in listed} == {"Bea": False, "Ada": True, "Cy": False}
    for person in (ada, bea, cy):
        person.close()


def test_a_participant_made_presenter_presents_and_the_moderator_no_longer_does(
    server: ParleyServer, people: tuple[Participant, Participant, Participant]
) -> None:
    ada, bea, cy = people
    ada_board, bea_board = _board(server, ada), _board(server, bea)
    assert ada_board.state["you"]["presenter"] is True
    assert bea_board.state["you"]["presenter"] is False

    ada.send({"type": "mod.presenter", "target": bea.id})
    for person in (ada, bea, cy):
        gave = person.expect("updated", id=ada.id)["data"]
        assert (gave["role"], gave["presenter"]) == ("moderator", False)
        took = person.expect("updated", id=bea.id)["data"]
        assert (took["role"], took["presenter"]) == ("participant", True)

    # The board follows: Bea is told she presents, and the stage names her.
    bea_board.pump(lambda: bea_board.state["you"]["presenter"] is True)
    ada_board.pump(lambda: ada_board.state["stage"]["presenter"] == bea.id)
    assert ada_board.state["you"]["presenter"] is False

    # Bea turns the pages (of the blank whiteboard) for everyone.
    bea_board.send_control({"type": "stage.add_page"})
    ada_board.pump(lambda: ada_board.state["stage"]["page"] == 2)
    assert ada_board.state["stage"]["visible"] is True
    # Ada, a moderator who does not present, is refused, and the page stays.
    ada_board.send_control({"type": "stage.page", "page": 1})
    ada_board.pump(lambda: "not_presenter" in _errors(ada_board))
    bea_board.send_control({"type": "stage.page", "page": 1})
    ada_board.pump(lambda: ada_board.state["stage"]["page"] == 1)
    assert [c["stage"]["page"] for c in ada_board.controls if c["type"] == "state"][-2:] == [2, 1]

    # Bea shares a video; Ada cannot drive or stop it.
    bea.send({"type": "video.share", "url": VIDEO})
    assert cy.expect("video")["data"]["video"]["by_name"] == "Bea"
    ada.send({"type": "video.control", "playing": True, "position": 30, "rate": 1})
    refusal = ada.expect("error")
    assert refusal["code"] == "not_presenter"
    assert refusal["message"] == (
        "Only the presenter can do this. A moderator can make you the presenter."
    )
    ada.send({"type": "video.share", "url": VIDEO})
    assert ada.expect("error")["code"] == "not_presenter"
    bea.send({"type": "video.control", "playing": True, "position": 5, "rate": 1})
    played = cy.expect("video")["data"]["video"]
    # Nothing of Ada's went through: the next change everyone saw is Bea's.
    assert (played["playing"], played["position"]) == (True, 5)
    bea.send({"type": "video.stop"})
    assert cy.expect("video")["data"]["video"] is None
    for board in (ada_board, bea_board):
        board.close()


def test_the_refusal_is_in_the_persons_language(
    server: ParleyServer, people: tuple[Participant, Participant, Participant], room: dict[str, Any]
) -> None:
    dee = _guest(server, room, "Dee", language="fr")
    dee.send({"type": "video.share", "url": VIDEO})
    refusal = dee.expect("error")
    assert refusal["code"] == "not_presenter"
    assert refusal["message"] == (
        "Seul le présentateur peut faire cela. Un modérateur peut vous désigner comme présentateur."
    )
    dee.close()


def test_only_moderators_choose_the_presenter(
    server: ParleyServer,
    people: tuple[Participant, Participant, Participant],
    room: dict[str, Any],
) -> None:
    ada, bea, cy = people
    bea.send({"type": "mod.presenter", "target": bea.id})
    assert bea.expect("error")["code"] == "not_moderator"
    ada.send({"type": "mod.presenter", "target": "g-nobody"})
    assert ada.expect("error")["code"] == "no_such_participant"
    ada.send({"type": "mod.presenter"})
    assert ada.expect("error")["code"] == "bad_message"
    # Nothing changed: no event, and a newcomer sees Ada presenting.
    late = _guest(server, room, "Dee")
    assert late.welcome["last_event"] == cy.last_event + 1  # Dee's own arrival
    assert _presenters(late) == ["Ada"]
    late.close()


def test_a_demoted_presenter_keeps_presenting(
    people: tuple[Participant, Participant, Participant],
) -> None:
    ada, bea, cy = people
    ada.send({"type": "mod.promote", "target": bea.id})
    cy.expect("updated", id=bea.id, role="moderator")
    ada.send({"type": "mod.presenter", "target": bea.id})
    cy.expect("updated", id=bea.id, presenter=True)
    ada.send({"type": "mod.demote", "target": bea.id})
    demoted = cy.expect("updated", id=bea.id, role="participant")["data"]
    assert demoted["presenter"] is True
    bea.send({"type": "video.share", "url": VIDEO})
    assert cy.expect("video")["data"]["video"]["by_name"] == "Bea"


def test_when_the_presenter_goes_the_moderator_longest_in_the_meeting_presents(
    server: ParleyServer,
    owner: httpx.Client,
    people: tuple[Participant, Participant, Participant],
    room: dict[str, Any],
) -> None:
    ada, bea, cy = people
    dee = _guest(server, room, "Dee")
    # Cy is made moderator before Bea, but Bea has been in the meeting longer.
    for person in (cy, bea):
        ada.send({"type": "mod.promote", "target": person.id})
        dee.expect("updated", id=person.id, role="moderator")

    # Ada (presenting) leaves with the Leave button.
    owner.cookies.set("parley_join", ada.token)
    left = owner.post(f"/r/{room['slug']}/leave", headers={"origin": server.url})
    assert left.status_code == 200, left.text
    for person in (bea, cy, dee):
        person.expect("left", id=ada.id)
        took = person.expect("updated", id=bea.id)["data"]
        assert (took["role"], took["presenter"]) == ("moderator", True)
    late = _guest(server, room, "Eve")
    assert _presenters(late) == ["Bea"]

    # Bea hands it to Dee, a participant, then takes her out: back to Bea, in longest.
    bea.send({"type": "mod.presenter", "target": dee.id})
    cy.expect("updated", id=dee.id, presenter=True)
    bea.send({"type": "mod.remove", "target": dee.id})
    cy.expect("removed", id=dee.id)
    back = cy.expect("updated", id=bea.id)["data"]
    assert back["presenter"] is True
    # With no moderator left, nobody presents.
    bea.send({"type": "mod.demote", "target": cy.id})
    late.expect("updated", id=cy.id, role="participant")
    bea.send({"type": "mod.remove", "target": bea.id})
    # (The room's owner could not be removed; a guest moderator removes themself fine.)
    late.expect("removed", id=bea.id)
    newcomer = _guest(server, room, "Fay")
    assert _presenters(newcomer) == []
    for person in (late, newcomer, dee):
        person.close()


def test_a_layout_pushed_by_a_moderator_reaches_every_page_and_late_joiners(
    server: ParleyServer,
    owner: httpx.Client,
    people: tuple[Participant, Participant, Participant],
    room: dict[str, Any],
) -> None:
    ada, bea, cy = people
    assert ada.welcome["layout"] is None
    ada.send({"type": "mod.layout", "layout": "presentation"})
    for person in (ada, bea, cy):
        assert person.expect("layout")["data"] == {"layout": "presentation"}
    late = _guest(server, room, "Dee")
    assert late.welcome["layout"] == "presentation"

    # Refused: from a participant, an unknown layout, none given; nothing changes.
    bea.send({"type": "mod.layout", "layout": "grid"})
    refusal = bea.expect("error")
    assert refusal["code"] == "not_moderator"
    assert refusal["message"] == "Only moderators may do this."
    for wrong in ({"layout": "carousel"}, {"layout": 3}, {}):
        ada.send({"type": "mod.layout", **wrong})
        assert ada.expect("error")["code"] == "bad_message"
    later = _guest(server, room, "Eve")
    assert later.welcome["layout"] == "presentation"
    assert later.welcome["last_event"] == late.last_event + 1  # Eve's own arrival

    # null: each page chooses again.
    ada.send({"type": "mod.layout", "layout": None})
    for person in (bea, late, later):
        assert person.expect("layout")["data"] == {"layout": None}

    # The layout is the meeting's: the next one starts without.
    ada.send({"type": "mod.layout", "layout": "speaker"})
    later.expect("layout", layout="speaker")
    assert owner.post(f"/api/v1/rooms/{room['id']}/close").status_code in {200, 204}
    assert owner.post(f"/api/v1/rooms/{room['id']}/open").status_code in {200, 204}
    fresh = _guest(server, room, "Fay")
    assert fresh.welcome["layout"] is None
    for person in (late, later, fresh):
        person.close()
