"""DomainError → RFC 9457 problem+json, once for every HTTP route."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from bot.domain.errors import DomainError


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                        status_code=status, media_type="application/problem+json")


async def domain_error_handler(request: Request, error: DomainError) -> JSONResponse:
    extra = {"code": error.code}
    if error.field:
        extra["field"] = error.field
    return problem(error.http_status, error.code.replace("_", " "), error.message, **extra)
