"""A finder behind ours (first, where there is no ta-compat) raises for torchaudio: the import
fails exactly as it would without ta-compat."""

from __future__ import annotations

from typing import Any

from hook_report import insert_behind_ours, report


class Raising:
    """Raises for torchaudio."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torchaudio":
            raise LookupError("this finder is broken")


insert_behind_ours(Raising())
try:
    import torchaudio  # noqa: F401
except LookupError as exc:
    report(error=str(exc))
