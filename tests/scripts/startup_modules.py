"""Report what the interpreter start imported and which meta path finders it installed.

Run bare: it imports nothing but ``sys`` and ``json`` itself, so what it reports is the start's.
"""

import json
import sys

finders = [getattr(finder, "__name__", type(finder).__name__) for finder in sys.meta_path]
print("RESULT " + json.dumps({"modules": sorted(sys.modules), "finders": finders}))
