"""Under ``python -S``, with the fake torchaudio calling ``ta_compat.install()`` in its own body
(``FAKE_TORCHAUDIO_BODY``): the half-initialised target is not shimmed then; ``install()`` after
the import shims it, and so does ``importlib.reload``.

Usage: ``python -S install_while_half_imported.py FAKES SITE_PACKAGES``
"""

from __future__ import annotations

import importlib
import sys

from hook_report import paths_by_hand, report, state

paths_by_hand(*sys.argv[1:3])
import torchaudio  # noqa: E402

import ta_compat  # noqa: E402

during = state()
ta_compat.install()
after = state()
importlib.reload(torchaudio)
report(during=during, after=after)
