"""Video inputs: local files (replay) and RTSP cameras, read through OpenCV's FFmpeg backend."""

from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.sources.url import SourceKind, check_source_url
from gridwatch_edge.sources.video import VideoSource

__all__ = ["Frame", "SourceKind", "VideoSource", "check_source_url"]
