"""``importlib.util.find_spec`` of targets that are not installed: the same answers as without us."""

from __future__ import annotations

import importlib.util
from typing import Dict, Union

from hook_report import emit

found: Dict[str, Union[bool, str]] = {}
for name in ("torchaudio", "pyannote.audio.core.model"):
    try:
        found[name] = importlib.util.find_spec(name) is not None
    except Exception as exc:
        found[name] = type(exc).__name__
emit(found)
