"""``torchaudio.save`` under a 64 kB file-size limit: the write fails after part of the data went
out, as on a full disk. Prints ``failed: <error>`` or ``no failure``. Through the soundfile
backend: legacy torchaudio prefers FFmpeg's where its libraries are installed.

Usage: ``python save_over_file_size_limit.py PATH``
"""

from __future__ import annotations

import resource
import signal
import sys

import torch
import torchaudio

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, limit[1]))
try:
    torchaudio.save(sys.argv[1], torch.rand(2, 160000) - 0.5, 16000, backend="soundfile")
except BaseException as exc:
    print("failed:", type(exc).__name__, exc)
else:
    print("no failure")
finally:  # the limit off again: what writes at exit (coverage's data under nox) must not be cut short
    resource.setrlimit(resource.RLIMIT_FSIZE, limit)
