"""The fake ``torch`` of ``tests/fakes`` for code in the test process, and what it lacks of a real one.

Imported by child programs too (``scripts/allowlist_entries.py``): the standard library only.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from typing import Any, Dict

from support.paths import FAKES


@functools.cache
def fake_torch() -> types.ModuleType:
    """The fake ``torch`` of ``tests/fakes``, loaded once under a name of its own, so it never
    shadows a real torch: for code handed the torch module, or run while a test puts it in
    ``sys.modules["torch"]`` (``monkeypatch.setitem`` puts the real entry, or none, back)."""
    name = "ta_compat_tests_fake_torch"
    folder = FAKES / "torch"
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its ``from . import serialization`` needs the package registered
    spec.loader.exec_module(module)
    return module


def named_unpickler(torch: Any) -> types.SimpleNamespace:
    """``torch._weights_only_unpickler`` of torch >= 2.6 as far as the checkpoint shim asks it:
    ``(object, "full.name")`` allowlist entries are matched by that name (as its
    ``_get_user_allowed_globals`` does), for a fake torch to behave as a recent one."""

    def _get_user_allowed_globals() -> Dict[str, Any]:
        allowed = {}
        for entry in torch.serialization.get_safe_globals():
            obj, name = entry if isinstance(entry, tuple) else (entry, f"{entry.__module__}.{entry.__qualname__}")
            allowed[name] = obj
        return allowed

    return types.SimpleNamespace(_get_user_allowed_globals=_get_user_allowed_globals)
