"""Settings: the secret key is generated once, kept private, and never a constant."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from parley.settings import Settings


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(_env_file=None, var_dir=tmp_path).secret()  # type: ignore[call-arg]
    again = Settings(_env_file=None, var_dir=tmp_path).secret()  # type: ignore[call-arg]
    other = Settings(_env_file=None, var_dir=tmp_path / "other").secret()  # type: ignore[call-arg]
    assert first == again and first != other and len(first) >= 48
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_configures_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARLEY_DATABASE_URL", "postgresql+asyncpg://db/parley")
    monkeypatch.setenv("PARLEY_BUS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PARLEY_PUBLIC_URL", "https://meet.example.org/")
    monkeypatch.setenv("PARLEY_PORT", "9000")
    monkeypatch.setenv("PARLEY_SECRET_KEY", "from-the-environment")
    settings = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.effective_database_url == "postgresql+asyncpg://db/parley"
    assert settings.bus_url == "redis://127.0.0.1:6379/0"
    assert settings.effective_public_url == "https://meet.example.org"
    assert settings.secure_cookies and settings.port == 9000
    assert settings.secret() == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
    assert settings.bus_url == "memory://"
    assert settings.effective_public_url == "http://127.0.0.1:8000"
    assert not settings.secure_cookies
