"""What the grid, camera and category routes need from the runtime, and request helpers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol, cast

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from gridwatch_central.cameras.service import CameraService
from gridwatch_central.categories import CategoryMap
from gridwatch_central.grid.store import GridStore


class GeographyContext(Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def grid_store(self) -> GridStore: ...

    @property
    def camera_service(self) -> CameraService: ...

    @property
    def categories(self) -> CategoryMap: ...


def get_geography(request: Request) -> GeographyContext:
    return cast(GeographyContext, request.app.state.context)


GeographyDep = Annotated[GeographyContext, Depends(get_geography)]


class NoEchoRoute(APIRoute):
    """Validation errors without the offending input: a camera URL that fails validation may
    carry a password, and a response (or the log line a proxy keeps of it) must not repeat it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                errors = [
                    {key: value for key, value in e.items() if key not in {"input", "ctx"}}
                    for e in error.errors()
                ]
                raise RequestValidationError(errors) from None

        return handle
