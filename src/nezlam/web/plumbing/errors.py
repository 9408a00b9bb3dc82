"""Every error leaves as JSON naming the field and the problem — or, for a person's browser on a
page, as a page saying it in their language — never a bare 500 for bad input.

The security headers every page has are added to error answers by `web.plumbing.hygiene`, which sees
every response; the one it cannot see (a crash, answered outside it) adds them here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from nezlam.domain.errors import DomainError, Unauthenticated
from nezlam.web.plumbing.deps import UNAUTHENTICATED, needs_credentials
from nezlam.web.plumbing.responses import OrjsonResponse

log = logging.getLogger(__name__)

# What the framework's own refusals say, in the words of the rest of the API.
HTTP_PROBLEMS = {
    400: "the request could not be read",
    404: "there is nothing at this address",
    405: "this address does not take this method (see Allow)",
}


# What FastAPI says (a 400) when a body is not even text; the API answers it as malformed JSON.
UNREADABLE_BODY = "There was an error parsing the body"


def error_body(status: int, errors: list[dict[str, str | None]]) -> dict[str, object]:
    return {"status": status, "errors": errors}


def wants_page(request: Request) -> bool:
    """A person's browser on a page (not the API): answer with a page, not JSON."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def problem_page(request: Request, status: int, problem: str) -> Response:
    from nezlam.web.plumbing.render import (
        page,  # the pages import the API, whose modules import deps
    )

    return page(request, "problem.html", status=status, code=status, problem=problem)


def error_response(
    request: Request,
    exc: DomainError,
    errors: list[dict[str, str | None]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The answer to a refusal: a page for a browser, else the JSON error body."""
    status = exc.status_code
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if wants_page(request):
        response = problem_page(request, status, exc.problem)
        response.headers.update(headers)
        return response
    body = error_body(status, errors or [{"field": exc.field, "problem": exc.problem}])
    return OrjsonResponse(body, status_code=status, headers=headers)


class Refusal(DomainError):
    """A refusal with any status: the framework's own (404, 405) and the handlers' below."""

    def __init__(self, status: int, problem: str, field: str | None = None) -> None:
        super().__init__(problem, field=field)
        self.status_code = status


def describe(error: Any) -> dict[str, str | None]:
    """One validation error as the API says it: which field, where, and what is wrong."""
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[0] if loc and loc[0] in ("query", "body", "path", "header", "cookie") else "body"
    rest = loc[1:] if loc and loc[0] == where else loc
    kind = error.get("type")
    if kind == "json_invalid":  # the location is a character offset, not a field
        detail = (error.get("ctx") or {}).get("error", "")
        at = f" at character {rest[0]}" if rest and rest[0].isdigit() else ""
        return {"field": "body", "in": "body", "problem": f"is not valid JSON: {detail}{at}"}
    if kind == "finite_number":
        message = "must be a finite number"
    else:
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return {"field": ".".join(rest) or where, "in": where, "problem": message}


def allowed_methods(request: Request) -> str:
    """Every method some route at this path takes (the router names only the first route's),
    with HEAD wherever GET is (`web.plumbing.hygiene` answers it)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or {"GET"})  # a mount: files
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def on_validation(request: Request, exc: RequestValidationError) -> Response:
    """Input the framework could not validate: each error named by its field, the first in the
    summary."""
    if needs_credentials(request):  # who is asking comes first, even for a garbled body
        return error_response(request, Unauthenticated(UNAUTHENTICATED))
    errors = [describe(error) for error in exc.errors()]
    first = errors[0] if errors else {"field": None, "problem": "invalid"}
    summary = f"{first['field']}: {first['problem']}" if first["field"] else first["problem"]
    return error_response(request, Refusal(422, str(summary), first["field"]), errors)


async def on_domain(request: Request, exc: DomainError) -> Response:
    """A refusal of the domain's rules, with its own status."""
    return error_response(request, exc)


async def on_integrity(request: Request, exc: IntegrityError) -> Response:
    """Two requests raced for the same unique thing; the loser is told, nothing half-written."""
    log.info("integrity conflict: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
    problem = "conflicts with data written at the same moment; read it again and retry"
    return error_response(request, Refusal(409, problem))


async def on_unstorable(request: Request, exc: DataError) -> Response:
    """A safety net: input checks should refuse such values first, naming the field."""
    log.warning("database refused a value: %s", str(exc.orig).splitlines()[0])
    return error_response(request, Refusal(422, "a value cannot be stored as given"))


async def on_database_down(request: Request, exc: OperationalError) -> Response:
    """The database cannot be reached: try again in a few seconds."""
    log.error("database unavailable: %s", str(exc).splitlines()[0])
    problem = "the database is unavailable; nothing was stored, try again shortly"
    return error_response(request, Refusal(503, problem), headers={"Retry-After": "5"})


async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
    """The framework's own refusals (404, 405, an unreadable body) in the API's words."""
    if exc.detail == UNREADABLE_BODY:  # not text at all (not UTF-8): as malformed JSON
        if needs_credentials(request):
            return error_response(request, Unauthenticated(UNAUTHENTICATED))
        problem = "is not valid JSON: it is not UTF-8 text"
        return error_response(request, Refusal(422, problem, "body"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    problem = HTTP_PROBLEMS.get(exc.status_code, str(exc.detail))
    return error_response(request, Refusal(exc.status_code, problem), headers=headers)


async def on_crash(request: Request, exc: Exception) -> Response:
    """Anything else: a 500 that says nothing of the server's insides."""
    # Answered by the outermost layer, outside web.plumbing.hygiene: the headers are added here.
    from nezlam.web.plumbing.render import security_headers

    problem = "something went wrong on the server; try again shortly"
    body = error_body(500, [{"field": None, "problem": problem}])
    response = OrjsonResponse(body, status_code=500)
    response.headers.update(security_headers(request.app.state.nezlam.settings.tile_url))
    return response


def install(app: FastAPI) -> None:
    """Answer every kind of error with the handlers above."""
    app.exception_handler(RequestValidationError)(on_validation)
    app.exception_handler(DomainError)(on_domain)
    app.exception_handler(IntegrityError)(on_integrity)
    app.exception_handler(DataError)(on_unstorable)
    app.exception_handler(OperationalError)(on_database_down)
    app.exception_handler(StarletteHTTPException)(on_http)
    app.exception_handler(Exception)(on_crash)
