"""Import a package above a dotted target (nothing fires), then the target in several spellings."""

from __future__ import annotations

import sys

import pyannote.audio
from hook_report import is_ours, report

assert "ta_compat" not in sys.modules, "pyannote.audio is not a target, its model module is"
import pyannote.audio.core.model  # noqa: E402, F401
from pyannote.audio.core import model  # noqa: E402, F401
from pyannote.audio.core.model import Model  # noqa: E402

report(marked=is_ours(Model.from_pretrained.__func__))
