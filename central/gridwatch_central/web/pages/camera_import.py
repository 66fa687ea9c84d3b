"""Bulk onboarding from a 雪亮 camera list (CSV or JSON), integrators and admins.

Upload (or paste) the list: central answers with a dry run, what would be created, updated or
left unchanged and every row's errors, and changes nothing. A list without errors can then
be imported with one more click; the importer applies all of it or nothing and pushes each
touched edge's config once (``cameras.importing``, the same as the API's import).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gridwatch_central.cameras.importing import (
    CameraImporter,
    ImportFormatError,
    ImportReport,
    parse_rows,
)
from gridwatch_central.web.deps import Console, ConsoleDep
from gridwatch_central.web.i18n import translate
from gridwatch_central.web.pages.camera_access import EditorPoster, EditorViewer
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console")
# Posted under the console's upload prefix: a county's list (thousands of rows) exceeds the
# usual request body limit.
UPLOAD = "/console/upload/cameras/import"
# The list travels back with the dry run's report, for the confirming click; a few thousand
# rows of about 150 bytes each.
MAX_LIST_CHARS = 4 * 1024 * 1024
# The list holds stream URLs with their passwords: the pages carrying it are never stored.
NO_STORE = {"Cache-Control": "no-store"}


def _page(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    report: ImportReport | None = None,
    content: str = "",
    error: str | None = None,
) -> Response:
    response = console.renderer.page(
        request,
        viewer,
        "camera_import.html",
        status_code=400 if error else 200,
        upload_url=UPLOAD,
        report=report,
        content=content,
        error=error,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/cameras/import", response_class=HTMLResponse)
def import_page(request: Request, console: ConsoleDep, viewer: EditorViewer) -> Response:
    return _page(request, console, viewer)


@router.post("/upload/cameras/import", response_class=HTMLResponse)
async def import_cameras(
    request: Request,
    console: ConsoleDep,
    viewer: EditorPoster,
    *,
    file: UploadFile | None = None,
    content: Annotated[str, Form(max_length=MAX_LIST_CHARS)] = "",
    apply: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """A dry run unless ``apply`` (the confirming click, which sends the list back)."""
    raw = await file.read(MAX_LIST_CHARS + 1) if file is not None and file.filename else b""
    kind = (file.content_type or "") if file is not None else ""
    if not raw:
        raw = content.encode("utf-8")
    if not raw.strip() or len(raw) > MAX_LIST_CHARS:
        key = "import.too_large" if raw.strip() else "import.empty"
        return _page(request, console, viewer, error=translate(key, viewer.language))
    try:
        rows = parse_rows(raw, kind)
        report = await run_in_threadpool(_run, console, viewer, rows, dry_run=apply != "1")
    except ImportFormatError as error:
        return _page(request, console, viewer, error=str(error))
    text = raw.decode("utf-8-sig", errors="replace")
    return _page(request, console, viewer, report=report, content=text)


def _run(
    console: Console, viewer: Viewer, rows: list[dict[str, Any]], *, dry_run: bool
) -> ImportReport:
    """Rows placed outside the viewer's grids are refused, as in the API."""
    context = console.context
    importer = CameraImporter(context.camera_service, context.grid_store.index, viewer.scope)
    with context.sessions() as session:
        return importer.run(session, rows, dry_run=dry_run)
