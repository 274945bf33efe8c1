"""Imports the fake ``torchaudio`` and prints, as JSON, whether the installed shims ran and where
ta-compat's own modules came from (run by ``tests/test_shadowing.py`` in a venv with the wheel)."""

import json
import sys

import torchaudio

hook = sys.modules.get("_ta_compat_hook")
package = sys.modules.get("ta_compat")
marker = sys.modules.get("ta_compat._marker")
print(
    json.dumps(
        {
            "patched": marker is not None and marker.is_ours(getattr(torchaudio, "load", None)),
            "hook": getattr(hook, "__file__", None),
            "package": getattr(package, "__file__", None),
        }
    )
)
