from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict:
    """Liveness and readiness: the database answers and the catalog is loaded."""
    deps = request.app.state.deps
    with deps.store.uow() as s:
        s.execute(text("SELECT 1"))
    return {"ok": True, "catalog": str(deps.catalog), "database": deps.store.dialect}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
