"""Janus's configuration, written from Parley's settings (`parley janus-config`).

The templates beside this module (`janus_conf/`) enable the VideoRoom plugin only, the HTTP
and WebSocket transports only, token authentication with Parley's secret, the Admin API with
its own; by default everything listens on 127.0.0.1 (development). docs/sfu.md shows a
production layout.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from parley.settings import Settings

TEMPLATES = Path(__file__).parent / "janus_conf"


@dataclass(frozen=True)
class Layout:
    """Where one Janus listens, and which addresses it offers for media."""

    api_ip: str = "127.0.0.1"
    api_port: int = 8088
    admin_port: int = 7088
    ws_ip: str = "127.0.0.1"
    ws_port: int = 8188
    rtp_ports: str = "20000-40000"
    # Interfaces (or addresses) ICE may use, comma-separated; empty: all but loopback.
    ice_enforce: str = ""
    # The public address when Janus is behind a 1:1 NAT (a cloud server).
    nat_1_1: str = ""
    name: str = "parley-janus"


def library_folder() -> Path:
    """Where Janus's plugins are installed (Debian puts them under the architecture's folder)."""
    for pattern in (
        "/usr/lib/*/janus",
        "/usr/lib/janus",
        "/usr/local/lib/janus",
        "/opt/janus/lib/janus",
    ):
        for found in sorted(glob.glob(pattern)):
            if Path(found, "plugins").is_dir():
                return Path(found)
    raise FileNotFoundError("Janus's plugins were not found: is the 'janus' package installed?")


def write_config(
    folder: Path, settings: Settings, layout: Layout, library: Path | None = None
) -> Path:
    """Write Janus's configuration files into `folder` (made private: they hold secrets)."""
    secrets = {
        "TOKEN_SECRET": settings.janus_token_secret.get_secret_value(),
        "ADMIN_SECRET": settings.janus_admin_secret.get_secret_value(),
        "ADMIN_KEY": settings.janus_admin_key.get_secret_value(),
    }
    missing = [name for name, value in secrets.items() if not value]
    if missing:
        raise ValueError("set " + ", ".join(f"PARLEY_JANUS_{name}" for name in missing) + " first")
    for name, value in secrets.items():
        if '"' in value or "\\" in value:
            raise ValueError(f"PARLEY_JANUS_{name} may not hold quotes or backslashes")
    values = {
        **secrets,
        "CONFIGS_FOLDER": str(folder.resolve()),
        "LIBRARY": str(library or library_folder()),
        "SERVER_NAME": layout.name,
        "RTP_PORTS": layout.rtp_ports,
        "ICE_ENFORCE": f'ice_enforce_list = "{layout.ice_enforce}"' if layout.ice_enforce else "",
        "NAT_1_1": f'nat_1_1_mapping = "{layout.nat_1_1}"' if layout.nat_1_1 else "",
        "API_IP": layout.api_ip,
        "API_PORT": str(layout.api_port),
        "ADMIN_PORT": str(layout.admin_port),
        "WS_IP": layout.ws_ip,
        "WS_PORT": str(layout.ws_port),
    }
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for template in sorted(TEMPLATES.glob("*.jcfg")):
        text = template.read_text()
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        target = folder / template.name
        target.write_text(text)
        target.chmod(0o600)
    return folder
