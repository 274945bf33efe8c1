"""What ta-compat's import hook did in this interpreter, reported to the test that started it.

The programs in this folder import it (their folder is ``sys.path[0]``) and end with ``report()``
or ``emit()``: one ``RESULT {json}`` line on stdout, which ``support.result_of`` reads (libraries
print their own notes on stdout too). It never imports ``ta_compat``: whether the hook loaded the
package is part of the report. Python 3.9+ and ``sys`` only (``json`` once it prints): it runs in
every interpreter of the start-up matrix, beside tests that count the modules a start imports.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers only: typing is not imported at run time
    from typing import Any, Dict


def is_ours(obj: Any) -> bool:
    """Whether ta-compat put ``obj`` in place (never, while the hook has not loaded the package)."""
    marker = sys.modules.get("ta_compat._marker")
    return marker is not None and marker.is_ours(obj) is True


def state() -> Dict[str, Any]:
    """The hook's finders, whether the hook module and the package are loaded (from where?),
    whether ``torchaudio.load`` is ours, each family's outcome, and the order in which the fake
    packages executed (``tests/fakes``)."""
    bootstrap = sys.modules.get("_ta_compat_bootstrap")
    package = sys.modules.get("ta_compat")
    dispatch = sys.modules.get("ta_compat._dispatch")
    torchaudio = sys.modules.get("torchaudio")
    return {
        "finders": sum(finder is bootstrap for finder in sys.meta_path) if bootstrap else 0,
        "bootstrap": getattr(bootstrap, "__file__", None),
        "hook": "_ta_compat_hook" in sys.modules,
        "loaded": package is not None,
        "package": getattr(package, "__file__", None),
        "version": getattr(package, "__version__", None),
        "patched": torchaudio is not None and is_ours(getattr(torchaudio, "load", None)),
        "outcomes": {name: str(outcome.state) for name, outcome in dispatch.OUTCOMES.items()} if dispatch else {},
        "trace": list(getattr(sys, "fake_trace", [])),
    }


def report(**extra: Any) -> None:
    """Emit ``state()`` with the program's own findings."""
    emit({**state(), **extra})


def emit(result: Dict[str, Any]) -> None:
    """Print ``result`` as the ``RESULT`` line the test reads."""
    import json

    print("RESULT " + json.dumps(result))


def paths_by_hand(fakes: str, site_packages: str) -> None:
    """Under ``python -S``: the fakes first and site-packages last on ``sys.path``, where
    ``PYTHONPATH`` and site would have put them."""
    sys.path.insert(0, fakes)
    sys.path.append(site_packages)


def insert_behind_ours(finder: Any) -> None:
    """Put ``finder`` on ``sys.meta_path`` right behind ta-compat's finder, or first where there is
    none (a venv without ta-compat, the baseline)."""
    bootstrap = sys.modules.get("_ta_compat_bootstrap")
    ours = [index for index, entry in enumerate(sys.meta_path) if bootstrap and entry is bootstrap]
    sys.meta_path.insert(ours[0] + 1 if ours else 0, finder)
