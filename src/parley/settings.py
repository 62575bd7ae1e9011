"""Settings read from `PARLEY_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Where the embedded default keeps its files (SQLite database, generated secret).
DEFAULT_VAR_DIR = Path("var")


class JanusNodeSettings(BaseModel):
    """One Janus server (see `janus_nodes`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    api_url: str = Field(pattern=r"^https?://")
    admin_url: str = Field(pattern=r"^https?://")
    public_url: str = Field(pattern=r"^wss?://")


class Settings(BaseSettings):
    """Everything Parley can be configured with; see the README's table."""

    model_config = SettingsConfigDict(
        env_prefix="PARLEY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    bus_url: str = "memory://"
    secret_key: SecretStr | None = None
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    auto_migrate: bool = True
    # The WebSocket implementation uvicorn serves with; sans-I/O measured lighter on CPU and
    # memory per connection (bench/meeting_hub.py).
    websocket_implementation: Literal["websockets", "websockets-sansio"] = "websockets-sansio"
    # A request's head (request line and header fields) larger than this is refused with 431,
    # one not complete this long after its first byte with 408 (slow clients hold no
    # connection forever); see parley.serving.
    max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024, le=1024 * 1024)
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Parley <parley@localhost>"

    # Meeting sockets nobody logged in holds (guests, people waiting), per client address and
    # process: a classroom behind one NAT stays under it, one machine opening thousands does not.
    anonymous_sockets_per_address: int = Field(default=20, ge=1)
    # Failed logins allowed per address and per account in one window.
    login_attempts: str = "10/minute"
    # Wrong room access codes allowed per address and room in one window.
    access_code_attempts: str = "10/minute"
    session_days: int = Field(default=14, ge=1, le=365)
    default_language: Literal["en", "fr"] = "en"

    # Media. STUN and TURN servers browsers use to reach each other, comma-separated
    # (`stun:stun.example.org:3478`, `turn:turn.example.org:3478?transport=udp`, `turns:…`).
    # TURN credentials are made per person from the secret shared with coturn
    # (`use-auth-secret`) and expire after `turn_ttl_seconds`.
    stun_urls: Annotated[list[str], NoDecode] = []
    turn_urls: Annotated[list[str], NoDecode] = []
    turn_secret: SecretStr = SecretStr("")
    turn_ttl_seconds: int = Field(default=4 * 3600, ge=60, le=7 * 24 * 3600)
    # Peer to peer, every browser sends its video to every other: past this many people
    # media is refused with a notice (the SFU takes larger meetings).
    mesh_limit: int = Field(default=6, ge=2, le=12)
    # The SFU (Janus VideoRoom) for larger meetings: the nodes Parley drives, as JSON, e.g.
    # `[{"name": "a", "api_url": "http://10.0.0.5:8088/janus", "admin_url":
    # "http://10.0.0.5:7088/admin", "public_url": "wss://janus-a.example.org/"}]`, and the
    # secrets shared with them (Janus's `token_auth_secret` and `admin_secret`, VideoRoom's
    # `admin_key`). With nodes, a meeting switches to the SFU once it has `sfu_threshold`
    # people (or at once, for rooms set so); each browser shows `sfu_videos` videos at most.
    janus_nodes: list[JanusNodeSettings] = []
    janus_token_secret: SecretStr = SecretStr("")
    janus_admin_secret: SecretStr = SecretStr("")
    janus_admin_key: SecretStr = SecretStr("")
    # Browsers' tokens expire after this long; pages fetch new ones before.
    janus_token_ttl_seconds: int = Field(default=600, ge=30, le=24 * 3600)
    janus_health_seconds: float = Field(default=2.0, gt=0, le=300)
    sfu_threshold: int = Field(default=4, ge=2, le=1000)
    sfu_videos: int = Field(default=9, ge=1, le=49)
    # PeerTube servers whose videos may be shared in meetings (host names, comma-separated).
    peertube_hosts: Annotated[list[str], NoDecode] = []

    # Durable jobs (emails, invitation expiry…): run by every `parley serve` by default, or
    # only by `parley worker` processes when this is false.
    jobs_in_process: bool = True
    jobs_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    jobs_concurrency: int = Field(default=10, ge=1, le=500)
    # A job still running after this long is taken for abandoned (its worker died) and runs
    # again elsewhere; longer than any job takes.
    jobs_lease_seconds: float = Field(default=300.0, ge=1, le=86_400)
    # Calls and invitations: how long they ring, and how often one member may ask another.
    call_ring_seconds: int = Field(default=30, ge=5, le=300)
    invitation_ring_seconds: int = Field(default=60, ge=5, le=600)
    invitations_per_person: str = "4/minute"
    # Guests invited by email, per member.
    email_invitations: str = "30/hour"
    # How often each process repeats who is connected to it; three missed beats: offline.
    presence_beat_seconds: float = Field(default=10.0, gt=0, le=300)
    # Scheduled sessions: their online meeting is made this long before the start, and each
    # registered member gets the link this long before it.
    session_generate_hours: float = Field(default=24.0, ge=0, le=24 * 30)
    session_remind_minutes: float = Field(default=15.0, ge=0, le=24 * 60)

    # Meeting providers (parley.providers): how long Parley waits for Jitsi, BigBlueButton or
    # Zoom to answer one request before it tells the person the service did not answer.
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # The BigBlueButton-compatible API (parley.bbb) at /bigbluebutton/api/: served only when
    # this secret (what BigBlueButton calls the shared secret or salt) is set. Checksums may
    # be SHA-1, SHA-256, SHA-384 or SHA-512; with `bbb_api_refuse_sha1`, SHA-1 is refused.
    bbb_api_secret: SecretStr = SecretStr("")
    bbb_api_refuse_sha1: bool = False

    # Documents (parley.documents): shared notes, presentations, the whiteboard. Uploaded files
    # and their rendered pages live in `documents_dir` (`var_dir/documents` by default), which
    # every process of a deployment must share. A document is refused past `document_max_bytes`
    # or `document_max_pages`; rendering one may take `document_timeout_seconds` and
    # `document_memory_mb` of memory (office files are converted by LibreOffice within both).
    documents_dir: Path | None = None
    document_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, le=2**31 - 1)
    document_max_pages: int = Field(default=500, ge=1, le=5000)
    document_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    document_memory_mb: int = Field(default=2048, ge=256, le=65536)
    # Storage quotas, in MB (0: no limit): what one room's documents may take, and what one
    # member's uploads may take across every room. A document counts for its size as uploaded
    # (its rendered pages, bounded by `document_max_pages`, are not counted: their size is
    # only known once the upload has been accepted). A guest's uploads count for the room.
    room_storage_mb: int = Field(default=500, ge=0, le=100_000_000)
    member_storage_mb: int = Field(default=1000, ge=0, le=100_000_000)

    @field_validator("stun_urls", "turn_urls", "peertube_hosts", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("stun_urls", "turn_urls")
    @classmethod
    def _check_ice_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.fullmatch(r"(stuns?|turns?):[^\s,]+", url):
                raise ValueError(f"not a STUN or TURN address: {url!r}")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _turn_needs_secret(self) -> Settings:
        if self.turn_urls and not self.turn_secret.get_secret_value():
            raise ValueError(
                "PARLEY_TURN_URLS needs PARLEY_TURN_SECRET (coturn's static-auth-secret)"
            )
        return self

    @model_validator(mode="after")
    def _janus_needs_secrets(self) -> Settings:
        if self.janus_nodes:
            missing = [
                f"PARLEY_{name.upper()}"
                for name in ("janus_token_secret", "janus_admin_secret", "janus_admin_key")
                if not getattr(self, name).get_secret_value()
            ]
            if missing:
                raise ValueError(f"PARLEY_JANUS_NODES needs {', '.join(missing)}")
            names = [node.name for node in self.janus_nodes]
            if len(set(names)) != len(names):
                raise ValueError("PARLEY_JANUS_NODES: each node needs a name of its own")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'parley.db'}"

    @property
    def effective_documents_dir(self) -> Path:
        return self.documents_dir or self.var_dir / "documents"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.effective_public_url.startswith("https://")

    def secret(self) -> str:
        """Return the secret key, generating and storing one under `var_dir` on first use."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Created with owner-only permissions so other local users cannot read it.
        path.touch(mode=0o600)
        path.write_text(value)
        self.secret_key = SecretStr(value)
        return value
