"""One error model for the whole API: every error body is an ``ErrorOut`` (422 adds field errors).

``responses(...)`` builds the OpenAPI ``responses`` of a route from status codes, so each route
declares truthfully which errors it can return, each with its typed body.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridwatch_central.schemas import ErrorOut, FieldErrorOut, ValidationErrorOut

log = logging.getLogger(__name__)

# The stable ``code`` of each status; routes may pass a more specific one.
_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "validation_error",
    429: "locked_out",
    503: "unavailable",
}

_DESCRIPTIONS = {
    401: "Missing, invalid or expired credentials (Bearer token or X-API-Key)",
    403: "The caller's role may not do this",
    404: "Not found, or outside the caller's scope (the two are indistinguishable on purpose)",
    409: "Conflicts with existing data",
    413: "Request body larger than the configured limit",
    422: "Invalid parameters or body",
}


class ApiError(StarletteHTTPException):
    """An error with a stable ``code``; rendered as ``ErrorOut``."""

    def __init__(
        self,
        status: int,
        detail: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail=detail, headers=headers)
        self.code = code or _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))


def error_body(status: int, detail: str, code: str | None = None) -> dict[str, str]:
    return ErrorOut(code=code or _CODES.get(status, "error"), detail=detail).model_dump()


def responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the given error statuses (``d404="No such case"`` overrides text)."""
    result: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationErrorOut if status == 422 else ErrorOut
        text = descriptions.get(f"d{status}", _DESCRIPTIONS.get(status, HTTPStatus(status).phrase))
        result[status] = {"model": model, "description": text}
    return result


# What FastAPI raises (400) for a body it cannot decode at all (not UTF-8, not JSON, a broken
# form): answered as the 422 of any other invalid body, so clients see one kind of refusal.
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = getattr(error, "code", None)
    detail = str(error.detail)
    if error.status_code == 400 and detail == _UNPARSABLE_BODY:
        field = FieldErrorOut(loc=["body"], msg=detail, type="json_invalid")
        invalid = ValidationErrorOut(code="validation_error", detail=detail, errors=[field])
        return JSONResponse(jsonable_encoder(invalid), status_code=422)
    body: dict[str, Any] = error_body(error.status_code, detail, code)
    if error.status_code == 422:  # a service's own refusal, documented as ValidationErrorOut
        body["errors"] = []
    headers = dict(error.headers or {})
    documented = allowed_methods(request) if error.status_code == 405 else []
    if documented:  # a console path is not in the OpenAPI document: Starlette's header stays
        headers["Allow"] = ", ".join(documented)
    return JSONResponse(body, status_code=error.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents for the request's path (Starlette's 405 names only the
    methods of the first route that matched the path)."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
        table = [
            (
                re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(p)) + "$"),
                frozenset(m.upper() for m in item),
            )
            for p, item in paths.items()
        ]
        request.app.state.allowed_methods = table
    path = request.url.path
    return sorted({m for pattern, methods in table if pattern.match(path) for m in methods})


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        FieldErrorOut(
            loc=list(e.get("loc", ())), msg=str(e.get("msg", "")), type=str(e.get("type", ""))
        )
        for e in error.errors()
    ]
    summary = "; ".join(f"{'.'.join(str(p) for p in f.loc)}: {f.msg}" for f in fields)
    body = ValidationErrorOut(code="validation_error", detail=summary, errors=fields)
    return JSONResponse(jsonable_encoder(body), status_code=422)


async def _data_error(request: Request, error: Exception) -> JSONResponse:
    """The database refused a value of the request (a NUL character in text, which PostgreSQL
    cannot store; a number beyond its column): invalid input like any other, so 422, not 500."""
    assert isinstance(error, DataError)
    reason = str(error.orig).splitlines()[0] if error.orig is not None else "invalid value"
    log.warning("%s %s: the database refused a value: %s", request.method, request.url.path, reason)
    detail = f"a value of the request cannot be stored: {reason}"
    body = ValidationErrorOut(code="validation_error", detail=detail, errors=[])
    return JSONResponse(jsonable_encoder(body), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
