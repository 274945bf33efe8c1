"""Import torchaudio while its body raises (``FAKE_TORCHAUDIO_BODY``), then again once the cause is
gone: the retry imports and is shimmed normally."""

from __future__ import annotations

import os
import sys

from hook_report import report

try:
    import torchaudio
except OSError:
    pass
else:
    raise AssertionError("the import should have failed")
assert "torchaudio" not in sys.modules
del os.environ["FAKE_TORCHAUDIO_BODY"]
import torchaudio  # noqa: E402, F401

report()
