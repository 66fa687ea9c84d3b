"""Evidence clips: their state, and their MP4 with HTTP range requests (``<video>`` seeks).

A clip is scoped by the alerts that announce it: outside the caller's scope it answers 404
exactly like a missing one. The metadata's ``video_url`` carries a short-lived access link,
because ``<video src>`` fetches without the page's Authorization header; the video route also
takes the usual Bearer token or API key (scope checked again).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from gridwatch_central.api.deps import ContextDep, OptionalPrincipalDep, ScopeDep, SessionDep
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.clips import views
from gridwatch_central.schemas import ClipOut

router = APIRouter(prefix="/clips", tags=["clips"])
# Not behind the app's blanket authentication: it accepts an access link instead.
video_router = APIRouter(prefix="/clips", tags=["clips"])


@router.get(
    "/{clip_id}",
    response_model=ClipOut,
    responses=responses(401, 404, 413, 422, d404="No such clip in your scope"),
)
def get_clip(
    session: SessionDep, context: ContextDep, scope: ScopeDep, clip_id: uuid.UUID
) -> ClipOut:
    """The clip's state; when stored, ``video_url`` plays it for ``clip_link_ttl_s``."""
    clip = views.get_clip(session, scope, clip_id)
    if clip is None:
        raise ApiError(404, f"clip {clip_id} not found")
    if clip.video_url is None:
        return clip
    # The wall clock, not the server's injected one: the token is checked against it.
    token = context.clip_access.issue(clip_id, datetime.now(UTC))
    return clip.model_copy(update={"video_url": f"{clip.video_url}?access={token}"})


@video_router.get(
    "/{clip_id}/video",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The whole MP4"},
        206: {
            "content": {"video/mp4": {}},
            "description": "The requested byte range (a range past the end: 416, plain text)",
        },
        **responses(401, 404, 413, 422, d404="No stored clip of that id in your scope"),
    },
)
def get_video(
    session: SessionDep,
    context: ContextDep,
    principal: OptionalPrincipalDep,
    clip_id: uuid.UUID,
    access: Annotated[
        str | None, Query(description="Access link from the clip's video_url")
    ] = None,
) -> FileResponse:
    if access is not None:
        if not context.clip_access.allows(access, clip_id):
            raise ApiError(401, "the clip's access link is invalid or expired; fetch it again")
        scope = None
    elif principal is not None:
        scope = principal.scope
    else:
        raise ApiError(
            401,
            "authentication required: a Bearer token, an X-API-Key header or an access link",
            headers={"WWW-Authenticate": "Bearer"},
        )
    path = views.video_file(session, scope, context.clips, clip_id)
    if path is None:
        raise ApiError(404, f"no stored clip {clip_id}")
    # Starlette answers Range requests (206, 416) and conditional ones from the file itself.
    return FileResponse(path, media_type="video/mp4", filename=f"{clip_id}.mp4")
