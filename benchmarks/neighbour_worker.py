"""Times one library's own checkpoint loader in this venv: ``python neighbour_worker.py LIBRARY PAIRS``.

Writes the library's tiny checkpoint (``ta_compat._fixtures``) into a scratch folder, warms up,
then times PAIRS pairs of loads, alternating which goes first: one with ta-compat (torch's
weights-only unpickler, the family's names allowed) and one as the ``weights_only=False``
workaround users apply (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, which torch reads at each
``torch.load`` that passes no ``weights_only``, as both libraries do). Prints
``[[ta_compat_seconds, workaround_seconds, ta_compat_went_first], ...]`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from typing import Any, Callable

warnings.simplefilter("ignore")


def loader(library: str, folder: str) -> Callable[[], Any]:
    """The library's own loader call on its checkpoint, written into ``folder``."""
    if library == "bark":
        from bark import generation

        from ta_compat._fixtures import write_bark_checkpoint

        path = write_bark_checkpoint(os.path.join(folder, "coarse_2.pt"))
        return lambda: generation._load_model(path, "cpu", model_type="coarse")
    from asteroid.models import BaseModel

    from ta_compat._fixtures import write_asteroid_package

    package = write_asteroid_package(os.path.join(folder, "model.pth"))
    return lambda: BaseModel.from_pretrained(package)


def timed(load: Callable[[], Any], workaround: bool) -> float:
    """Seconds of one load, as ta-compat does it or as the workaround does it."""
    if workaround:
        os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        start = time.perf_counter()
        load()
        return time.perf_counter() - start
    finally:
        os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)


def main() -> None:
    """Print the times of PAIRS pairs of loads."""
    library, pairs = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as folder:
        load = loader(library, folder)
        timed(load, False), timed(load, True)
        times = []
        for index in range(pairs):
            first = index % 2 == 1  # the workaround goes first in every other pair
            one, other = timed(load, first), timed(load, not first)
            times.append([other, one, False] if first else [one, other, True])
    print(json.dumps(times))


if __name__ == "__main__":
    main()
