"""With site-packages mounted read-only: check that it is, then import the targets.

Usage: ``python read_only_site.py SITE_PACKAGES``
"""

from __future__ import annotations

import errno
import os
import sys

from hook_report import report

try:
    open(os.path.join(sys.argv[1], "probe-write"), "w").close()
    read_only = False
except OSError as exc:
    read_only = exc.errno == errno.EROFS
import torchaudio  # noqa: F401
from pyannote.audio import Model  # noqa: F401

report(read_only=read_only)
