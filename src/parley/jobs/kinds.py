"""Every kind of job and its handler: what a worker knows how to do."""

from __future__ import annotations

from parley.jobs.worker import Handler
from parley.mail import outbox
from parley.people import service as people


def handlers() -> dict[str, Handler]:
    return {
        outbox.JOB_KIND: outbox.send_job,
        people.EXPIRE_JOB: people.expire_job,
    }
