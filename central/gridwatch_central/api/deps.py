"""Dependencies of the routes: the runtime context and a session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Protocol, cast

from fastapi import Depends, Query, Request
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.snapshots import SnapshotStore

# Enough for a dashboard page; a client wanting everything pages through.
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class AppContext(Protocol):
    """What the API needs from the runtime; ``CentralRuntime`` provides it."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def ingest_metrics(self) -> IngestMetrics: ...

    @property
    def registry(self) -> CollectorRegistry: ...

    @property
    def mqtt_connected(self) -> bool: ...


def get_context(request: Request) -> AppContext:
    return cast(AppContext, request.app.state.context)


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    with context.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip")]
