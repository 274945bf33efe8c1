"""Interrupt ``Model.from_pretrained`` everywhere, and check that no allowlist name and no signal
handler of ta-compat outlives the call.

Two kinds of interrupt, both through ``_thread.interrupt_main()`` (what Ctrl-C does: Python's
SIGINT handler raises ``KeyboardInterrupt`` in the main thread):

* a sweep: a trace function (``sys.settrace``, opcode events) counts the bytecodes that run in
  ta-compat's checkpoint modules during one call; then each distinct bytecode position gets one
  call with the interrupt delivered right there. Python only checks for signals at some
  bytecodes; this delivers at every one (where Python would, the handler runs at once);
* random delays: a thread interrupts each call after a random time, up to 1.5 calls long.

lightning's ``pl_legacy_patch`` (``pytorch_lightning/utilities/migration/utils.py``), which
``load_from_checkpoint`` enters, acquires a module lock first thing in ``__enter__``; an interrupt
landing in the rest of that ``__enter__`` leaves it held and the next load would wait forever.
That is lightning's own, with or without ta-compat: the random phase releases it and counts it.

Arguments: a checkpoint, the random seed, and a time budget in seconds for each kind.
"""

from __future__ import annotations

import _thread
import os
import random
import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any, Callable, Dict, List, Optional, Tuple, cast

from ckpt_helpers import attempt, names, report
from pyannote.audio import Model
from pytorch_lightning.utilities.migration import utils as lightning_migration

path, seed, budget = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
#: ta-compat's checkpoint code: the pyannote family and the shared allowlist machinery.
SHIM = (os.path.join("ta_compat", "_shims", "checkpoints.py"), os.path.join("ta_compat", "_allowlist.py"))
rng = random.Random(seed)
baseline = names()
Model.from_pretrained(path)  # warm: the first call imports and caches more than the rest
started = time.perf_counter()
Model.from_pretrained(path)
per_call = time.perf_counter() - started


def in_shim(frame: FrameType) -> bool:
    """Whether ``frame`` runs code of ta-compat's checkpoint modules."""
    return frame.f_code.co_filename.endswith(SHIM)


def tracer(on_event: Callable[[FrameType], object]) -> Callable[[FrameType, str, Any], Any]:
    """A ``sys.settrace`` function calling ``on_event(frame)`` at each bytecode run in the shim."""

    def trace(frame: FrameType, event: str, arg: Any) -> Optional[Callable[[FrameType, str, Any], Any]]:
        """The global trace function: trace opcodes in the shim's frames only."""
        if not in_shim(frame):
            return None
        frame.f_trace_opcodes = True

        def local(frame: FrameType, event: str, arg: Any) -> Callable[[FrameType, str, Any], Any]:
            """The frame's trace function: report each opcode."""
            if event == "opcode":
                on_event(frame)
            return local

        return local

    return trace


positions: List[Tuple[str, int, int]] = []
sys.settrace(tracer(lambda frame: positions.append((frame.f_code.co_name, frame.f_code.co_firstlineno, frame.f_lasti))))
Model.from_pretrained(path)
sys.settrace(None)
first_of_each = sorted({position: index for index, position in reversed(list(enumerate(positions)))}.values())
rng.shuffle(first_of_each)

outcome: Dict[str, Dict[str, int]] = {"sweep": {}, "random": {}}
checks: Dict[str, Any] = {"calls": 0, "leaked": [], "handler_replaced": 0, "in_shim": 0, "lightning_lock_left_held": 0}


def where(exc: BaseException) -> Tuple[str, bool]:
    """Where a KeyboardInterrupt surfaced: the innermost frame's file and function."""
    tb = cast(TracebackType, exc.__traceback__)  # a caught exception has one
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{code.co_name}", tb.tb_frame.f_code.co_filename.endswith(SHIM)


def after_call(kind: str, landed: str) -> None:
    """Record where the interrupt surfaced and check what the call left behind."""
    counts = outcome[kind]
    counts[landed] = counts.get(landed, 0) + 1
    checks["calls"] += 1
    leaked = sorted(names() - baseline)
    if leaked:
        checks["leaked"].append(leaked)
    if lightning_migration._lock.locked():
        checks["lightning_lock_left_held"] += 1
        lightning_migration._lock.release()
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        checks["handler_replaced"] += 1
        signal.signal(signal.SIGINT, signal.default_int_handler)


deadline = time.perf_counter() + budget
for target in first_of_each:
    if time.perf_counter() > deadline:
        break
    count = [0]

    def at_target(frame: FrameType, count: List[int] = count, target: int = target) -> None:
        """Interrupt the main thread at the ``target``-th bytecode of the call."""
        if count[0] == target:
            _thread.interrupt_main()
        count[0] += 1

    try:
        sys.settrace(tracer(at_target))
        try:
            Model.from_pretrained(path)
        finally:
            sys.settrace(None)
        landed = "completed"
    except KeyboardInterrupt as exc:
        landed, inside = where(exc)
        checks["in_shim"] += inside
    after_call("sweep", landed)

deadline = time.perf_counter() + budget
while time.perf_counter() < deadline:
    delay = rng.uniform(0, 1.5 * per_call)
    interrupter = threading.Timer(delay, _thread.interrupt_main)
    try:
        interrupter.start()
        Model.from_pretrained(path)
        interrupter.join()  # an interrupt after the call lands here
        landed = "after the call"
    except KeyboardInterrupt as exc:
        interrupter.join()
        landed, inside = where(exc)
        checks["in_shim"] += inside
    after_call("random", landed)

report(
    {
        "per_call": per_call,
        "positions": len(first_of_each),
        "swept": sum(outcome["sweep"].values()),
        "outcome": outcome,
        **checks,
        "left_allowed": sorted(names() - baseline),
        "load_after": attempt(Model.from_pretrained, path),
    }
)
