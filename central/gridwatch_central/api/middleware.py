"""ASGI middleware: a hard limit on the request body size (larger for named upload paths).

Checked twice: the declared ``Content-Length`` (rejected before reading a byte) and the bytes
actually received (a chunked upload without a length is cut off at the limit), so a client
cannot exhaust memory either way.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridwatch_central.api.errors import ApiError, error_body


class _TooLargeError(ApiError):
    """Raised from ``receive``: an HTTP error so that FastAPI's body parsing passes it on as 413
    (it turns other exceptions into 400) and the error handlers render it as ``ErrorOut``."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self._app = app
        self._default = max_bytes
        # Path prefix → its own limit (the console's photo uploads).
        self._larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for p, n in self._larger.items() if path.startswith(p)), self._default)
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._reject(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, limited_receive, tracking_send)
        except _TooLargeError:
            if not started:
                await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        detail = f"request body larger than {limit} bytes"
        body = json.dumps(error_body(413, detail)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
