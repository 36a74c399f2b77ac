"""DomainError and invalid requests → RFC 9457 problem+json, once for every HTTP route."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot.domain.errors import DomainError


class ProblemResponse(JSONResponse):
    """ASCII-escaped JSON: a detail quoting hostile input (a lone surrogate) still encodes."""

    media_type = "application/problem+json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    return ProblemResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                           status_code=status)


async def validation_error_handler(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without echoing the input (it may hold a token, or text that cannot be encoded)."""
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
              for e in error.errors()]
    return problem(422, "invalid request", "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                   errors=errors)


async def domain_error_handler(request: Request, error: DomainError) -> JSONResponse:
    extra = {"code": error.code}
    if error.field:
        extra["field"] = error.field
    return problem(error.http_status, error.code.replace("_", " "), error.message, **extra)
