"""Times one library's own checkpoint loader in this venv: ``python neighbour_worker.py LIBRARY LOADS``.

Writes the library's tiny checkpoint (``ta_compat.fixtures``) into a scratch folder, loads it once
to warm up, then ``LOADS`` times, and prints the seconds of each load as JSON. Whether ta-compat's
family or torch's ``weights_only=False`` workaround (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, the
family off) does the job is the caller's choice of environment.
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

        from ta_compat.fixtures import write_bark_checkpoint

        path = write_bark_checkpoint(os.path.join(folder, "coarse_2.pt"))
        return lambda: generation._load_model(path, "cpu", model_type="coarse")
    from asteroid.models import BaseModel

    from ta_compat.fixtures import write_asteroid_package

    package = write_asteroid_package(os.path.join(folder, "model.pth"))
    return lambda: BaseModel.from_pretrained(package)


def main() -> None:
    """Print the time of each of LOADS loads."""
    library, loads = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as folder:
        load = loader(library, folder)
        load()
        times = []
        for _ in range(loads):
            start = time.perf_counter()
            load()
            times.append(time.perf_counter() - start)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
