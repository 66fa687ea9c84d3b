"""A scope keeps other streets' and departments' incidents and cases out of lists and lookups."""

from __future__ import annotations

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.services import case_loop, cases
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import GeoPoint
from tests.central.case_loop_helpers import OPERATOR
from tests.central.helpers import make_alert

HUANGSHUI, LENGSHUI = "500240101000000", "500240102000000"


def test_scope_filters_lists_and_lookups(loop_runtime: CentralRuntime) -> None:
    here = loop_runtime.ingest.handle("t", encode_message(make_alert())).incident_id
    there = make_alert(location=GeoPoint(lat=30.2250, lon=108.4150))  # 冷水镇
    elsewhere = loop_runtime.ingest.handle("t", encode_message(there)).incident_id
    assert here is not None
    assert elsewhere is not None
    with loop_runtime.sessions.begin() as session:
        _, case = loop_runtime.review.verify(session, here, OPERATOR)
    street_b = Scope.of(grid_prefixes=[LENGSHUI])
    police = Scope.of(departments=["pcs"])
    with loop_runtime.sessions() as session:
        listed = case_loop.list_incidents(session, IncidentFilter(), street_b, 50, 0)
        assert [item.id for item in listed.items] == [elsewhere]
        assert case_loop.get_incident(session, here, street_b) is None
        assert cases.list_cases(session, CaseListFilter(), 50, 0, street_b).total == 0
        assert cases.get_case(session, case.id, street_b) is None
        assert case_loop.timeline(session, case.id, street_b) is None
        assert cases.get_case(session, case.id, police) is not None  # crowd → 派出所
        street_a = Scope.of(grid_prefixes=[HUANGSHUI])
        assert cases.list_cases(session, CaseListFilter(), 50, 0, street_a).total == 1
