"""32 threads import torchaudio at the same moment: every one gets the same, shimmed module."""

from __future__ import annotations

import threading
from typing import Any, List

from hook_report import report

THREADS = 32
barrier = threading.Barrier(THREADS)
loads: List[Any] = []
errors: List[str] = []


def work() -> None:
    """Import torchaudio as soon as every thread is ready, and keep its ``load``."""
    barrier.wait()
    try:
        import torchaudio

        loads.append(torchaudio.load)
    except BaseException as exc:
        errors.append(repr(exc))


threads = [threading.Thread(target=work) for _ in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
import torchaudio  # noqa: E402

report(
    errors=errors,
    loads=len(loads),
    distinct=len({id(load) for load in loads}),
    same=all(load is torchaudio.load for load in loads),
)
