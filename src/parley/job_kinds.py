"""Every kind of job and its handler: what a worker knows how to do.

Wiring, like `parley.app`: the job queue (`parley.jobs`) sits below the domains whose jobs it
runs, so the list of what it runs is made here, above them all.
"""

from __future__ import annotations

from parley.documents import jobs as documents
from parley.documents import service as document_service
from parley.jobs.worker import Handler, batch
from parley.mail import outbox
from parley.people import service as people
from parley.sessions import pipeline
from parley.sessions import service as sessions


def handlers() -> dict[str, Handler]:
    return {
        outbox.JOB_KIND: outbox.send_job,
        document_service.CONVERT_JOB: documents.convert_job,
        people.EXPIRE_JOB: people.expire_job,
        sessions.GENERATE: pipeline.generate,
        sessions.REMIND: batch(pipeline.remind_many),
        sessions.UPDATE: pipeline.carry_change,
        sessions.CANCEL: pipeline.carry_cancel,
    }
