"""The presentations API: a moderator in the meeting uploads, lists, downloads and deletes;
a participant reads only what the presenter allows and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.live import guests, member, owner, room, server
from tests.browser.server import ParleyServer
from tests.documents import samples
from tests.meetings.client import Participant

__all__ = ["guests", "member", "owner", "room", "server"]


def _headers(person: Participant) -> dict[str, str]:
    return {"x-join-token": person.token}


def test_a_moderator_uploads_lists_downloads_and_deletes(
    server: ParleyServer,
    owner: httpx.Client,
    room: dict[str, Any],
    guests: tuple[Participant, Participant],
) -> None:
    bea, _ = guests
    moderator = Participant.join(server, owner, room).open()
    url = f"/api/v1/rooms/{room['id']}/presentations"
    with httpx.Client(base_url=server.url, timeout=20) as program:
        try:
            content = samples.pdf(pages=2)
            uploaded = program.post(
                url,
                params={"filename": "slides.pdf"},
                content=content,
                headers={**_headers(moderator), "content-type": "application/octet-stream"},
            )
            assert uploaded.status_code == 201, uploaded.text
            document = uploaded.json()
            assert (document["name"], document["kind"]) == ("slides.pdf", "pdf")
            # Everyone in the meeting sees it arrive on the stage.
            listed = program.get(url, headers=_headers(bea))
            assert listed.status_code == 200
            assert [d["id"] for d in listed.json()] == [document["id"]]

            original = program.get(f"{url}/{document['id']}", headers=_headers(moderator))
            assert original.status_code == 200
            assert original.content == content
            assert original.headers["content-type"] == "application/pdf"
            # Not allowed for participants until the presenter allows it.
            refused = program.get(f"{url}/{document['id']}", headers=_headers(bea))
            assert refused.status_code == 403

            # Uploading is for moderators and the presenter; deleting for moderators.
            for method, code in (("DELETE", "not_moderator"), ("POST", "not_presenter")):
                attempt = program.request(
                    method,
                    url if method == "POST" else f"{url}/{document['id']}",
                    content=content if method == "POST" else None,
                    headers=_headers(bea),
                )
                assert attempt.status_code == 403, attempt.text
                assert attempt.json()["code"] == code

            deleted = program.delete(f"{url}/{document['id']}", headers=_headers(moderator))
            assert deleted.status_code == 204
            assert program.get(url, headers=_headers(bea)).json() == []
            gone = program.get(f"{url}/{document['id']}", headers=_headers(moderator))
            assert gone.status_code == 404
        finally:
            moderator.close()


def test_refusals_of_the_presentations_api(
    server: ParleyServer,
    owner: httpx.Client,
    room: dict[str, Any],
    guests: tuple[Participant, Participant],
) -> None:
    moderator = Participant.join(server, owner, room).open()
    url = f"/api/v1/rooms/{room['id']}/presentations"
    with httpx.Client(base_url=server.url, timeout=20) as program:
        try:
            not_a_document = program.post(url, content=b"plain text", headers=_headers(moderator))
            assert not_a_document.status_code == 415
            empty = program.post(url, content=b"", headers=_headers(moderator))
            assert (empty.status_code, empty.json()["code"]) == (422, "empty")
            no_token = program.get(url)
            assert no_token.status_code == 422
            forged = program.get(url, headers={"x-join-token": "forged"})
            assert (forged.status_code, forged.json()["code"]) == (403, "not_in_meeting")
            other_room = owner.post("/api/v1/rooms", json={"name": "Other"}).json()
            elsewhere = program.get(
                f"/api/v1/rooms/{other_room['id']}/presentations", headers=_headers(moderator)
            )
            assert elsewhere.status_code == 403
        finally:
            moderator.close()


def test_a_participant_made_presenter_uploads_and_downloads(
    server: ParleyServer,
    owner: httpx.Client,
    room: dict[str, Any],
    guests: tuple[Participant, Participant],
) -> None:
    bea, cy = guests
    moderator = Participant.join(server, owner, room).open()
    url = f"/api/v1/rooms/{room['id']}/presentations"
    upload = {"content-type": "application/octet-stream"}
    with httpx.Client(base_url=server.url, timeout=20) as program:
        try:
            moderator.send({"type": "mod.presenter", "target": bea.id})
            cy.expect("updated", id=bea.id, presenter=True)
            uploaded = program.post(
                url, content=samples.pdf(pages=1), headers={**_headers(bea), **upload}
            )
            assert uploaded.status_code == 201, uploaded.text
            document = uploaded.json()
            # The presenter has the original without allowing it to everyone; Cy does not.
            mine = program.get(f"{url}/{document['id']}", headers=_headers(bea))
            assert mine.status_code == 200
            assert program.get(f"{url}/{document['id']}", headers=_headers(cy)).status_code == 403
            # A moderator who does not present may still upload, and delete; Bea may not delete.
            added = program.post(
                url, content=samples.pdf(pages=1), headers={**_headers(moderator), **upload}
            )
            assert added.status_code == 201, added.text
            refused = program.delete(f"{url}/{document['id']}", headers=_headers(bea))
            assert (refused.status_code, refused.json()["code"]) == (403, "not_moderator")
            deleted = program.delete(f"{url}/{document['id']}", headers=_headers(moderator))
            assert deleted.status_code == 204
            listed = program.get(url, headers=_headers(cy)).json()
            assert [d["id"] for d in listed] == [added.json()["id"]]
        finally:
            moderator.close()
