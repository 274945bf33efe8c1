"""The worker's side of ``mp_parent.py``: imported by the worker, which runs ``child()``."""

from __future__ import annotations

import sys
from typing import Any, Dict

from hook_report import is_ours


def child() -> Dict[str, Any]:
    """Whether torchaudio is shimmed in this worker (plain values: the result is pickled back)."""
    import torchaudio

    dispatch = sys.modules.get("ta_compat._dispatch")
    return {
        "patched": is_ours(torchaudio.load),
        "AudioMetaData": hasattr(torchaudio, "AudioMetaData"),
        "load": str(dispatch.OUTCOMES["load"].state) if dispatch else None,
    }
