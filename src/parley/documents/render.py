"""Render an uploaded document's pages in a process of its own (`-m parley.documents.render`).

The job that runs it (parley.documents.jobs) sets nothing up: this process limits its own
memory (and LibreOffice's, a child of it) before it opens the file, so a hostile document can
only exhaust what it was given. It writes one JSON object per line on standard output:
`{"pages": n}` once the document is open, `{"page": i, "width": w, "height": h}` as each page
is ready, or `{"error": code, ...}` and exit status 2 when the document cannot be shown.
Nothing here imports the rest of Parley: it starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from parley.documents.filetype import OFFICE_KINDS, NotADocument, ZipBomb, sniff

# Pages are rendered to fit this box (a full-HD screen, with room for the meeting around it).
PAGE_BOX = (1600, 1200)
THUMB_WIDTH = 240
PAGE_QUALITY = 85
# Images larger than this many pixels are taken for decompression bombs.
MAX_IMAGE_PIXELS = 60_000_000
# PDFium's error code for a document that needs a password.
PDFIUM_ERR_PASSWORD = 4


class Refused(Exception):
    """The document cannot be shown; `code` says why (the job turns it into a message)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def emit(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (children inherit the cap)."""
    size = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def office_available() -> bool:
    """Tell whether LibreOffice is installed (office documents need it)."""
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def office_to_pdf(source: Path, work: Path, deadline: float) -> Path:
    """Convert an office document with LibreOffice; return the PDF it wrote."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise Refused("no_office")
    # A profile of its own: two conversions at once would otherwise share (and lock) one.
    profile = work / "profile"
    typed = work / f"document{source.suffix}"
    shutil.copyfile(source, typed)
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(work),
        str(typed),
    ]
    # The limit is the limit: what is left of it, none when it is spent already.
    timeout = deadline - time.monotonic()
    if timeout <= 0:
        raise Refused("timeout")
    # A session of its own, so that a timeout stops LibreOffice's every process, not only the
    # launcher script.
    process = subprocess.Popen(  # noqa: S603 - a fixed program and our own paths
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise Refused("timeout") from error
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    result = work / "document.pdf"
    if not result.exists() or result.stat().st_size == 0:
        raise Refused("unreadable")
    return result


def render_pdf(path: Path, output: Path, max_pages: int) -> None:
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == PDFIUM_ERR_PASSWORD:
            raise Refused("encrypted") from error
        raise Refused("unreadable") from error
    count = len(document)
    if count == 0:
        raise Refused("unreadable")
    if count > max_pages:
        raise Refused("too_many_pages", pages=count, limit=max_pages)
    emit(pages=count)
    for index in range(count):
        page = document[index]
        try:
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                raise Refused("unreadable")
            scale = min(PAGE_BOX[0] / width, PAGE_BOX[1] / height)
            bitmap = page.render(scale=scale, may_draw_forms=True)
            image = bitmap.to_pil()
        except pdfium.PdfiumError as error:
            raise Refused("unreadable") from error
        finally:
            page.close()
        save_page(image, output, index + 1)
    document.close()


def render_image(path: Path, output: Path) -> None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice it: a bomb all the same.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                opened.load()
                image = opened.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused("too_large_image") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise Refused("unreadable") from error
    emit(pages=1)
    scale = min(1.0, PAGE_BOX[0] / image.width, PAGE_BOX[1] / image.height)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    save_page(image, output, 1)


def save_page(image: Any, output: Path, number: int) -> None:
    """Write page `number` and its thumbnail (JPEG: small, and quick to encode)."""
    from PIL import Image

    image = image.convert("RGB")
    image.save(output / f"page-{number}.jpg", "JPEG", quality=PAGE_QUALITY)
    thumb_height = max(1, round(image.height * THUMB_WIDTH / image.width))
    thumb = image.resize((THUMB_WIDTH, thumb_height), Image.Resampling.BILINEAR)
    thumb.save(output / f"thumb-{number}.jpg", "JPEG", quality=75)
    emit(page=number, width=image.width, height=image.height)


def run(source: Path, output: Path, *, max_pages: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        kind = sniff(source)
    except ZipBomb as error:
        raise Refused("bomb") from error
    except NotADocument as error:
        raise Refused("unsupported") from error
    output.mkdir(parents=True, exist_ok=True)
    if kind in {"png", "jpeg"}:
        render_image(source, output)
    elif kind == "pdf":
        render_pdf(source, output, max_pages)
    elif kind in OFFICE_KINDS:
        with tempfile.TemporaryDirectory(
            prefix="parley-office-", ignore_cleanup_errors=True
        ) as work:
            pdf = office_to_pdf(source.resolve(), Path(work), deadline)
            render_pdf(pdf, output, max_pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render a document's pages as images.")
    parser.add_argument("source", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--max-pages", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--memory-mb", type=int, default=0)
    arguments = parser.parse_args(argv)
    if arguments.memory_mb:
        limit_memory(arguments.memory_mb)
    try:
        run(
            arguments.source,
            arguments.output,
            max_pages=arguments.max_pages,
            timeout=arguments.timeout,
        )
    except Refused as refusal:
        emit(error=refusal.code, **refusal.details)
        return 2
    except MemoryError:
        emit(error="memory")
        return 2
    return 0


if __name__ == "__main__":
    # Quick exit: nothing to clean up, and interpreter teardown of PDFium objects is slow.
    code = main()
    sys.stdout.flush()
    os._exit(code)
