"""Presentations on a real server: upload, render, follow, and files that must be refused."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Array

from tests.browser.people import make_member
from tests.browser.server import ParleyServer
from tests.documents import samples
from tests.documents.client import DocClient
from tests.documents.conftest import Person, enter, login


def _upload(person: Person, name: str, body: bytes) -> httpx.Response:
    return person.http.post(
        f"/r/{person.room['slug']}/documents",
        content=body,
        headers={"x-filename": name, "content-type": "application/octet-stream"},
    )


def _presentation(board: DocClient, presentation: int) -> dict[str, Any]:
    for item in board.state.get("presentations", []):
        if item["id"] == presentation:
            return dict(item)
    return {}


def _wait_done(board: DocClient, presentation: int, timeout: float = 20) -> dict[str, Any]:
    board.pump(
        lambda: _presentation(board, presentation).get("status") in {"ready", "failed"}, timeout
    )
    return _presentation(board, presentation)


def test_a_pdf_is_shown_to_everyone_who_follows_the_presenter(
    meeting: tuple[Person, Person],
) -> None:
    ada, bea = meeting
    ada_board, bea_board = ada.doc("board"), bea.doc("board")
    response = _upload(ada, "plan%20B.pdf", samples.pdf(4))
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["name"] == "plan B.pdf" and document["kind"] == "pdf"
    # Bea is moved to it, and hears of each page as it is ready.
    bea_board.pump(
        lambda: (bea_board.state.get("stage") or {}).get("presentation") == document["id"]
    )
    ready = _wait_done(bea_board, document["id"])
    assert ready["status"] == "ready" and ready["pages"] == 4
    assert ready["sizes"][0] == [1600, 900]
    assert [c["done"] for c in bea_board.controls if c["type"] == "progress"] == [1, 2, 3, 4]
    base = f"/r/{ada.room['slug']}/documents/{document['id']}"
    page = bea.http.get(f"{base}/pages/4")
    assert page.status_code == 200 and page.headers["content-type"] == "image/jpeg"
    assert page.content.startswith(b"\xff\xd8")
    assert bea.http.get(f"{base}/thumbs/1").status_code == 200
    assert bea.http.get(f"{base}/pages/5").status_code == 404

    # The presenter (Ada, the first moderator in) turns pages; a participant cannot.
    ada_board.send_control({"type": "stage.page", "page": 3})
    bea_board.pump(lambda: bea_board.state["stage"]["page"] == 3)
    bea_board.send_control({"type": "stage.page", "page": 1})
    bea_board.pump(lambda: any(c.get("code") == "not_presenter" for c in bea_board.controls))
    ada_board.send_control({"type": "stage.page", "page": 9})
    ada_board.pump(lambda: any(c.get("code") == "no_page" for c in ada_board.controls))
    # Someone who connects now lands on page 3.
    late = bea.doc("board")
    assert late.state["stage"]["page"] == 3

    # Drawing: closed to participants until the presenter opens it.
    strokes = "page:p{}-3".format(document["id"])
    stroke = {"id": "s1", "tool": "pen", "color": "#c0392b", "width": 5, "points": [0.1, 0.1, 0.2]}
    bea_board.edit(lambda doc: doc.get(strokes, type=Array).append(stroke))
    bea_board.pump(lambda: any(c["type"] == "rejected" for c in bea_board.controls))
    ada_board.send_control({"type": "lock", "locked": False})
    bea_board.pump(lambda: bea_board.state["can_write"] is True)
    # Bea's refused stroke is only on her copy: she starts again from the server's, as the
    # page does.
    fresh = bea.doc("board")
    assert fresh.state["can_write"] is True
    fresh.pump(lambda: fresh.synced_once())
    fresh.edit(lambda doc: doc.get(strokes, type=Array).append(stroke))
    ada_board.pump(lambda: len(ada_board.doc.get(strokes, type=Array)) == 1)

    # The original: for moderators, and for everyone once the presenter allows it.
    assert bea.http.get(f"{base}/original").status_code == 403
    original = ada.http.get(f"{base}/original")
    assert original.status_code == 200 and original.content.startswith(b"%PDF-")
    assert "plan%20B.pdf" in original.headers["content-disposition"]
    ada_board.send_control(
        {"type": "presentation.download", "presentation": document["id"], "allowed": True}
    )
    bea_board.pump(lambda: _presentation(bea_board, document["id"]).get("downloadable") is True)
    assert bea.http.get(f"{base}/original").status_code == 200


def test_the_board_follows_the_presenter_not_the_moderators(
    meeting: tuple[Person, Person],
) -> None:
    ada, bea = meeting
    ada_board, bea_board = ada.doc("board"), bea.doc("board")
    assert ada_board.state["can_write"] is True and bea_board.state["can_write"] is False
    ada.participant.send({"type": "mod.presenter", "target": bea.participant.id})
    bea_board.pump(lambda: bea_board.state["you"]["presenter"] is True)
    # The board is still closed to the others, Ada (a moderator) included; Bea draws.
    assert bea_board.state["can_write"] is True
    ada_board.pump(lambda: ada_board.state["can_write"] is False)
    ada_board.send_control({"type": "lock", "locked": False})
    ada_board.pump(lambda: "not_presenter" in [c.get("code") for c in ada_board.controls])

    # A moderator who does not present uploads without moving anyone's stage.
    before = ada_board.state["stage"]
    added = _upload(ada, "handout.pdf", samples.pdf(1))
    assert added.status_code == 201, added.text
    document = added.json()
    ada_board.pump(lambda: bool(_presentation(ada_board, document["id"])))
    assert ada_board.state["stage"]["presentation"] == before["presentation"]
    # The presenter shows it, and has its original.
    bea_board.send_control({"type": "stage.show", "presentation": document["id"]})
    ada_board.pump(lambda: ada_board.state["stage"]["presentation"] == document["id"])
    original = f"/r/{ada.room['slug']}/documents/{document['id']}/original"
    assert bea.http.get(original).status_code == 200
    # The presenter's upload is shown at once.
    shown = _upload(bea, "mine.pdf", samples.pdf(1))
    assert shown.status_code == 201, shown.text
    ada_board.pump(lambda: ada_board.state["stage"]["presentation"] == shown.json()["id"])


@pytest.mark.parametrize(
    ("name", "body", "status", "message"),
    [
        ("notes.pdf", b"plain text pretending", 415, "Parley cannot show this kind of file."),
        ("empty.pdf", b"", 422, "This file is empty."),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * 300_000, 413, "larger than"),
        ("bomb.docx", samples.zip_bomb(), 415, "unpacks to far more than its size"),
    ],
)
def test_files_refused_at_once(
    meeting: tuple[Person, Person], name: str, body: bytes, status: int, message: str
) -> None:
    ada, _ = meeting
    response = _upload(ada, name, body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_files_refused_once_opened_and_the_server_carries_on(
    meeting: tuple[Person, Person],
) -> None:
    ada, bea = meeting
    board = ada.doc("board")
    cases = [
        ("secret.pdf", samples.pdf(2, encrypted=True), "protected by a password"),
        ("huge.png", samples.png_bomb(), "too many pixels"),
        ("broken.pdf", samples.pdf(3)[:400], "damaged"),
        ("long.pdf", samples.pdf(6), "has 6 pages; the limit is 5"),
    ]
    uploaded = []
    for name, body, _ in cases:
        response = _upload(ada, name, body)
        assert response.status_code == 201, response.text
        uploaded.append(response.json()["id"])
    for presentation, (_, _, message) in zip(uploaded, cases, strict=True):
        result = _wait_done(board, presentation)
        assert result["status"] == "failed"
        assert message in result["error"]
    # A participant may not upload; the server still renders the next good file.
    assert _upload(bea, "mine.pdf", samples.pdf(1)).status_code == 403
    good = _upload(ada, "image.png", samples.png()).json()
    assert _wait_done(board, good["id"])["status"] == "ready"


def test_office_documents_become_pages_with_libreoffice(meeting: tuple[Person, Person]) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (make office)")
    ada, _ = meeting
    board = ada.doc("board")
    response = _upload(ada, "slides.pptx", samples.pptx(3))
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "pptx"
    result = _wait_done(board, response.json()["id"], timeout=60)
    assert result["status"] == "ready" and result["pages"] == 3, result


def test_a_conversion_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (make office)")
    env = {"PARLEY_DOCUMENT_TIMEOUT_SECONDS": "0.3"}
    with ParleyServer(tmp_path, extra_env=env) as server:
        make_member(server, "ada@example.org", "Ada", admin=True)
        with httpx.Client(base_url=server.url, timeout=10) as owner:
            login(server, owner)
            room = owner.post("/api/v1/rooms", json={"name": "Slow"}).json()
            owner.post(f"/api/v1/rooms/{room['id']}/open")
            ada = enter(server, owner, room)
            board = ada.doc("board")
            response = _upload(ada, "slides.odp.pptx", samples.pptx(2))
            result = _wait_done(board, response.json()["id"], timeout=30)
            assert result["status"] == "failed"
            assert "took too long" in result["error"]
            ada.participant.close()


def _peak_memory(server: ParleyServer) -> int:
    """The server process's peak resident memory so far, in bytes (Linux's VmHWM)."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_an_office_file_that_unpacks_huge_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    crafted = samples.odt_with_huge_mimetype(tmp_path / "crafted.odt", megabytes=256).read_bytes()
    with ParleyServer(tmp_path) as server:
        make_member(server, "ada@example.org", "Ada", admin=True)
        with httpx.Client(base_url=server.url, timeout=30) as owner:
            login(server, owner)
            room = owner.post("/api/v1/rooms", json={"name": "Crafted"}).json()
            owner.post(f"/api/v1/rooms/{room['id']}/open")
            ada = enter(server, owner, room)
            before = _peak_memory(server)
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(_upload, ada, "report.odt", crafted)
                # The server answers others meanwhile.
                with httpx.Client(base_url=server.url, timeout=10) as other:
                    while not answer.done():
                        assert other.get("/healthz").status_code == 200
                response = answer.result()
            assert response.status_code == 415, response.text
            assert "Parley cannot show this kind of file." in response.json()["detail"]
            # The entry's 256 MB were never unpacked in the web process.
            grown = _peak_memory(server) - before
            assert grown < 64 * 1024 * 1024, f"the server grew by {grown / 1e6:.0f} MB"
            assert owner.get("/healthz").status_code == 200
            ada.participant.close()
