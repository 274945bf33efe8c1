"""The doctor's probes: each runs in a fresh interpreter (``python -m ta_compat._probes NAME,...``).

A family's probe (named in its registry entry) exercises what the family restores the way legacy
code uses it and raises where that fails: an upstream error, or a result that differs from
legacy torchaudio or pyannote (``ProbeFailure``). Probes use real files made on the spot and a
pyannote checkpoint built from pyannote's own classes; nothing is downloaded. ``ta_compat._doctor``
runs them with the family on and off and reads the JSON this module prints.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Dict, List, Optional

from ._families import by_name

__all__ = ["ProbeFailure", "main", "run"]


class ProbeFailure(Exception):
    """A probe saw upstream behaviour that differs from legacy torchaudio/pyannote."""


def probe_wav(folder: str, seconds: float = 60.0) -> str:
    """A speech-like 16 kHz WAV of ``seconds`` in ``folder``, for a probe to read."""
    from ._fixtures import write_speechlike_wav

    return write_speechlike_wav(os.path.join(folder, "probe.wav"), seconds=seconds)


def expect(condition: bool, message: str) -> None:
    """Raise ``ProbeFailure(message)`` unless ``condition`` holds."""
    if not condition:
        raise ProbeFailure(message)


def run(names: List[str]) -> Dict[str, Optional[str]]:
    """Run the probes of the families ``names`` here; map each to None (passed) or the one-line
    error it saw."""
    results: Dict[str, Optional[str]] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="ta-compat-doctor-") as folder:
            try:
                by_name(name).run_probe(folder)
            except Exception as exc:
                results[name] = f"{type(exc).__name__}: {_key_line(str(exc))}"[:500]
            else:
                results[name] = None
    return results


def _key_line(message: str) -> str:
    """The informative line of an error (torch's weights_only errors bury the global's name)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()] or [""]
    for line in lines:
        if "Unsupported global" in line:
            return line[line.index("Unsupported global") :]
    return lines[0]


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m ta_compat._probes a,b``: run probes here and print their results as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ta_compat._probes NAME[,NAME...]  (see `ta-compat doctor`)", file=sys.stderr)
        return 2
    os.environ["HF_HUB_OFFLINE"] = "1"  # probes never reach the network
    print(json.dumps(run([name for name in args[0].split(",") if name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
