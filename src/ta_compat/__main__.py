"""``python -m ta_compat``."""

import sys

from ._cli import main

sys.exit(main())
