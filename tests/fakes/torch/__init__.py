"""Fake ``torch`` (see tests/fakes/README.md): a version and a minimal ``torch.serialization``."""

import os
import sys

sys.__dict__.setdefault("fake_trace", []).append("torch:begin")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: torch:begin\n")

__version__ = "2.99.0+fake"

if os.environ.get("FAKE_TORCH_NO_SERIALIZATION") != "1":
    from . import serialization  # noqa: F401

sys.fake_trace.append("torch:end")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: torch:end\n")
