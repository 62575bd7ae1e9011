"""Awareness (cursors, pointers) as the server lets it through: each socket speaks only for
its own client ids, sets only the fields a browser may set, and is named by the server.

A browser could otherwise claim another's client id (and move their cursor) or give itself
another name; the states it sends are rewritten with the name and colour of its join token.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pycrdt import Decoder, Encoder, read_message

# The fields a browser may set (the server sets `user`), their size, and how many client ids
# one socket may speak for (a page that resets its document gets a new one).
AWARENESS_FIELDS = frozenset({"cursor", "pointer"})
AWARENESS_MAX_BYTES = 4096
CLIENT_IDS_PER_PEER = 8


class Speaker(Protocol):
    """A socket, as awareness sees it: the client ids it spoke for (with their last clock)
    and who the server says it is."""

    clocks: dict[int, int]

    @property
    def user(self) -> dict[str, Any]: ...


def screen(body: bytes, *, owners: dict[int, Any], peer: Speaker) -> bytes | None:
    """The awareness update `peer` sent, kept to what it may say; None when nothing is left.

    `owners` maps each client id of the document to the socket that first spoke for it.
    """
    try:
        update = read_message(body)
        if len(update) > AWARENESS_MAX_BYTES:
            return None
        decoder = Decoder(update)
        count = decoder.read_var_uint()
        entries = [
            (decoder.read_var_uint(), decoder.read_var_uint(), decoder.read_var_string())
            for _ in range(min(count, CLIENT_IDS_PER_PEER))
        ]
    except Exception:
        return None
    kept: list[tuple[int, int, str]] = []
    for client, clock, text in entries:
        owner = owners.get(client)
        if owner is not None and owner is not peer:
            continue
        if owner is None:
            if len(peer.clocks) >= CLIENT_IDS_PER_PEER:
                continue
            owners[client] = peer
        peer.clocks[client] = clock
        try:
            state = json.loads(text)
        except ValueError:
            continue
        if isinstance(state, dict):
            state = {k: v for k, v in state.items() if k in AWARENESS_FIELDS}
            state["user"] = peer.user
        elif state is not None:
            continue
        kept.append((client, clock, json.dumps(state)))
    if not kept:
        return None
    encoder = Encoder()
    encoder.write_var_uint(len(kept))
    for client, clock, text in kept:
        encoder.write_var_uint(client)
        encoder.write_var_uint(clock)
        encoder.write_var_string(text)
    return encoder.to_bytes()
