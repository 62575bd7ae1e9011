"""Where a presentation's files live: `<documents_dir>/<room>/<presentation>/`."""

from __future__ import annotations

import shutil
from pathlib import Path

ORIGINAL = "original"
PAGES = "pages"


def folder(root: Path, room_id: int, presentation_id: int) -> Path:
    return root / str(room_id) / str(presentation_id)


def original(root: Path, room_id: int, presentation_id: int) -> Path:
    return folder(root, room_id, presentation_id) / ORIGINAL


def page(root: Path, room_id: int, presentation_id: int, number: int, *, thumb: bool) -> Path:
    name = f"{'thumb' if thumb else 'page'}-{number}.jpg"
    return folder(root, room_id, presentation_id) / PAGES / name


def incoming(root: Path) -> Path:
    """The folder uploads are written to before they are known to be acceptable."""
    path = root / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def remove(root: Path, room_id: int, presentation_id: int) -> None:
    shutil.rmtree(folder(root, room_id, presentation_id), ignore_errors=True)
