"""Every error leaves as JSON naming the field and the problem; never a bare 500 for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from nezlam.domain.errors import DomainError
from nezlam.web.responses import OrjsonResponse

log = logging.getLogger(__name__)


def error_body(status: int, errors: list[dict[str, str | None]]) -> dict[str, object]:
    return {"status": status, "errors": errors}


def _field_of(loc: tuple[object, ...] | list[object]) -> tuple[str | None, str]:
    parts = [str(p) for p in loc]
    where = parts[0] if parts and parts[0] in ("query", "body", "path", "header") else "body"
    rest = parts[1:] if parts and parts[0] in ("query", "body", "path", "header") else parts
    return where, ".".join(rest) or where


def wants_page(request: Request) -> bool:
    """A person's browser on a page (not the API): answer with a page, not JSON."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def problem_page(request: Request, exc: DomainError) -> Response:
    from nezlam.web.finder import page  # the page renderer imports the API, which imports us

    return page(
        request, "problem.html", status=exc.status_code, code=exc.status_code, problem=exc.problem
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(_request: Request, exc: RequestValidationError) -> OrjsonResponse:
        errors = []
        for error in exc.errors():
            where, field = _field_of(error.get("loc", ()))
            message = str(error.get("msg", "invalid"))
            message = message.removeprefix("Value error, ")
            errors.append({"field": field, "in": where, "problem": message})
        return OrjsonResponse(error_body(422, errors), status_code=422)

    @app.exception_handler(DomainError)
    async def on_domain(request: Request, exc: DomainError) -> Response:
        if wants_page(request):
            return problem_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        body = error_body(exc.status_code, [{"field": exc.field, "problem": exc.problem}])
        return OrjsonResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(IntegrityError)
    async def on_integrity(_request: Request, exc: IntegrityError) -> OrjsonResponse:
        # Two requests raced for the same unique thing; the loser is told, nothing half-written.
        log.info("integrity conflict: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        body = error_body(
            409,
            [
                {
                    "field": None,
                    "problem": "conflicts with data written at the "
                    "same moment; read it again and retry",
                }
            ],
        )
        return OrjsonResponse(body, status_code=409)

    @app.exception_handler(DataError)
    async def on_unstorable(_request: Request, exc: DataError) -> OrjsonResponse:
        # A safety net: input checks should refuse such values first, naming the field.
        log.warning("database refused a value: %s", str(exc.orig).splitlines()[0])
        body = error_body(422, [{"field": None, "problem": "a value cannot be stored as given"}])
        return OrjsonResponse(body, status_code=422)

    @app.exception_handler(OperationalError)
    async def on_database_down(_request: Request, exc: OperationalError) -> OrjsonResponse:
        log.error("database unavailable: %s", str(exc).splitlines()[0])
        body = error_body(
            503,
            [
                {
                    "field": None,
                    "problem": "the database is unavailable; nothing was stored, try again shortly",
                }
            ],
        )
        return OrjsonResponse(body, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, exc: StarletteHTTPException) -> OrjsonResponse:
        body = error_body(exc.status_code, [{"field": None, "problem": str(exc.detail)}])
        return OrjsonResponse(body, status_code=exc.status_code, headers=exc.headers)
