"""Fake ``pyannote.audio.core.model``: imports torchaudio and defines ``Model.from_pretrained``."""

import os
import sys

sys.__dict__.setdefault("fake_trace", []).append("pyannote.audio.core.model:begin")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: pyannote.audio.core.model:begin\n")

import torch  # noqa: E402, F401  (the real module imports both while it executes)
import torchaudio  # noqa: E402, F401


class Model:
    @classmethod
    def from_pretrained(cls, checkpoint, **kwargs):
        return cls()


sys.fake_trace.append("pyannote.audio.core.model:end")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: pyannote.audio.core.model:end\n")
