"""Server-sent events: the incident changes of the viewer's scope, as they happen.

Each event carries only the incident id and what happened; the page then fetches the card
through the scoped queue route, so the stream itself never decides what a viewer may see in
detail. Event ids are the incident timeline's ids: a browser that reconnects sends the last
one (``Last-Event-ID``) and receives what it missed from the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.incident_repository import IncidentChange
from gridwatch_central.services.incident_feed import IncidentFeed
from gridwatch_central.web.deps import ConsoleDep
from gridwatch_central.web.session import current_viewer

router = APIRouter(prefix="/console")
# A comment line this often keeps proxies from closing an idle stream, and moves the
# browser's Last-Event-ID forward so a reconnect replays little.
HEARTBEAT_S = 15.0
# A stream ends after this long and the browser reconnects at once (``retry``), replaying
# from its Last-Event-ID: no connection outlives a restart or a changed role for long.
STREAM_S = 300.0
RETRY_MS = 1000


def _event(change: IncidentChange) -> str:
    data = json.dumps({"id": change.incident_id, "action": change.action})
    return f"id: {change.seq}\nevent: incident\ndata: {data}\n\n"


@router.get("/events")
async def events(
    request: Request, console: ConsoleDep, after: int | None = None
) -> StreamingResponse:
    viewer = await run_in_threadpool(current_viewer, request, console.context)
    header = request.headers.get("last-event-id", "")
    since = int(header) if header.isdigit() else after
    return StreamingResponse(
        _stream(console.feed, viewer.scope, since),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(feed: IncidentFeed, scope: Scope, since: int | None) -> AsyncIterator[str]:
    # Subscribed inside the stream, so that its ``finally`` always unsubscribes: a client gone
    # before the first byte never leaves a subscription behind.
    subscription = feed.subscribe(scope)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        last = since if since is not None else await run_in_threadpool(feed.position)
        if since is not None:  # subscribed first, so nothing falls between replay and live
            for missed in await run_in_threadpool(feed.changes_since, since, subscription.scope):
                last = max(last, missed.seq)
                yield _event(missed)
        ends = time.monotonic() + STREAM_S
        while time.monotonic() < ends:
            try:
                change = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                last = max(last, feed.delivered)
                yield f"id: {last}\n: keep-alive\n\n"
                continue
            if subscription.overflowed:  # too far behind: the page reloads its queue
                yield "event: reload\ndata: {}\n\n"
                return
            if change is not None and change.seq > last:
                last = change.seq
                yield _event(change)
    finally:
        feed.unsubscribe(subscription)
