"""Where the checkout's test material lies."""

from __future__ import annotations

from pathlib import Path

#: The checkout.
ROOT = Path(__file__).resolve().parents[2]
#: The programs the tests run in child interpreters (``Interpreter.run``).
SCRIPTS = ROOT / "tests" / "scripts"
#: Stand-ins for torch, torchaudio and pyannote.audio, for interpreters without a torch stack.
FAKES = ROOT / "tests" / "fakes"
