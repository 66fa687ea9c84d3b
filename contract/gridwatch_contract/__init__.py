"""The MQTT contract shared by edge and central: topic builders and versioned message models.

It depends on pydantic only, so that importing it never pulls OpenCV, onnxruntime or a database.
"""

from gridwatch_contract.codec import (
    ContractError,
    decode_alert,
    decode_message,
    encode_alert,
    encode_framed,
    encode_message,
)
from gridwatch_contract.edge_requests import (
    EdgeRequest,
    EdgeResponse,
    RequestKind,
    ResponseStatus,
)
from gridwatch_contract.messages import (
    SCHEMA_VERSION,
    AlertAck,
    AlertMessage,
    AlertReceipt,
    AlertState,
    BoundingBox,
    CameraStats,
    DetectedObject,
    EdgeAvailability,
    EdgeConfigMessage,
    EdgeStatsMessage,
    EdgeStatusMessage,
    EventType,
    GeoPoint,
    ModelInfo,
    Snapshot,
)
from gridwatch_contract.topics import Topics

__all__ = [
    "SCHEMA_VERSION",
    "AlertAck",
    "AlertMessage",
    "AlertReceipt",
    "AlertState",
    "BoundingBox",
    "CameraStats",
    "ContractError",
    "DetectedObject",
    "EdgeAvailability",
    "EdgeConfigMessage",
    "EdgeRequest",
    "EdgeResponse",
    "EdgeStatsMessage",
    "EdgeStatusMessage",
    "EventType",
    "GeoPoint",
    "ModelInfo",
    "RequestKind",
    "ResponseStatus",
    "Snapshot",
    "Topics",
    "decode_alert",
    "decode_message",
    "encode_alert",
    "encode_framed",
    "encode_message",
]
