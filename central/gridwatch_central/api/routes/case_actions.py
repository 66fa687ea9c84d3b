"""Case actions (派遣, 处置, 反馈, 核查, 评价, 回退, 挂账, 作废, 上报, 延期) and the timeline.

Every action answers 200 with the case, the actions its new state admits and the timeline
entry written; 409 with a ``TransitionErrorOut`` when the state does not admit it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from gridwatch_central.api.case_loop_deps import WRITE_ERRORS, ActorDep, LoopDep
from gridwatch_central.api.deps import IdPath, ScopeDep, SessionDep
from gridwatch_central.case_schemas import (
    CaseActionOut,
    CaseTimelineEntryOut,
    DispatchIn,
    EvaluateIn,
    ExtensionOut,
    ExtensionRequestIn,
    NoteIn,
    ReasonIn,
)
from gridwatch_central.cases.service import ActionRequest
from gridwatch_central.cases.states import CaseAction
from gridwatch_central.schemas import ErrorOut
from gridwatch_central.services import case_loop

router = APIRouter(prefix="/cases", tags=["case actions"])
A = CaseAction
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such case"}
}


def _note_action(path: str, action: CaseAction, summary: str) -> None:
    @router.post(path, response_model=CaseActionOut, responses=WRITE_ERRORS, summary=summary)
    def route(
        loop: LoopDep, actor: ActorDep, scope: ScopeDep, case_id: IdPath, body: NoteIn
    ) -> CaseActionOut:
        request = ActionRequest(note=body.note, attachments=tuple(body.attachments))
        return case_loop.act(loop, actor, scope, case_id, action, request=request)


def _reason_action(path: str, action: CaseAction, summary: str) -> None:
    @router.post(path, response_model=CaseActionOut, responses=WRITE_ERRORS, summary=summary)
    def route(
        loop: LoopDep, actor: ActorDep, scope: ScopeDep, case_id: IdPath, body: ReasonIn
    ) -> CaseActionOut:
        request = ActionRequest(note=body.reason, attachments=tuple(body.attachments))
        return case_loop.act(loop, actor, scope, case_id, action, request=request)


@router.post(
    "/{case_id}/dispatch",
    response_model=CaseActionOut,
    responses=WRITE_ERRORS,
    summary="派遣: send to a department (default: the routed one)",
)
def dispatch(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, case_id: IdPath, body: DispatchIn
) -> CaseActionOut:
    request = ActionRequest(
        note=body.note, attachments=tuple(body.attachments), department=body.department
    )
    return case_loop.act(loop, actor, scope, case_id, A.DISPATCH, request=request)


_note_action("/{case_id}/accept", A.ACCEPT, "处置: the department accepts and starts")
_reason_action("/{case_id}/return", A.RETURN, "回退: wrong department, back to dispatch")
_note_action("/{case_id}/feedback", A.FEEDBACK, "反馈: the department reports it done")
_note_action("/{case_id}/check-pass", A.CHECK_PASS, "核查结案: the check passed, case closed")
_reason_action("/{case_id}/check-fail", A.CHECK_FAIL, "返工: the check failed, rework")
_reason_action("/{case_id}/hold", A.HOLD, "挂账: put on hold, the clock pauses")
_note_action("/{case_id}/resume", A.RESUME, "Resume a held case; deadlines move by the pause")
_reason_action("/{case_id}/void", A.VOID, "作废: void the case")
_note_action("/{case_id}/escalate", A.ESCALATE, "上报: hand the case one grid level up")


@router.post(
    "/{case_id}/evaluate",
    response_model=CaseActionOut,
    responses=WRITE_ERRORS,
    summary="评价: score a closed case",
)
def evaluate(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, case_id: IdPath, body: EvaluateIn
) -> CaseActionOut:
    request = ActionRequest(note=body.note, attachments=tuple(body.attachments), score=body.score)
    return case_loop.act(loop, actor, scope, case_id, A.EVALUATE, request=request)


@router.post(
    "/{case_id}/extensions",
    response_model=CaseActionOut,
    responses=WRITE_ERRORS,
    summary="延期: request more time (the entry's details carry extension_id)",
)
def request_extension(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, case_id: IdPath, body: ExtensionRequestIn
) -> CaseActionOut:
    request = ActionRequest(note=body.reason, hours=body.hours)
    return case_loop.act(loop, actor, scope, case_id, A.REQUEST_EXTENSION, request=request)


def _extension_decision(path: str, action: CaseAction, summary: str) -> None:
    @router.post(path, response_model=CaseActionOut, responses=WRITE_ERRORS, summary=summary)
    def route(
        loop: LoopDep,
        actor: ActorDep,
        scope: ScopeDep,
        *,
        case_id: IdPath,
        extension_id: IdPath,
        body: NoteIn,
    ) -> CaseActionOut:
        request = ActionRequest(note=body.note, extension_id=extension_id)
        return case_loop.act(loop, actor, scope, case_id, action, request=request)


_extension_decision(
    "/{case_id}/extensions/{extension_id}/approve",
    A.APPROVE_EXTENSION,
    "Approve an extension: the case and step deadlines move by its hours",
)
_extension_decision(
    "/{case_id}/extensions/{extension_id}/reject", A.REJECT_EXTENSION, "Reject an extension"
)


@router.get("/{case_id}/extensions", response_model=list[ExtensionOut], responses=NOT_FOUND)
def list_extensions(session: SessionDep, scope: ScopeDep, case_id: IdPath) -> list[ExtensionOut]:
    found = case_loop.extensions(session, case_id, scope)
    if found is None:
        raise HTTPException(404, detail=f"case {case_id} not found")
    return found


@router.get("/{case_id}/timeline", response_model=list[CaseTimelineEntryOut], responses=NOT_FOUND)
def timeline(session: SessionDep, scope: ScopeDep, case_id: IdPath) -> list[CaseTimelineEntryOut]:
    """Every action on the case, oldest first: who, role, when, from/to, note, attachments."""
    found = case_loop.timeline(session, case_id, scope)
    if found is None:
        raise HTTPException(404, detail=f"case {case_id} not found")
    return found
