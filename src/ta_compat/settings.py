"""Every ``TA_COMPAT_*`` environment switch, read in one place.

=====================  ==========================================  ===========================================
variable               meaning                                     read when
=====================  ==========================================  ===========================================
``TA_COMPAT_DISABLE``  ``1``/``true``/``yes``/``on``/``all``/``*``  at interpreter start (by the stdlib-only
                       turns every shim off; a comma list          bootstrap: all off means no finder at all)
                       (``load,save``) turns off single families   and each time a target module is imported
``TA_COMPAT_DEBUG``    ``1``: one stderr line per family as its    each time a target module is imported
                       target is imported (what it patched)
``TA_COMPAT_WARN``     ``1``: a ``LegacyAPIWarning`` at each call  at each call of a restored function
                       of restored legacy API (a porting hint)
=====================  ==========================================  ===========================================

The start-up path cannot import this package (it would cost every interpreter start), so the
"all off" rule lives in ``_ta_compat_bootstrap.disabled_all`` and is used from there.
"""

from __future__ import annotations

import os
from typing import FrozenSet, Iterable

from _ta_compat_bootstrap import disabled_all

__all__ = ["debug", "disabled_all", "disabled_families", "unknown_families", "warn_porting"]

_TRUE = frozenset({"1", "true", "yes", "on"})
#: ``TA_COMPAT_DISABLE`` values that turn nothing off: the usual "no" of a switch, not family names.
_NOTHING_OFF = frozenset({"0", "false", "no", "off"})


def disabled_families(known: Iterable[str]) -> FrozenSet[str]:
    """The family names ``TA_COMPAT_DISABLE`` turns off: every one of ``known`` for ``1``/``all``."""
    if disabled_all():
        return frozenset(known)
    value = os.environ.get("TA_COMPAT_DISABLE", "").strip().lower()
    if value in _NOTHING_OFF:
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def unknown_families(known: Iterable[str]) -> FrozenSet[str]:
    """Names in ``TA_COMPAT_DISABLE`` that are no family (a typo, or ``load;save``)."""
    return disabled_families(known) - frozenset(known)


def debug() -> bool:
    """``TA_COMPAT_DEBUG``: report each family's outcome on stderr as its target is imported."""
    return _flag("TA_COMPAT_DEBUG")


def warn_porting() -> bool:
    """``TA_COMPAT_WARN``: a porting hint at each call of restored legacy API."""
    return _flag("TA_COMPAT_WARN")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE
