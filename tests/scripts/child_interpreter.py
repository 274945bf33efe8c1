"""A ``python -c`` child of this interpreter is shimmed by its own start-up, not by ours."""

from __future__ import annotations

import subprocess
import sys

from hook_report import report

CHILD = "import torchaudio, ta_compat._marker as m; print(m.is_ours(torchaudio.load))"
child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True)
report(child=child.stdout.strip())
