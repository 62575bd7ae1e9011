"""Videos a presenter shares by address: which addresses are accepted, and how they play.

Only plain video files (played by the browser's own player) and videos of known services
(played in their embed, from a fixed address built here): never an address a page would
run, and nothing from the address but the video's id reaches the embed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from parley.errors import N_, ParleyError

FILE_TYPES = (".mp4", ".m4v", ".webm", ".ogg", ".ogv")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
PEERTUBE_ID = re.compile(r"[A-Za-z0-9-]{8,40}")


class BadVideo(ParleyError):
    status_code = 422
    code = "bad_video"


def parse(url: str, *, peertube_hosts: list[str]) -> dict[str, Any]:
    """The video behind `url`: `{provider, url, id?}`, or a BadVideo saying what works."""
    refusal = BadVideo(
        N_(
            "This address cannot be shared: give a link to an .mp4, .webm or .ogg file, "
            "or to a YouTube, Vimeo or PeerTube video."
        )
    )
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise refusal from None
    if parts.scheme not in {"http", "https"} or not host or parts.username or parts.password:
        raise refusal
    path = parts.path
    if host in YOUTUBE_HOSTS:
        if host == "youtu.be":
            video = path.strip("/")
        elif path == "/watch":
            video = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            match = re.fullmatch(r"/(?:embed|shorts|live)/([^/]+)/?", path)
            video = match.group(1) if match else ""
        if not YOUTUBE_ID.fullmatch(video):
            raise refusal
        return {
            "provider": "youtube",
            "id": video,
            "url": f"https://www.youtube.com/watch?v={video}",
        }
    if host in VIMEO_HOSTS:
        match = re.fullmatch(r"/(?:video/)?(\d{1,12})/?", path)
        if not match:
            raise refusal
        return {
            "provider": "vimeo",
            "id": match.group(1),
            "url": f"https://vimeo.com/{match.group(1)}",
        }
    if host in {h.lower() for h in peertube_hosts}:
        match = re.fullmatch(r"/(?:w|videos/watch|videos/embed)/([^/]+)/?", path)
        if parts.scheme != "https" or not match or not PEERTUBE_ID.fullmatch(match.group(1)):
            raise refusal
        return {
            "provider": "peertube",
            "id": match.group(1),
            "host": host if port is None else f"{host}:{port}",
            "url": f"https://{host}/w/{match.group(1)}",
        }
    if path.lower().endswith(FILE_TYPES):
        return {"provider": "file", "url": parts.geturl()}
    raise refusal
