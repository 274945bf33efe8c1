"""Import torch, then torchaudio in every way Python offers, several times: the hook must fire
once, on the first import of torchaudio only."""

from __future__ import annotations

import importlib
import sys

from hook_report import report

assert "ta_compat" not in sys.modules
import torch  # noqa: E402, F401

assert "ta_compat" not in sys.modules, "torch is not a target"
for _ in range(2):
    import torchaudio  # noqa: F401
from torchaudio import load  # noqa: E402, F401

importlib.import_module("torchaudio")
__import__("torchaudio")
report()
