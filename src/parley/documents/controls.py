"""What a shared document's control messages do (locks, the stage, presentations), apart from
the Yjs sync that carries the document itself (`parley.documents.yjs`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.bus import Bus
from parley.documents import protocol, service
from parley.rooms.service import JoinClaims


def parse(name: str, body: bytes) -> protocol.Control | None:
    """The control message in `body`, if it is one that document `name` takes."""
    try:
        message = protocol.control_message.validate_json(body)
    except ValidationError:
        return None
    if name != "board" and isinstance(message, protocol.BOARD_ONLY):
        return None
    return message


async def act(
    db: AsyncSession,
    bus: Bus,
    claims: JoinClaims,
    name: str,
    message: protocol.Control,
    root: Path,
) -> None:
    """Carry out one control message (each service checks the sender's rights)."""
    if isinstance(message, protocol.Lock):
        await service.set_lock(db=db, bus=bus, claims=claims, name=name, locked=message.locked)
    elif isinstance(message, protocol.StageShow):
        await service.show(db=db, bus=bus, claims=claims, presentation_id=message.presentation)
    elif isinstance(message, protocol.StageHide):
        await service.hide(db=db, bus=bus, claims=claims)
    elif isinstance(message, protocol.StagePage):
        await service.turn(db=db, bus=bus, claims=claims, page=message.page)
    elif isinstance(message, protocol.StageAddPage):
        await service.add_page(db=db, bus=bus, claims=claims)
    elif isinstance(message, protocol.PresentationDownload):
        await service.set_downloadable(
            db=db,
            bus=bus,
            claims=claims,
            presentation_id=message.presentation,
            allowed=message.allowed,
        )
    elif isinstance(message, protocol.PresentationDelete):
        await service.delete_presentation(
            db=db, bus=bus, claims=claims, presentation_id=message.presentation, root=root
        )
