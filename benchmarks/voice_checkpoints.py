"""Load time of the voice libraries' checkpoints: ta-compat's allowlist against the usual workaround.

Usage: ``python benchmarks/voice_checkpoints.py LIBRARY=VENV/bin/python ... [--rounds N]`` with
``LIBRARY`` one of ``xtts``, ``demucs``, ``fairseq`` and a venv where that library and ta-compat
are installed (as ``voice_stacks`` in ``tests/conftest.py`` builds them). Writes
``benchmarks/voice_checkpoints.md`` and ``voice_checkpoints.json``.

Method: in one worker per library (``voice_ckpt_worker.py``), the library's own loader reads a
checkpoint written by its own save path, alternating call by call between ta-compat (torch's
default ``weights_only=True``, widened by the family) and the workaround users apply instead
(``torch.load(..., weights_only=False)``: everything allowed), and the same names allowlisted by
hand around the unwrapped loader (weights_only's own cost, without ta-compat's bookkeeping). Each
ratio is the median of the call-by-call ratios; one run, files in the page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

HERE = Path(__file__).resolve().parent


def measure(library: str, python: str, rounds: int) -> Dict[str, Any]:
    """Run the worker for ``library`` in ``python``; its JSON summary."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TA_COMPAT_", "COVERAGE_"))}
    result = subprocess.run(
        [python, str(HERE / "voice_ckpt_worker.py"), library, str(rounds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"{library}: the worker failed\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def markdown(results: Dict[str, Dict[str, Any]]) -> str:
    """The table of one run."""
    rows = [
        f"Voice checkpoints, {platform.machine()}, Python {platform.python_version()}, one run "
        "(median of call-by-call ratios, interleaved in one process):",
        "",
        "| library | loader | ta-compat (weights_only=True) | weights_only=False | ratio | names by hand "
        "(weights_only=True) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for library, summary in results.items():
        rows.append(
            f"| {library} | `{summary['loader']}` | {summary['ta_compat_ms']:.2f} ms | "
            f"{summary['workaround_ms']:.2f} ms | {summary['ratio']:.3f} | {summary['by_hand_ms']:.2f} ms | "
            f"{summary['ratio_by_hand']:.3f} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Measure every ``LIBRARY=python`` given; write the results beside this script."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("venvs", nargs="+", help="LIBRARY=PYTHON")
    parser.add_argument("--rounds", type=int, default=41)
    args = parser.parse_args(argv)
    results: Dict[str, Dict[str, Any]] = {}
    for item in args.venvs:
        library, _, python = item.partition("=")
        print(f"measuring {library} ...", file=sys.stderr)
        results[library] = measure(library, python, args.rounds)
    (HERE / "voice_checkpoints.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (HERE / "voice_checkpoints.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
