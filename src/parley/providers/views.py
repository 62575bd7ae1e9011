"""The providers' webhook: the services call Parley here (Zoom, when its app is removed)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from parley import i18n
from parley.deps import DbSession, Id
from parley.errors import N_, NotFound, ParleyError
from parley.providers import service as providers
from parley.providers.service import ProviderRuntime
from parley.runtime import runtime_of

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/providers", tags=["providers"])

# A webhook body larger than this is not an event of a meeting service.
MAX_WEBHOOK_BYTES = 64 * 1024


@router.post("/{config_id}/webhook")
async def webhook(config_id: Id, request: Request, db: DbSession) -> JSONResponse:
    """Receive a signed call of the service of configuration `config_id`."""
    row = await providers.get(db=db, config_id=config_id)
    if row is None:
        raise NotFound(N_("No such provider configuration."))
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        return JSONResponse({"code": "too_large"}, status_code=413)
    runtime: ProviderRuntime = runtime_of(request).providers
    try:
        provider = runtime.instance(row)
        answer = await provider.handle_webhook(request.headers, body)
    except ParleyError as exc:
        log.warning("webhook refused", extra={"provider_config": row.id, "error": exc.code})
        message = i18n.gettext(exc.message, **exc.params)
        return JSONResponse({"code": exc.code, "detail": message}, status_code=exc.status_code)
    if answer.status_code >= 400:
        log.warning(
            "webhook refused", extra={"provider_config": row.id, "status": answer.status_code}
        )
    if answer.deauthorized_account is not None:
        await providers.deauthorized(db=db, row=row, account_id=answer.deauthorized_account)
    return JSONResponse(dict(answer.body), status_code=answer.status_code)
