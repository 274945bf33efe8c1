"""The start-up check of an editable install whose checkout (holding the package) moved or was
deleted: one line at start-up, and the target imports unshimmed.

Usage: ``python editable_package_gone.py present|gone FAKES``. The bootstrap is made to look as
installed beside the ``.pth`` of an editable install, away from the package.
"""

from __future__ import annotations

import sys

from hook_report import is_ours, report

import _ta_compat_bootstrap as bootstrap
import _ta_compat_hook  # installed beside the .pth: still there when the checkout is gone

checkout, fakes = sys.argv[1:3]
bootstrap.__file__ = "/nowhere/_ta_compat_bootstrap.py"
_ta_compat_hook._reported = False
if checkout == "gone":
    sys.path[:] = [entry for entry in sys.path if "site-packages" not in entry]
bootstrap.install()
bootstrap.install()  # venvs run the .pth twice
sys.path.insert(0, fakes)
import torchaudio  # noqa: E402  (the fake one: the hook fires, the package is found or not)

report(ours=is_ours(torchaudio.load))
