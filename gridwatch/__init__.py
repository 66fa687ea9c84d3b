"""gridwatch: camera and sensor alerts turned into verified, tracked grid-governance cases."""

__version__ = "0.1.0"
