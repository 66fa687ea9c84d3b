"""Evidence clips in the console: their state as a fragment (a case page's pending clip asks
again until it arrives; queue cards follow the live feed instead) and their MP4 for
``<video>``, with range requests so the player seeks.

The video is served here, under the console's session cookie, rather than through the API's
short-lived access link: a page left open for a shift keeps seeking, and the viewer's scope is
checked on every range the player asks for.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from gridwatch_central.clips import views as clips
from gridwatch_central.web.deps import ConsoleDep, ViewerDep

router = APIRouter(prefix="/console")


@router.get("/clips/{clip_id}", response_class=HTMLResponse)
def clip_state(
    console: ConsoleDep,
    viewer: ViewerDep,
    clip_id: uuid.UUID,
    mode: Literal["card", "case"] = "card",
) -> Response:
    """The clip as a card or the case page shows it: player, pending, or unavailable."""
    with console.context.sessions() as session:
        clip = clips.get_clip(session, viewer.scope, clip_id)
    if clip is None:
        return Response(status_code=404)
    html = console.renderer.render("_clip.html", viewer.language, clip=clip, mode=mode)
    return HTMLResponse(html)


@router.get("/clips/{clip_id}/video")
def clip_video(console: ConsoleDep, viewer: ViewerDep, clip_id: uuid.UUID) -> Response:
    """The stored MP4 in the viewer's scope; Starlette answers Range requests (206/416)."""
    context = console.context
    with context.sessions() as session:
        path = clips.video_file(session, viewer.scope, context.clips, clip_id)
    if path is None:
        return Response(status_code=404)
    # A stored clip never changes (named by its id); the browser may keep it for the shift.
    headers = {"Cache-Control": "private, max-age=28800"}
    return FileResponse(path, media_type="video/mp4", headers=headers)
