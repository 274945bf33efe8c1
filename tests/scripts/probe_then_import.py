"""``importlib.util.find_spec`` probes of the targets fire nothing; the import that follows fires
once (and ``--reload`` once more).

Usage: ``python probe_then_import.py [--reload]``
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from hook_report import report, state

names = ("torchaudio", "pyannote.audio.core.model", "torchaudio")
specs = [importlib.util.find_spec(name) is not None for name in names]
modules = [name for name in ("torchaudio", "ta_compat", "pyannote.audio.core.model") if name in sys.modules]
before = dict(state(), modules=modules)
import torchaudio  # noqa: E402

if "--reload" in sys.argv:
    importlib.reload(torchaudio)
report(specs=specs, before=before)
