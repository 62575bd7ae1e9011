"""The conversion job: render an uploaded document's pages in a process of its own.

The render process (parley.documents.render) limits its own memory; this job gives it a time
limit, reads its progress line by line, records it and announces each page as it is ready,
so the first page shows while the others are still being made. Whatever the file does to the
render process (a crash, a bomb, an endless loop), this process only sees it end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from typing import Any

from parley.db import utcnow
from parley.documents import files, service
from parley.documents.models import CONVERTING, FAILED, READY, Presentation
from parley.jobs.worker import JobContext

log = logging.getLogger(__name__)

# Progress is written to the database at most this often (it is announced for every page).
RECORD_SECONDS = 0.5
# Beyond the conversion's own time limit, what starting and stopping the process may take.
GRACE_SECONDS = 10.0
# A progress line longer than this is not one the render process writes.
LINE_LIMIT = 64 * 1024


async def convert_job(context: JobContext, payload: dict[str, Any]) -> None:
    """Render presentation `payload["id"]`; record the outcome on it (never raise for it)."""
    presentation_id = int(payload["id"])
    settings = context.settings
    root = settings.effective_documents_dir
    async with context.database() as db:
        document = await db.get(Presentation, presentation_id)
        if document is None or document.status in {READY, FAILED}:
            return
        room_id = document.room_id
        document.status = CONVERTING
        document.done = 0
        document.sizes = []
        await db.commit()
    await service.announce(context.bus, room_id, "board", {"type": "stage"})

    source = files.original(root, room_id, presentation_id)
    output = files.folder(root, room_id, presentation_id) / files.PAGES
    command = [
        sys.executable,
        "-m",
        "parley.documents.render",
        str(source),
        str(output),
        "--max-pages",
        str(settings.document_max_pages),
        "--timeout",
        str(settings.document_timeout_seconds),
        "--memory-mb",
        str(settings.document_memory_mb),
    ]
    progress = _Progress(context, room_id, presentation_id)
    error: str | None = None
    details: dict[str, Any] = {}
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=LINE_LIMIT,
    )
    assert process.stdout is not None and process.stderr is not None
    stderr = asyncio.create_task(process.stderr.read(16 * 1024))
    try:
        async with asyncio.timeout(settings.document_timeout_seconds + GRACE_SECONDS):
            while line := await process.stdout.readline():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if "error" in event:
                    error = str(event.pop("error"))
                    details = {k: v for k, v in event.items() if isinstance(v, int | str)}
                elif "pages" in event:
                    await progress.pages(int(event["pages"]))
                elif "page" in event:
                    await progress.page(int(event["width"]), int(event["height"]))
            code = await process.wait()
    except TimeoutError:
        error, code = "timeout", -1
    except Exception:
        log.exception("document conversion failed", extra={"presentation": presentation_id})
        error, code = "failed", -1
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        # LibreOffice may have left children in the group: they go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    messages = (await stderr).decode(errors="replace")
    if error is None and code != 0:
        # Killed by a signal, or Python gave up: out of memory, most likely.
        memory = code < 0 or "MemoryError" in messages or "cannot allocate" in messages.lower()
        error = "memory" if memory else "failed"
        log.warning(
            "document render exited with %s",
            code,
            extra={"presentation": presentation_id, "stderr": messages[-2000:]},
        )
    await progress.finish(error, details)


class _Progress:
    """Record and announce a conversion's progress."""

    def __init__(self, context: JobContext, room_id: int, presentation_id: int) -> None:
        self.context = context
        self.room_id = room_id
        self.presentation_id = presentation_id
        self.total = 0
        self.sizes: list[list[int]] = []
        self.recorded = 0.0

    async def pages(self, total: int) -> None:
        self.total = total
        await self._record(force=True)

    async def page(self, width: int, height: int) -> None:
        self.sizes.append([width, height])
        await service.announce(
            self.context.bus,
            self.room_id,
            "board",
            {
                "type": "progress",
                "presentation": self.presentation_id,
                "done": len(self.sizes),
                "pages": self.total,
                "size": [width, height],
            },
        )
        await self._record(force=len(self.sizes) == 1)

    async def _record(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self.recorded < RECORD_SECONDS:
            return
        self.recorded = now
        async with self.context.database() as db:
            document = await db.get(Presentation, self.presentation_id)
            if document is not None:
                document.pages = self.total
                document.done = len(self.sizes)
                document.sizes = list(self.sizes)
                await db.commit()

    async def finish(self, error: str | None, details: dict[str, Any]) -> None:
        async with self.context.database() as db:
            document = await db.get(Presentation, self.presentation_id)
            if document is None:
                return
            document.pages = self.total if error is None else document.pages
            document.done = len(self.sizes)
            document.sizes = list(self.sizes)
            document.finished_at = utcnow()
            if error is None and self.sizes:
                document.status = READY
                document.pages = len(self.sizes)
            else:
                document.status = FAILED
                code = error or "failed"
                document.error = service.CONVERSION_ERRORS.get(
                    code, service.CONVERSION_ERRORS["failed"]
                )
                document.error_params = details
            await db.commit()
        await service.announce(self.context.bus, self.room_id, "board", {"type": "stage"})
