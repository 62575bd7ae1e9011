"""Secrets at rest: they read back only with the same key, in the same place, unaltered."""

from __future__ import annotations

import pytest

from parley.providers.crypto import SecretBox, SecretUnreadable, hkdf_sha256


def test_round_trip_and_no_clear_text() -> None:
    box = SecretBox("app secret")
    token = box.encrypt("my BBB secret é", context="provider:1:secret")
    assert "BBB" not in token and token.startswith("v1.")
    assert box.decrypt(token, context="provider:1:secret") == "my BBB secret é"
    # Each encryption has its own nonce: equal secrets do not look equal in the database.
    assert box.encrypt("same", context="c") != box.encrypt("same", context="c")


@pytest.mark.parametrize(
    ("key", "context", "alter"),
    [
        ("another app secret", "provider:1:secret", False),
        ("app secret", "provider:2:secret", False),
        ("app secret", "provider:1:secret", True),
    ],
    ids=["other-key", "moved-to-another-row", "altered"],
)
def test_refuses_another_key_another_place_or_a_change(key: str, context: str, alter: bool) -> None:
    token = SecretBox("app secret").encrypt("s3cret", context="provider:1:secret")
    if alter:
        token = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(SecretUnreadable):
        SecretBox(key).decrypt(token, context=context)


@pytest.mark.parametrize("garbage", ["", "v1.", "v2.abc", "v1.!!!!", "plain text"])
def test_garbage_is_unreadable_not_a_crash(garbage: str) -> None:
    with pytest.raises(SecretUnreadable):
        SecretBox("k").decrypt(garbage, context="c")


def test_hkdf_matches_rfc_5869_test_case_1() -> None:
    key = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    expected = (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
    assert hkdf_sha256(key, salt=salt, info=info, length=42).hex() == expected
