"""Fake ``torchaudio`` >= 2.9 (see tests/fakes/README.md): no legacy I/O API, a torchcodec-routed ``load``."""

import os
import sys

sys.__dict__.setdefault("fake_trace", []).append("torchaudio:begin")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: torchaudio:begin\n")

import torch  # noqa: E402, F401  (the real torchaudio imports torch while it executes)

# Fault injection and timing: Python code run in the middle of the module body (it may raise,
# sleep, or call ``install()`` while torchaudio is half-initialised).
exec(os.environ.get("FAKE_TORCHAUDIO_BODY", ""))

__version__ = "2.99.0+fake"
__all__ = ["load", "load_with_torchcodec", "save_with_torchcodec"]


def load_with_torchcodec(uri, *args, **kwargs):
    """Like torchaudio >= 2.9 without torchcodec."""
    raise ImportError(
        "TorchCodec is required for load_with_torchcodec. Please install torchcodec to use this function."
    )


def save_with_torchcodec(uri, *args, **kwargs):
    """Like torchaudio >= 2.9 without torchcodec."""
    raise ImportError(
        "TorchCodec is required for save_with_torchcodec. Please install torchcodec to use this function."
    )


def load(uri, *args, **kwargs):
    """torchaudio >= 2.9's ``load``: the torchcodec route."""
    return load_with_torchcodec(uri, *args, **kwargs)


sys.fake_trace.append("torchaudio:end")
if os.environ.get("FAKE_TRACE") == "1":
    sys.stderr.write("fake: torchaudio:end\n")
