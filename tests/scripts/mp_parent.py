"""A multiprocessing pool of one worker, started by the method named on the command line, reports
what the worker's torchaudio is (``mp_child.child``). With ``fork`` the parent imports torchaudio
first, so the worker inherits it shimmed.

Usage: ``python mp_parent.py spawn|forkserver|fork``
"""

from __future__ import annotations

import multiprocessing
import sys

import mp_child
from hook_report import emit

if __name__ == "__main__":
    method = sys.argv[1]
    if method == "fork":
        import torchaudio  # noqa: F401
    with multiprocessing.get_context(method).Pool(1) as pool:
        emit(pool.apply(mp_child.child))
