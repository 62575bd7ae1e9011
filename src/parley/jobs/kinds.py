"""Every kind of job and its handler: what a worker knows how to do."""

from __future__ import annotations

from parley.documents import jobs as documents
from parley.documents import service as document_service
from parley.jobs.worker import Handler
from parley.mail import outbox
from parley.people import service as people


def handlers() -> dict[str, Handler]:
    return {
        outbox.JOB_KIND: outbox.send_job,
        document_service.CONVERT_JOB: documents.convert_job,
        people.EXPIRE_JOB: people.expire_job,
    }
