"""With the fakes in a zip file one zipimporter serves torch and torchaudio: only the target may be
touched, and the wrapper must leave the shared loader as it was."""

from __future__ import annotations

import zipimport

import pyannote.audio.core.model  # noqa: F401
import torch
import torchaudio
from hook_report import report

loader = torchaudio.__loader__
report(
    zip=isinstance(loader, zipimport.zipimporter),
    shared=torch.__loader__ is loader,
    exec_module=hasattr(loader, "exec_module"),
    torch_touched=[name for name in ("AudioMetaData", "load", "info", "backend") if hasattr(torch, name)],
    leftover=sorted(name for name in ("exec_module", "load_module") if name in vars(loader)),
)
