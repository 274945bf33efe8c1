"""Fake ``pyannote.audio`` (``pyannote`` is a namespace package, like the real one)."""

__version__ = "3.99.0+fake"
