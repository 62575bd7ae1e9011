"""Parley driving real Janus nodes (their HTTP and Admin APIs; media are the browser tests')."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from parley.media.janus import sign_token
from parley.settings import Settings
from tests.browser.people import PASSWORD, make_member
from tests.browser.server import ParleyServer
from tests.janus import JanusProcess, janus_nodes
from tests.meetings.client import Participant


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[ParleyServer, list[JanusProcess], httpx.Client]]:
    """Parley with two Janus nodes; meetings of 2 go to the SFU; Ada logged in."""
    with janus_nodes(tmp_path, 2) as (env, nodes):
        env = {**env, "PARLEY_SFU_THRESHOLD": "2", "PARLEY_JANUS_HEALTH_SECONDS": "0.3"}
        with ParleyServer(tmp_path, extra_env=env) as server:
            make_member(server, "ada@example.org", "Ada", admin=True)
            with httpx.Client(base_url=server.url, timeout=10) as owner:
                response = owner.post(
                    "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
                )
                owner.headers["x-csrf-token"] = response.json()["csrf_token"]
                yield server, nodes, owner


def open_room(owner: httpx.Client, name: str) -> dict[str, Any]:
    room: dict[str, Any] = owner.post("/api/v1/rooms", json={"name": name}).json()
    assert owner.post(f"/api/v1/rooms/{room['id']}/open").status_code == 200
    return room


def way_in(server: ParleyServer, person: Participant) -> httpx.Response:
    return httpx.get(
        f"{server.url}/r/{person.slug}/media",
        headers={"cookie": f"parley_join={person.token}", "accept": "application/json"},
    )


def node_of(nodes: list[JanusProcess], name: str) -> JanusProcess:
    return next(n for n in nodes if n.name == name)


def wait_until(check: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def join(
    server: ParleyServer, owner: httpx.Client, room: dict[str, Any], **body: Any
) -> Participant:
    if body:
        with httpx.Client(base_url=server.url) as guest:
            return Participant.join(server, guest, room, **body).open()
    return Participant.join(server, owner, room).open()


def test_a_meeting_moves_to_the_least_loaded_node_and_its_room_lets_in_only_its_people(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    server, nodes, owner = deployment
    first, second = open_room(owner, "One"), open_room(owner, "Two")
    ada = join(server, owner, first)
    assert ada.welcome["media"] == {"transport": "mesh"}
    assert way_in(server, ada).json()["transport"] == "mesh"
    bea = join(server, owner, first, name="Bea")
    moved = ada.expect("media")["data"]
    assert moved["transport"] == "sfu"

    config = way_in(server, bea).json()
    assert config["transport"] == "sfu"
    janus = config["janus"]
    # Browsers get the node's WebSocket and tokens, never a secret or the Admin API.
    node = node_of(nodes, janus["node"])
    assert janus["url"] == node.public_url
    text = str(config)
    for secret in ("janus_admin_secret", "janus_admin_key", "janus_token_secret"):
        assert getattr(node.settings, secret).get_secret_value() not in text
    assert str(node.admin_port) not in text and str(node.api_port) not in text
    assert janus["room"] in node.rooms()

    # A second meeting goes to the other node.
    cy = join(server, owner, second, name="Cy")
    dan = join(server, owner, second, name="Dan")
    assert cy.expect("media")["data"]["transport"] == "sfu"
    other = way_in(server, dan).json()["janus"]
    assert other["node"] != janus["node"]
    assert other["room"] in node_of(nodes, other["node"]).rooms()

    # Bea's tokens open her own meeting's room, not the other one, and Dan's not hers.
    assert try_join(node, janus, janus["room"]) == "joined"
    assert try_join(node_of(nodes, other["node"]), janus, other["room"]) == 433
    assert try_join(node, other, janus["room"]) == 433  # "not in the allowed list"
    for person in (ada, bea, cy, dan):
        person.close()


def try_join(node: JanusProcess, janus: dict[str, Any], room: int) -> str | int:
    """Join `room` on `node` with a page's token and join token."""
    return node.try_join(room, janus["token"], janus["join_token"])


def meeting_on_sfu(
    server: ParleyServer, owner: httpx.Client, name: str
) -> tuple[Participant, Participant]:
    """A new room with Ada and Bea in its meeting, moved to the SFU (the threshold is 2)."""
    room = open_room(owner, name)
    ada = join(server, owner, room)
    bea = join(server, owner, room, name="Bea")
    assert ada.expect("media")["data"]["transport"] == "sfu"
    return ada, bea


def test_janus_refuses_forged_and_expired_tokens(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    _server, nodes, _owner = deployment
    node = nodes[0]
    secret = node.settings.janus_token_secret.get_secret_value()
    good = sign_token(secret, ttl_seconds=60)
    assert node.api({"janus": "create", "token": good})["janus"] == "success"
    forged = sign_token("not-the-secret", ttl_seconds=60)
    tampered = good.replace(good.split(",")[0], str(int(good.split(",")[0]) + 3600), 1)
    expired = sign_token(secret, ttl_seconds=-1)
    for token in (forged, tampered, expired, "", "janus"):
        answer = node.api({"janus": "create", "token": token})
        assert answer["janus"] == "error" and answer["error"]["code"] == 403, (token, answer)
    # And the VideoRoom refuses to make rooms for anyone without the admin key.
    session, handle = node.attach(good)
    made = node.api(
        {"janus": "message", "token": good, "body": {"request": "create", "room": 4242}},
        f"/{session}/{handle}",
    )
    assert made["plugindata"]["data"]["error_code"] == 429  # admin_key missing


def test_a_dead_node_gets_no_meetings_and_a_meeting_on_it_moves_when_its_pages_ask(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    server, nodes, owner = deployment
    ada, bea = meeting_on_sfu(server, owner, "Moving")
    before = way_in(server, bea).json()["janus"]
    dead = node_of(nodes, before["node"])
    alive = next(n for n in nodes if n is not dead)
    dead.stop(kill=True)
    # Administrators see which node does not answer, and the meeting on it.
    wait_until(lambda: "Does not answer" in owner.get("/admin/rooms").text, "the admin page")
    page = owner.get("/admin/rooms").text
    row = page[page.index(f"<td>{dead.name}</td>") :].split("</tr>")[0]
    assert "Does not answer" in row and "<td>1</td>" in row
    # Bea's connection to Janus drops; her page asks again: the meeting moves, everyone is told.
    after = way_in(server, bea)
    assert after.status_code == 200, after.text
    moved = after.json()["janus"]
    assert moved["node"] == alive.name and moved["room"] in alive.rooms()
    assert ada.expect("media", node=alive.name)["data"]["transport"] == "sfu"
    # A new meeting goes to the living node straight away.
    other = open_room(owner, "Later")
    cy = join(server, owner, other, name="Cy")
    dan = join(server, owner, other, name="Dan")
    cy.expect("media", node=alive.name)
    # Both dead: a clear answer, and the meeting itself goes on.
    alive.stop(kill=True)
    refused = way_in(server, dan)
    assert refused.status_code == 503
    assert "media server" in refused.json()["detail"]
    dan.send({"type": "chat.send", "text": "still here"})
    cy.expect("chat", text="still here")
    for person in (ada, bea, cy, dan):
        person.close()


def test_a_restarted_node_gets_its_rooms_back_and_ended_meetings_lose_theirs(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    server, nodes, owner = deployment
    ada, bea = meeting_on_sfu(server, owner, "Restart")
    janus = way_in(server, bea).json()["janus"]
    node = node_of(nodes, janus["node"])
    node.restart()  # SIGKILL: the new process starts with no room
    # Parley's watch sees the node back and makes the room again (nobody else asks here),
    # with its people allowed: Bea's page gets in with what it held before.
    wait_until(lambda: janus["room"] in node.rooms(), "the room to be made again")
    assert try_join(node, janus, janus["room"]) == "joined"
    # The meeting ends: its room goes.
    ada.send({"type": "mod.end"})
    wait_until(lambda: janus["room"] not in node.rooms(), "the ended meeting's room to go")
    for person in (ada, bea):
        person.close()


def test_a_removed_participant_gets_no_new_way_in(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    server, _nodes, owner = deployment
    ada, bea = meeting_on_sfu(server, owner, "Removal")
    assert way_in(server, bea).status_code == 200
    ada.send({"type": "mod.remove", "target": bea.welcome["you"]["id"], "ban": False})
    ada.expect("removed")
    refused = way_in(server, bea)
    assert refused.status_code == 403
    ada.close()


def test_janus_nodes_need_their_secrets_and_names_of_their_own() -> None:
    node = {
        "name": "a",
        "api_url": "http://127.0.0.1:8088/janus",
        "admin_url": "http://127.0.0.1:7088/admin",
        "public_url": "wss://janus.example.org/",
    }
    with pytest.raises(ValidationError, match="PARLEY_JANUS_TOKEN_SECRET"):
        Settings(_env_file=None, janus_nodes=[node])  # type: ignore[call-arg]
    secrets = {"janus_token_secret": "t", "janus_admin_secret": "s", "janus_admin_key": "k"}
    with pytest.raises(ValidationError, match="name of its own"):
        Settings(_env_file=None, janus_nodes=[node, node], **secrets)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            janus_nodes=[{**node, "public_url": "javascript:alert(1)"}],
            **secrets,
        )
    assert Settings(_env_file=None, janus_nodes=[node], **secrets).janus_nodes[0].name == "a"  # type: ignore[call-arg]


def test_a_webinar_audience_watches_through_the_sfu_without_publishing(
    deployment: tuple[ParleyServer, list[JanusProcess], httpx.Client],
) -> None:
    server, nodes, owner = deployment
    room = open_room(owner, "Keynote")
    assert owner.patch(f"/api/v1/rooms/{room['id']}", json={"webinar": True}).json()["webinar"]
    ada = join(server, owner, room)
    bea = join(server, owner, room, name="Bea")
    assert ada.expect("media")["data"]["transport"] == "sfu"
    speaker, viewer = way_in(server, ada).json(), way_in(server, bea).json()
    assert speaker["publish"] is True and viewer["publish"] is False
    # The audience still comes into the room, to receive the stage's feeds.
    node = node_of(nodes, viewer["janus"]["node"])
    assert try_join(node, viewer["janus"], viewer["janus"]["room"]) == "joined"
    # Brought on stage, the same way in lets her publish.
    ada.send({"type": "mod.stage", "target": bea.id, "on": True})
    bea.expect("welcome")
    assert way_in(server, bea).json()["publish"] is True
    for person in (ada, bea):
        person.close()
