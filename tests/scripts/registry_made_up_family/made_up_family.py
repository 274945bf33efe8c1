"""A shim family made up by the tests: its registry entry, shim, preparation and probe.

This is all a new family brings (its target, ``torchaudio``, is already watched by the
bootstrap). ``sitecustomize.py`` beside it adds the entry to ``ta_compat._families.FAMILIES``.
"""

from __future__ import annotations

from typing import Any, List

from ta_compat._families import Family
from ta_compat._marker import is_ours, mark

FAMILY = Family(
    name="made-up",
    module="made_up_family",
    targets=("torchaudio",),
    requires=("torchaudio",),
    package="torchaudio",
    restores="torchaudio.made_up",
    summary="a family made up by the tests",
    shim="shim",
    prepare="prepare",
)


def made_up() -> str:
    """The legacy function the family restores."""
    return "legacy result"


def prepare(torchaudio: Any) -> List[str]:
    """Record, before torchaudio's body runs, that it has not run yet (its ``load`` is missing)."""
    torchaudio.made_up_prepared_early = not hasattr(torchaudio, "load")
    return ["torchaudio.made_up_prepared_early"]


def shim(torchaudio: Any) -> List[str]:
    """Restore ``torchaudio.made_up`` where it is missing."""
    if is_ours(getattr(torchaudio, "made_up", None)):
        return []
    torchaudio.made_up = mark(made_up)
    return ["torchaudio.made_up"]


def probe(folder: str) -> None:
    """Fail unless ``torchaudio.made_up()`` works as legacy code expects."""
    import torchaudio

    result = torchaudio.made_up()
    if result != "legacy result":
        raise AssertionError(f"made_up() returned {result!r}")
