"""Report what an interpreter start imports without ta-compat's ``.pth`` (run with ``-S``).

The same venv, with site's work done by hand and our ``.pth`` line skipped: the baseline of what
a start with ta-compat installed may add to.
"""

import json
import os
import site
import sys

real_addpackage = site.addpackage


def addpackage(
    sitedir: "str | os.PathLike[str]", name: "str | os.PathLike[str]", known_paths: "set[str] | None"
) -> "set[str] | None":
    """Every ``.pth`` file but ours, as site reads them (quoted annotations: nothing more imported)."""
    if name == "compat_autoload.pth":
        return known_paths
    return real_addpackage(sitedir, name, known_paths)


site.addpackage = addpackage
site.main()
print("RESULT " + json.dumps({"modules": sorted(sys.modules)}))
