"""Every ``TA_COMPAT_*`` environment switch, as ``_ta_compat_hook.Switches`` parses them.

=====================  ==========================================  ===========================================
variable               meaning                                     read when
=====================  ==========================================  ===========================================
``TA_COMPAT_DISABLE``  a comma list of family names turns those    at interpreter start (every shim off: no
                       off; any of ``1``/``true``/``yes``/``on``/  finder at all) and once each time a target
                       ``all``/``*`` in it turns every shim off;   module is imported
                       ``0``/``false``/``no``/``off``/``none`` and
                       blanks name nothing
``TA_COMPAT_DEBUG``    ``1``/``true``/``yes``/``on``: one stderr   once each time a target module is imported
                       line per family as its target is imported
``TA_COMPAT_WARN``     ``1``/``true``/``yes``/``on``: a            at each call of a restored function
                       ``LegacyAPIWarning`` at each call of
                       restored legacy API (a porting hint)
=====================  ==========================================  ===========================================

The parser lives in the stdlib-only ``_ta_compat_hook`` because the start-up path needs it
before this package may be imported; this module is where the package reads them.
"""

from __future__ import annotations

from typing import FrozenSet, Iterable

from _ta_compat_hook import Switches

__all__ = ["Switches", "unknown_families", "warn_porting"]


def unknown_families(switches: Switches, known: Iterable[str]) -> FrozenSet[str]:
    """Names in ``TA_COMPAT_DISABLE`` that are no family (a typo, or ``load;save``)."""
    return (switches.disabled or frozenset()) - frozenset(known)


def warn_porting() -> bool:
    """``TA_COMPAT_WARN``: a porting hint at each call of restored legacy API."""
    return Switches.flag("TA_COMPAT_WARN")
