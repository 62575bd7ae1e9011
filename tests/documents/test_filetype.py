"""Telling a file's kind from its content, within bounded memory whatever the file claims."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from parley.documents.filetype import NotADocument, sniff
from tests.documents import samples

# Far below the 256 MB the crafted entry unpacks to, far above what sniffing needs.
MEMORY_BOUND = 16 * 1024 * 1024


def test_an_opendocument_is_told_from_its_mimetype(tmp_path: Path) -> None:
    assert sniff(samples.odt(tmp_path / "letter.odt")) == "odt"


def test_a_huge_mimetype_entry_is_refused_without_being_unpacked(tmp_path: Path) -> None:
    crafted = samples.odt_with_huge_mimetype(tmp_path / "crafted.odt", megabytes=256)
    # Small on disk, within the ratio zip bombs are told by: only its mimetype gives it away.
    assert crafted.stat().st_size < 8 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(NotADocument):
            sniff(crafted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"sniffing took {peak / 1e6:.0f} MB"
