"""A real SMTP server (aiosmtpd) that accepts everything and logs one line per message:
arrival time, recipient, Message-ID. Run by bench/session_reminders.py in its own process.

Run:  python bench/smtp_sink.py PORT LOGFILE
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from typing import Any

import uvloop
from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, path: str) -> None:
        self.log = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = MESSAGE_ID.search(envelope.content)
        message_id = found.group(1).decode() if found else "-"
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.log.write(f"{time.time():.6f}\t{recipient}\t{message_id}\n")
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(
        Sink(path), hostname="127.0.0.1", port=port, loop=uvloop.new_event_loop()
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
