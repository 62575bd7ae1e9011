"""Room links: unique, readable, and never guessable from the room's number."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.rooms.service import SLUG_ALPHABET, new_slug


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=10**9))
def test_slugs_are_readable_and_do_not_encode_the_id(room_id: int) -> None:
    slug = new_slug()
    groups = slug.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(SLUG_ALPHABET)
    assert not set("ilo01") & set(slug)
    assert str(room_id) not in slug


def test_slugs_do_not_repeat() -> None:
    slugs = {new_slug() for _ in range(100_000)}
    assert len(slugs) == 100_000


def test_slug_letters_are_spread_evenly() -> None:
    # A biased generator would make links easier to guess than their length says.
    letters = "".join(new_slug().replace("-", "") for _ in range(20_000))
    expected = len(letters) / len(SLUG_ALPHABET)
    counts = [letters.count(c) for c in SLUG_ALPHABET]
    assert all(abs(c - expected) < expected * 0.08 for c in counts)
