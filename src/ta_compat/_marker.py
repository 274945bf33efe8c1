"""The mark every object that ta-compat puts in place carries, defined once.

A shim that finds its own mark on a name knows it ran already (``importlib.reload``, a second
``install()``) and changes nothing; ``ta-compat status`` and the tests tell restored API from
upstream's by it. It follows coverage.py's ``PATCHED_MARKER`` (``coverage/multiproc.py``).
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["PATCHED_MARKER", "is_ours", "mark"]

#: The attribute set to ``True`` on every function, class and module ta-compat installs.
PATCHED_MARKER = "__ta_compat__"

T = TypeVar("T")


def mark(obj: T) -> T:
    """Mark ``obj`` as put in place by ta-compat and return it."""
    setattr(obj, PATCHED_MARKER, True)
    return obj


def is_ours(obj: Any) -> bool:
    """Whether ``obj`` was put in place by ta-compat (an attribute merely named so is not enough)."""
    return getattr(obj, PATCHED_MARKER, False) is True
