"""Helpers of the checkpoint scripts (they put their own folder first on ``sys.path``).

The scripts are user code: they never import ta_compat, which reaches them through its ``.pth``
(only ``ta_compat._fixtures`` and ``pyannote_inputs`` build inputs, and ``state()`` reads what the
shims recorded).
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any, Callable, Dict, Set

warnings.simplefilter("ignore")

import torch  # noqa: E402


def names() -> Set[str]:
    """The full names torch's allowlist holds right now (torch and lightning add their own)."""
    found: Set[str] = set()
    for entry in torch.serialization.get_safe_globals():
        found.add(entry[1] if isinstance(entry, tuple) else f"{entry.__module__}.{entry.__qualname__}")
    return found


def key_line(exc: BaseException) -> str:
    """The informative line of an error: torch's weights-only errors bury it among advice."""
    text = f"{type(exc).__name__}: {exc}"
    for line in text.splitlines():
        for marker in ("Unsupported global", "Can only build", "Can only create new object", "Trying to call reduce"):
            if marker in line:
                return line[line.index(marker) :].strip()
        if "blocked" in line:
            return line.strip()
    return text.splitlines()[0][:300]


def attempt(function: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """``"ok"``, or the key line of what ``function(*args, **kwargs)`` raised."""
    try:
        function(*args, **kwargs)
    except Exception as exc:
        return key_line(exc)
    return "ok"


def wave(seconds: int = 12) -> Dict[str, Any]:
    """A reproducible noise waveform in pyannote's in-memory file format."""
    generator = torch.Generator().manual_seed(0)
    return {"waveform": torch.randn(1, 16000 * seconds, generator=generator) * 0.1, "sample_rate": 16000}


def report(out: Dict[str, Any]) -> None:
    """Print ``out`` as the ``RESULT {json}`` line tests read, with each shim family's state."""
    outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
    out["state"] = {name: outcome.state for name, outcome in outcomes.items()}
    print("RESULT " + json.dumps(out))
