"""Central's requests to this edge (a live snapshot of a camera now; a clip later)."""

from gridwatch_edge.requests.answers import Answerer, CameraLookup, LiveCamera, ResponseLimits
from gridwatch_edge.requests.handler import RequestHandler

__all__ = ["Answerer", "CameraLookup", "LiveCamera", "RequestHandler", "ResponseLimits"]
