"""The README's family table is generated from ``ta_compat.families`` and must not drift."""

from __future__ import annotations

import re

from conftest import ROOT
from ta_compat.families import FAMILIES


def families_table() -> str:
    rows = ["| family | restores | what it does | applies when |", "|---|---|---|---|"]
    for family in FAMILIES:
        targets = " or ".join(f"`{target}`" for target in family.targets)
        rows.append(f"| `{family.name}` | {family.restores} | {family.summary} | {targets} is imported |")
    return "\n".join(rows)


def test_readme_family_table_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- families-table:.*?-->\n(.*?)\n<!-- /families-table -->", readme, re.S)
    assert match, "the README lost its families-table markers"
    assert match.group(1) == families_table(), "regenerate the table:\n" + families_table()
