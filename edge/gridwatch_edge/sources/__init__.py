"""Video inputs: local files (replay) and RTSP cameras, decoded by FFmpeg through PyAV
(or OpenCV's capture)."""

from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.sources.url import SourceKind, check_source_url
from gridwatch_edge.sources.video import VideoSource

__all__ = ["Frame", "SourceKind", "VideoSource", "check_source_url"]
