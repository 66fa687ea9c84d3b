"""Camera sources registered by integrators: RTSP URL (redacted in every response), position,
optional pixel ↔ ground homography, and the grid cells each camera stands in and overlooks."""
