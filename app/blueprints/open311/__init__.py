"""Open311 GeoReport v2 at /open311/v2: the pages (`pages`) and their two formats (`formats`)."""
from .pages import bp

__all__ = ["bp"]
