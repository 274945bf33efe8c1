"""Scopes of different libraries sharing names, on the real torch: nested, overlapping in threads
and closing out of order, with the user's own entries and a process-wide allow in between.

Prints one RESULT line of observations (the names each step saw allowed).
"""

from __future__ import annotations

import argparse
import fractions
import io
import threading
from typing import Any, Dict, List

import torch
from ckpt_helpers import names, report

from ta_compat._allowlist import Scope, allow_process_wide, held_names

FRACTION = ("fractions:Fraction", "fractions.Fraction")
NAMESPACE = ("argparse:Namespace", "argparse.Namespace")
first = Scope("first", [FRACTION, NAMESPACE])
second = Scope("second", [FRACTION])
baseline = names()
seen: Dict[str, Any] = {}


def ours() -> List[str]:
    """The names allowed now that were not before this script's steps."""
    return sorted(names() - baseline)


@second
def inner() -> None:
    """The second library's loader, called while the first one's runs."""
    seen["nested_inner"] = ours()


@first
def outer() -> None:
    """The first library's loader, calling the second's."""
    inner()
    seen["nested_after_inner"] = ours()


outer()
seen["nested_after"] = ours()

# threads: the first scope opens, the second opens, the first closes while the second still runs
first_open, second_open, first_closed, second_may_close = (threading.Event() for _ in range(4))


@first
def first_loader() -> None:
    """Holds the first scope until the second has opened."""
    first_open.set()
    second_open.wait(10)


@second
def second_loader() -> None:
    """Opens while the first holds; looks after the first has closed."""
    second_open.set()
    first_closed.wait(10)
    seen["overlap_after_first_closed"] = ours()
    second_may_close.set()


one = threading.Thread(target=first_loader)
one.start()
first_open.wait(10)
two = threading.Thread(target=second_loader)
two.start()
one.join()
first_closed.set()
two.join()
seen["overlap_after"] = ours()

# the user's own entry is neither replaced nor removed
torch.serialization.add_safe_globals([fractions.Fraction])
outer()
seen["user_entry_kept"] = fractions.Fraction in torch.serialization.get_safe_globals()
seen["user_entry_alone"] = [str(entry) for entry in torch.serialization.get_safe_globals() if "Fraction" in str(entry)]
torch.serialization.clear_safe_globals()
baseline = names()


# a process-wide allow of a name a scope holds right now outlives the scope
@first
def allow_during_scope() -> None:
    """Makes Namespace process-wide while the scope holds it."""
    seen["process_wide_added"] = allow_process_wide([NAMESPACE], torch)


allow_during_scope()
seen["process_wide_after"] = ours()
seen["held"] = held_names()
buffer = io.BytesIO()
torch.save({"args": argparse.Namespace(seed=1)}, buffer)
buffer.seek(0)
seen["namespace_loads"] = torch.load(buffer)["args"] == argparse.Namespace(seed=1)
report(seen)
