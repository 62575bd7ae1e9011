"""The shared documents' socket, `/r/<slug>/yjs/<notes|board>`: binary y-protocols messages.

A message's first byte is its type: 0 sync and 1 awareness, as y-protocols defines them (what
`yjs` in the browser speaks), and 100 for Parley's own control messages, JSON after the byte.

From the browser:
- sync step 1 (a state vector): answered with what the client misses;
- sync step 2 and updates: applied only when the sender may write this document (the
  notes: moderators always, the others while they are not locked; the board: the meeting's
  presenter always, the others while the presenter lets them draw); otherwise refused with a
  `rejected` control message, and nothing changes;
- awareness (cursors, the presenter's pointer): passed on, with the `user` field set by the
  server from the join token and the meeting (a client cannot pass for someone else, nor for
  the presenter);
- control: `lock {locked}` (on the notes, moderators: locked for participants; on the board,
  the presenter: drawing closed to the others), and on the board: `stage.show
  {presentation|null}`, `stage.hide`, `stage.page {page}`, `stage.add_page`,
  `presentation.download {presentation, allowed}` (the presenter; anyone else, moderators
  included, gets `error` `not_presenter`), `presentation.delete {presentation}` (moderators).

From the server: sync and awareness messages, and control messages `state` (the document's
lock, who this person is (`you`, with `presenter`), what they may do and, on the board, the
stage (with the presenter's id) and the room's presentations; sent again when it changes),
`progress {presentation, done, pages}`, `rejected {message}`, `error {code, message}`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_CONTROL = 100
DOCUMENTS = ("notes", "board")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lock(_Message):
    type: Literal["lock"]
    locked: bool


class StageShow(_Message):
    type: Literal["stage.show"]
    presentation: Annotated[int, Field(ge=1)] | None = None


class StageHide(_Message):
    type: Literal["stage.hide"]


class StagePage(_Message):
    type: Literal["stage.page"]
    page: Annotated[int, Field(ge=1, le=100_000)]


class StageAddPage(_Message):
    type: Literal["stage.add_page"]


class PresentationDownload(_Message):
    type: Literal["presentation.download"]
    presentation: Annotated[int, Field(ge=1)]
    allowed: bool


class PresentationDelete(_Message):
    type: Literal["presentation.delete"]
    presentation: Annotated[int, Field(ge=1)]


Control = Annotated[
    Lock
    | StageShow
    | StageHide
    | StagePage
    | StageAddPage
    | PresentationDownload
    | PresentationDelete,
    Field(discriminator="type"),
]
control_message: TypeAdapter[Control] = TypeAdapter(Control)
# Control messages meant for the board only.
BOARD_ONLY = (
    StageShow,
    StageHide,
    StagePage,
    StageAddPage,
    PresentationDownload,
    PresentationDelete,
)
