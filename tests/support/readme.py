"""The README's generated blocks and what they are generated from.

Two blocks are generated: the families table (from the registry, ``ta_compat.families``) and the
deliberate differences from legacy torchaudio (``support.deliberate``, which the differential
suite checks). ``python tests/test_readme.py`` rewrites both in place.
"""

from __future__ import annotations

import re
from typing import Callable, Dict

from support.deliberate import DELIBERATE
from support.paths import ROOT

README = ROOT / "README.md"


def families_table() -> str:
    """The families table, one row per registry entry, in registry order."""
    from ta_compat import families

    rows = ["| family | restores | what it does | applies when |", "|---|---|---|---|"]
    for family in families.FAMILIES:
        targets = " or ".join(f"`{target}`" for target in family.targets)
        rows.append(f"| `{family.name}` | {family.restores} | {family.summary} | {targets} is imported |")
    return "\n".join(rows)


def deliberate_differences() -> str:
    """One bullet per deliberate difference, its reason as the differential suite states it."""
    return "\n".join(f"- {reason}" for reason in DELIBERATE.values())


#: Marker name in the README -> the function that renders the block between its markers.
BLOCKS: Dict[str, Callable[[], str]] = {
    "families-table": families_table,
    "deliberate-differences": deliberate_differences,
}


def block_pattern(name: str) -> re.Pattern[str]:
    """``<!-- name: ... -->`` and ``<!-- /name -->``, with the generated text between them."""
    return re.compile(rf"(<!-- {name}:.*?-->\n)(.*?)(\n<!-- /{name} -->)", re.S)


def rewrite() -> None:
    """Regenerate every block of the README in place."""
    readme = README.read_text()
    for name, render in BLOCKS.items():
        pattern, text = block_pattern(name), render()
        match = pattern.search(readme)
        assert match, f"the README lost its {name} markers"
        readme = readme[: match.start(2)] + text + readme[match.end(2) :]
    README.write_text(readme)
