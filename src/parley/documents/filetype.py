"""What an uploaded file really is, told from its content (never from its name).

Kept free of heavy imports: the render process and the upload view both use it.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Literal

Kind = Literal["pdf", "png", "jpeg", "pptx", "docx", "odp", "odt"]
OFFICE_KINDS = frozenset({"pptx", "docx", "odp", "odt"})
# An office file is a zip: past these, it is taken for a decompression bomb and refused.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
ZIP_MAX_RATIO = 200
# An OpenDocument's `mimetype` entry holds its type and nothing else: only this much of it is
# ever unpacked, however large the entry says it is.
MIMETYPE_MAX = 100

OPENDOCUMENT = {
    b"application/vnd.oasis.opendocument.presentation": "odp",
    b"application/vnd.oasis.opendocument.text": "odt",
}


class NotADocument(Exception):
    """The file is none of the kinds Parley shows."""


class ZipBomb(Exception):
    """The file unpacks to far more than its size: refused unread."""


def sniff(path: Path) -> Kind:
    """Tell the kind of the file at `path` from its first bytes (and a zip's directory).

    Reads a few hundred bytes at most, of the file and of any one zip entry; still, it does
    blocking reads: call it in a thread, never on the event loop.
    """
    with path.open("rb") as file:
        head = file.read(64)
    if head.startswith(b"%PDF-"):
        return "pdf"
    # PDF allows a little junk before the header (up to 1024 bytes, by the specification).
    if b"%PDF-" in _first(path, 1024):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office(path)
    raise NotADocument(path.name)


def _first(path: Path, size: int) -> bytes:
    with path.open("rb") as file:
        return file.read(size)


def _office(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise ZipBomb(path.name)
            unpacked = sum(entry.file_size for entry in entries)
            packed = max(1, sum(entry.compress_size for entry in entries))
            if unpacked > ZIP_MAX_UNCOMPRESSED or unpacked / packed > ZIP_MAX_RATIO:
                raise ZipBomb(path.name)
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                # Never read() an entry whole: a small file may unpack to gigabytes here.
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(MIMETYPE_MAX + 1)
                mimetype = mimetype.strip() if len(mimetype) <= MIMETYPE_MAX else b""
                if mimetype in OPENDOCUMENT:
                    kind: Kind = "odp" if OPENDOCUMENT[mimetype] == "odp" else "odt"
                    return kind
            if "[Content_Types].xml" in names:
                if "ppt/presentation.xml" in names:
                    return "pptx"
                if "word/document.xml" in names:
                    return "docx"
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error) as error:
        raise NotADocument(path.name) from error
    raise NotADocument(path.name)
