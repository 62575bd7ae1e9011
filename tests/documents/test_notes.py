"""Shared notes on a real server: convergence, the lock, names, access, restarts, exports."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText
from websockets.exceptions import InvalidStatus

from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.documents.client import DocClient
from tests.documents.conftest import Person, enter, login


def _insert(index: int, text: str) -> Any:
    return lambda doc: doc.get("text", type=Text).insert(index, text)


def test_concurrent_edits_converge_whatever_the_order(meeting: tuple[Person, Person]) -> None:
    ada, bea = meeting
    first, second = ada.doc("notes"), bea.doc("notes")
    first.edit(_insert(0, "shared "))
    second.pump(lambda: second.text() == "shared ")
    # Both change the same place before seeing each other's change.
    first.edit(_insert(7, "by Ada"))
    second.edit(_insert(7, "by Bea"))
    first.edit(lambda doc: doc.get("text", type=Text).__delitem__(slice(0, 1)))
    for client in (first, second):
        client.pump(lambda c=client: len(c.text()) == 18)  # type: ignore[misc]
    assert first.text() == second.text()
    assert first.text().startswith("hared by ")
    assert "by Ada" in first.text() and "by Bea" in first.text()


def test_a_lock_refuses_participants_changes_on_the_server(
    meeting: tuple[Person, Person],
) -> None:
    ada, bea = meeting
    first, second = ada.doc("notes"), bea.doc("notes")
    assert second.state["can_write"] is True
    bea_notes = second
    bea_notes.send_control({"type": "lock", "locked": True})
    bea_notes.pump(lambda: any(c["type"] == "error" for c in bea_notes.controls))
    assert [c["code"] for c in bea_notes.controls if c["type"] == "error"] == ["not_moderator"]

    first.send_control({"type": "lock", "locked": True})
    second.pump(lambda: second.state.get("locked") is True)
    assert second.state["can_write"] is False
    assert first.state["can_write"] is True
    second.edit(_insert(0, "sneaky "))
    second.pump(lambda: any(c["type"] == "rejected" for c in second.controls))
    first.edit(_insert(0, "minutes"))
    # Ada gets her own change back from nobody; Bea gets Ada's, never her own refused one.
    second.pump(lambda: "minutes" in second.text())
    fresh = bea.doc("notes")
    fresh.pump(lambda: fresh.text() == "minutes")
    assert first.text() == "minutes"


def test_cursors_carry_the_name_the_server_knows(meeting: tuple[Person, Person]) -> None:
    ada, bea = meeting
    first, second = ada.doc("notes"), bea.doc("notes")
    second.set_awareness(4242, 1, {"user": {"name": "Ada", "color": "#000"}, "cursor": None})
    first.pump(lambda: 4242 in first.awareness)
    user = first.awareness[4242]["user"]
    assert user["name"] == "Bea" and user["id"] == bea.participant.id
    # Nobody may speak for a client id someone else uses.
    first.set_awareness(4242, 2, {"cursor": None})
    first.set_awareness(7, 1, {"cursor": None})
    second.pump(lambda: 7 in second.awareness)
    assert second.awareness[4242]["user"]["name"] == "Bea"


def test_only_participants_of_the_current_meeting_get_in(
    server: ParleyServer, meeting: tuple[Person, Person]
) -> None:
    ada, bea = meeting
    stranger = DocClient(server.port, ada.room["slug"], "not-a-token", "notes", server.url)
    with pytest.raises(InvalidStatus, match="403"):
        stranger.open()
    wrong = DocClient(server.port, ada.room["slug"], bea.participant.token, "secrets", server.url)
    with pytest.raises(InvalidStatus, match="403"):
        wrong.open()
    # The meeting ends: the old tokens no longer open the notes.
    notes = bea.doc("notes")
    ada.http.post(f"/api/v1/rooms/{ada.room['id']}/close")
    assert notes.wait_closed() == 4004
    ada.http.post(f"/api/v1/rooms/{ada.room['id']}/open")
    late = DocClient(server.port, ada.room["slug"], bea.participant.token, "notes", server.url)
    late.open().wait_closed()
    assert [c["code"] for c in late.controls] == ["meeting_ended"]
    response = bea.http.get(f"/r/{ada.room['slug']}/notes.txt")
    assert response.status_code == 403


def _paragraphs(doc: Doc[Any]) -> None:
    fragment = doc.get("default", type=XmlFragment)
    fragment.children.append(XmlElement("heading", {"level": "1"}, [XmlText("Minutes")]))
    paragraph = fragment.children.append(XmlElement("paragraph", None, [XmlText("")]))
    text = paragraph.children[0]
    assert isinstance(text, XmlText)
    text.insert(0, "Decided: ")
    text.insert(9, "ship it", {"bold": {}})


def test_notes_survive_a_restart_compacted_and_export(tmp_path: Any) -> None:
    workdir = tmp_path
    server = ParleyServer(workdir, extra_env={"PARLEY_DOCUMENT_MAX_BYTES": "200000"})
    with server:
        make_member(server, "ada@example.org", "Ada", admin=True)
        with httpx.Client(base_url=server.url, timeout=10) as owner:
            login(server, owner)
            room = owner.post("/api/v1/rooms", json={"name": "Kept"}).json()
            owner.post(f"/api/v1/rooms/{room['id']}/open")
            ada = enter(server, owner, room)
            notes = ada.doc("notes")
            notes.edit(_paragraphs)
            for word in ["one ", "two ", "three "]:
                notes.edit(_text_in_last_paragraph(word))
            markdown = owner.get(f"/r/{room['slug']}/notes.md")
            assert markdown.status_code == 200
            assert markdown.text.startswith("# Minutes\n\nDecided: **ship it**")
            notes.close()
            ada.participant.close()
    # The process stops: what it held is in the database, folded into one state.
    with sqlite3.connect(workdir / "var" / "parley.db") as database:
        waiting = database.execute("SELECT count(*) FROM shared_updates").fetchone()[0]
        stored = database.execute(
            "SELECT length(state) FROM shared_documents WHERE name = 'notes'"
        ).fetchone()[0]
    assert waiting == 0 and stored > 0
    with server, httpx.Client(base_url=server.url, timeout=10) as owner:
        login(server, owner)
        ada = enter(server, owner, room)
        again = ada.doc("notes")
        again.pump(lambda: len(again.doc.get("default", type=XmlFragment).children) == 2)
        text = owner.get(f"/r/{room['slug']}/notes.txt").text
        assert text == "Minutes\n\nDecided: ship itone two three \n"
        html = owner.get(f"/r/{room['slug']}/notes.html")
        assert "<h1>Minutes</h1>" in html.text and "<strong>ship it</strong>" in html.text
        assert html.headers["content-type"].startswith("text/html")
        again.close()
        ada.participant.close()


def _text_in_last_paragraph(word: str) -> Any:
    def change(doc: Doc[Any]) -> None:
        fragment = doc.get("default", type=XmlFragment)
        paragraph = fragment.children[len(fragment.children) - 1]
        assert isinstance(paragraph, XmlElement)
        text = paragraph.children[0]
        assert isinstance(text, XmlText)
        text.insert(len(text), word)

    return change
