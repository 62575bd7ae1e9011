"""`GET /healthz`: whether this process can serve, for load balancers and monitors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from parley import db
from parley.runtime import runtime_of

router = APIRouter()


@router.get("/healthz", tags=["health"])
async def healthz(request: Request) -> JSONResponse:
    """Answer 200 when the database answers, 503 otherwise."""
    if await db.ping(runtime_of(request).engine):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
