"""Two `parley serve` processes on PostgreSQL and Redis hold the same notes and board."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pycrdt import Array, Text

from tests.browser.people import make_member
from tests.browser.server import ParleyServer, two_processes
from tests.documents import samples
from tests.documents.conftest import enter, login
from tests.meetings.client import open_room


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ParleyServer, ParleyServer]]:
    # Uploaded files and their pages live in one folder every process shares.
    with two_processes(tmp_path, {"PARLEY_DOCUMENTS_DIR": str(tmp_path / "shared")}) as servers:
        yield servers


def test_a_person_on_each_process_writes_and_draws_and_both_see_everything(
    two_servers: tuple[ParleyServer, ParleyServer],
) -> None:
    first, second = two_servers
    make_member(first, "ada@example.org", "Ada", admin=True)
    with (
        httpx.Client(base_url=first.url, timeout=10) as owner,
        httpx.Client(base_url=second.url, timeout=10) as visitor,
    ):
        login(first, owner)
        room = open_room(owner, "Two processes")
        ada = enter(first, owner, room)
        bea = enter(second, visitor, room, name="Bea on B")
        ada_notes, bea_notes = ada.doc("notes"), bea.doc("notes")
        ada_notes.edit(lambda doc: doc.get("text", type=Text).insert(0, "from A. "))
        bea_notes.pump(lambda: bea_notes.text() == "from A. ")
        bea_notes.edit(lambda doc: doc.get("text", type=Text).insert(8, "from B."))
        ada_notes.pump(lambda: ada_notes.text() == "from A. from B.")
        # Cursors cross too, with the name the server knows.
        bea_notes.set_awareness(99, 1, {"cursor": None})
        ada_notes.pump(lambda: 99 in ada_notes.awareness)
        assert ada_notes.awareness[99]["user"]["name"] == "Bea on B"

        # The board: Ada opens drawing, both draw, both see both strokes.
        ada_board, bea_board = ada.doc("board"), bea.doc("board")
        ada_board.send_control({"type": "stage.show", "presentation": None})
        ada_board.send_control({"type": "lock", "locked": False})
        bea_board.pump(lambda: bea_board.state.get("can_write") is True)
        bea_board.pump(bea_board.synced_once)
        page = "page:w-1"
        for board, who in ((ada_board, "ada"), (bea_board, "bea")):
            stroke = {
                "id": who,
                "tool": "line",
                "color": "#000",
                "width": 5,
                "points": [0, 0, 1, 1],
            }
            board.edit(lambda doc, s=stroke: doc.get(page, type=Array).append(s))  # type: ignore[misc]
        for board in (ada_board, bea_board):
            board.pump(lambda b=board: len(b.doc.get(page, type=Array)) == 2)  # type: ignore[misc]
        assert sorted(s["id"] for s in bea_board.doc.get(page, type=Array).to_py()) == [
            "ada",
            "bea",
        ]

        # A presentation uploaded on A is followed on B, its pages served by B.
        uploaded = owner.post(
            f"/r/{room['slug']}/documents",
            content=samples.pdf(3),
            headers={"x-filename": "deck.pdf", "content-type": "application/octet-stream"},
        ).json()
        bea_board.pump(
            lambda: any(
                p["id"] == uploaded["id"] and p["status"] == "ready"
                for p in bea_board.state.get("presentations", [])
            ),
            timeout=20,
        )
        ada_board.send_control({"type": "stage.page", "page": 3})
        bea_board.pump(lambda: bea_board.state["stage"]["page"] == 3)
        image = visitor.get(f"/r/{room['slug']}/documents/{uploaded['id']}/pages/3")
        assert image.status_code == 200 and image.content.startswith(b"\xff\xd8")

        # A newcomer on B, after both sockets there have gone, gets everything.
        for client in (bea_notes, bea_board):
            client.close()
        late = bea.doc("notes")
        late.pump(lambda: late.text() == "from A. from B.")
        for person in (ada, bea):
            person.participant.close()
