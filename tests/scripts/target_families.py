"""Report the registry as the installed package defines it: every family's name, and the families
of each target named on the command line.

Usage: ``python target_families.py [TARGET]...``
"""

from __future__ import annotations

import sys

from hook_report import emit

from ta_compat import _families as families

emit(
    {
        "names": list(families.names()),
        "targets": {target: [family.name for family in families.by_target(target)] for target in sys.argv[1:]},
    }
)
