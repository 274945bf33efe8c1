"""Print, as JSON, the checkpoint allowlist that ``ta_compat._allowlist`` builds from the pyannote
entries of ``ta_compat._shims.checkpoints`` for the fake torch of ``tests/fakes`` (run with that
folder on ``PYTHONPATH``).

``--named`` gives the fake torch the by-name matching of ``(object, "full.name")`` entries that
torch >= 2.6 has. Each entry is shown as the name a pickle uses -> the object allowed for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch  # the fake: tests/fakes comes first on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from support.fakes import named_unpickler
from ta_compat import _allowlist as allowlist
from ta_compat._shims import checkpoints


def described(obj: object) -> str:
    """The object's full name (``typing.Any`` has no ``__qualname__`` before Python 3.11: its repr)."""
    qualname = getattr(obj, "__qualname__", None)
    return f"{obj.__module__}.{qualname}" if qualname else repr(obj)


assert torch.__version__.endswith("+fake"), torch.__file__
if sys.argv[1:] == ["--named"]:
    torch._weights_only_unpickler = named_unpickler(torch)
entries = allowlist.allowed_globals(checkpoints.PROCESS_WIDE + checkpoints.SCOPED, torch)
objects = [entry[0] if isinstance(entry, tuple) else entry for entry in entries]
print(
    json.dumps(
        {
            "named": allowlist.named_entries_supported(torch),
            "pairs": all(isinstance(entry, tuple) for entry in entries),
            "entries": [[allowlist.entry_name(entry), described(obj)] for entry, obj in zip(entries, objects)],
            "omegaconf_imported": "omegaconf" in sys.modules,
        }
    )
)
