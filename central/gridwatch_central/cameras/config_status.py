"""Per camera: does its edge run the newest settings? Judged from the camera's revision and
what the edge last reported on its status topic (``ConfigReport``)."""

from __future__ import annotations

from gridwatch_central.cameras.models import CameraConfigStatus
from gridwatch_central.db.tables import CameraRow, EdgeRow


def config_status(camera: CameraRow, edge: EdgeRow | None) -> CameraConfigStatus:
    revision = camera.config_revision
    applied = edge.applied_revision if edge is not None else None
    if not camera.enabled:
        return CameraConfigStatus(
            state="disabled",
            reason=None,
            revision=revision,
            applied_revision=applied,
            summary="disabled",
        )
    if edge is None or not edge.registered:
        unregistered = (
            f"edge {camera.edge_id} is not registered: central does not send it configs (it runs"
            " the cameras of its own YAML); register it under /api/v1/edges"
        )
        return CameraConfigStatus(
            state="pending",
            reason=unregistered,
            revision=revision,
            applied_revision=applied,
            summary="pending",
        )
    reason = _refusal(camera, edge)
    if reason is not None:
        return CameraConfigStatus(
            state="failed",
            reason=reason,
            revision=revision,
            applied_revision=applied,
            summary=f"failed: {reason}",
        )
    state = "applied" if applied is not None and revision and applied >= revision else "pending"
    return CameraConfigStatus(
        state=state, reason=None, revision=revision, applied_revision=applied, summary=state
    )


def _refusal(camera: CameraRow, edge: EdgeRow | None) -> str | None:
    """Why the edge refused a revision carrying this camera's settings, if it did."""
    if edge is None or edge.rejected_revision is None or not camera.config_revision:
        return None
    if edge.rejected_revision < camera.config_revision:
        return None  # refused before this camera's newest change: that change is still pending
    if edge.applied_revision is not None and edge.applied_revision >= edge.rejected_revision:
        return None
    errors = edge.camera_errors or {}
    own = errors.get(camera.id)
    if own is not None:
        return str(own)
    others = ", ".join(sorted(errors)) or "the config"
    return (
        f"revision {edge.rejected_revision} was refused because of {others}"
        f" ({edge.config_error or 'no reason given'}); this camera keeps its previous settings"
    )
