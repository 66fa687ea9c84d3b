"""Loading a period's timelines and grouping their facts into report rows.

Cases belong to the period they were registered in, incidents to the period they were first
seen in; whatever happened to them up to ``as_of`` counts. A group key of a case is its grid
code at the requested level (0 = district: the roll-up of the 3-level grid), the department
it was last with, its camera, category, or the rule/model of its incident's first alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import case_repository as repo
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.metrics.formulas import (
    CaseFacts,
    Figures,
    IncidentFacts,
    aggregate,
    case_facts,
    incident_facts,
)
from gridwatch_central.routing import district_code

NO_KEY = "(none)"


class GroupBy(StrEnum):
    TOTAL = "total"
    GRID = "grid"
    DEPARTMENT = "department"
    CAMERA = "camera"
    CATEGORY = "category"
    RULE = "rule"
    MODEL = "model"


@dataclass(frozen=True, slots=True)
class MetricRow:
    group_by: GroupBy
    key: str
    figures: Figures


def _grid_key(row: CaseRow | IncidentRow, level: int) -> str | None:
    codes = {1: row.grid_l1_code, 2: row.grid_l2_code, 3: row.grid_l3_code}
    if level > 0:
        return codes[level]
    known = next((code for code in codes.values() if code), None)
    return district_code(known) if known else None


def compute_metrics(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    group_by: GroupBy,
    level: int = 3,
    scope: Scope | None = None,
) -> list[MetricRow]:
    """One row per group key, sorted by key; ``level`` applies to ``group_by=grid``."""
    case_rows = repo.cases_opened_between(session, start, end, scope)
    incident_rows = repo.incidents_first_seen_between(session, start, end, scope)
    case_entries = defaultdict(list)
    for entry in repo.timelines_of(session, [row.id for row in case_rows]):
        case_entries[entry.case_id].append(entry)
    incident_entries = defaultdict(list)
    for ientry in repo.incident_timelines_of(session, [row.id for row in incident_rows]):
        incident_entries[ientry.incident_id].append(ientry)
    sources = {row.id: row for row in incident_rows}
    missing = [row.incident_id for row in case_rows if row.incident_id not in sources]
    sources.update({row.id: row for row in repo.incidents_by_id(session, missing)})

    cases: dict[str, list[CaseFacts]] = defaultdict(list)
    for row in case_rows:
        facts = case_facts(case_entries[row.id], as_of)
        source = sources.get(row.incident_id or -1)
        cases[_case_key(row, facts, source, group_by, level) or NO_KEY].append(facts)

    incidents: dict[str, list[IncidentFacts]] = defaultdict(list)
    for irow in incident_rows:
        key = _incident_key(irow, group_by, level)
        if key is not None:
            incidents[key].append(incident_facts(incident_entries[irow.id], as_of))

    keys = sorted(set(cases) | set(incidents))
    return [
        MetricRow(group_by, key, aggregate(cases.get(key, []), incidents.get(key, [])))
        for key in keys
    ]


def _case_key(
    row: CaseRow, facts: CaseFacts, source: IncidentRow | None, group_by: GroupBy, level: int
) -> str | None:
    keys: dict[GroupBy, str | None] = {
        GroupBy.TOTAL: "all",
        GroupBy.GRID: _grid_key(row, level),
        GroupBy.DEPARTMENT: facts.department,
        GroupBy.CAMERA: row.camera_id,
        GroupBy.CATEGORY: row.category,
        GroupBy.RULE: source.rule_id if source else None,
        GroupBy.MODEL: _model(source) if source else None,
    }
    return keys[group_by]


def _model(row: IncidentRow) -> str:
    return f"{row.model_name}@{row.model_version}"


def _incident_key(row: IncidentRow, group_by: GroupBy, level: int) -> str | None:
    """The group of an incident; None for department (an incident has none before a case)."""
    keys: dict[GroupBy, str | None] = {
        GroupBy.TOTAL: "all",
        GroupBy.GRID: _grid_key(row, level) or NO_KEY,
        GroupBy.DEPARTMENT: None,
        GroupBy.CAMERA: row.camera_id,
        GroupBy.CATEGORY: row.category,
        GroupBy.RULE: row.rule_id,
        GroupBy.MODEL: _model(row),
    }
    return keys[group_by]


def figures_by_key(rows: Sequence[MetricRow]) -> dict[str, Figures]:
    return {row.key: row.figures for row in rows}
