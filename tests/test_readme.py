"""The README's generated blocks must match what they are generated from (``support.readme``).

``python tests/test_readme.py`` rewrites them in place.
"""

from __future__ import annotations

import sys

from support.paths import ROOT
from support.readme import BLOCKS, README, block_pattern, rewrite


def test_readme_blocks_match_their_sources() -> None:
    readme = README.read_text()
    for name, render in BLOCKS.items():
        match = block_pattern(name).search(readme)
        assert match, f"the README lost its {name} markers"
        assert match.group(2) == render(), f"regenerate the README's {name}: python tests/test_readme.py"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    rewrite()
