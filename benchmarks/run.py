"""ta-compat benchmarks: start-up cost and audio I/O against the soundfile floor, in one run.

Run it with ``python3 -m nox -s bench``, which builds every venv it needs from the cached stacks
and calls this script with their interpreters. By hand::

    python benchmarks/run.py --base VENV/bin/python --ta-compat VENV/bin/python \\
        --autowrapt VENV/bin/python --coverage VENV/bin/python \\
        --torchcodec VENV/bin/python --legacy VENV/bin/python \\
        --pyannote4-soundfile VENV/bin/python --pyannote4-torchcodec VENV/bin/python [--quick]

``--only pyannote4`` (with its two venvs) runs one section. Only a full run without ``--quick``
writes into ``benchmarks/`` (the docs quote its ``results.json``: ``tests/scripts/render_docs.py``);
other runs write into a new temporary folder unless ``--out`` names one.

Method (stdlib only here; the timed code runs in the venvs):

- Every figure is a median of many repetitions, and every ratio compares two things measured
  side by side in the same run, interleaved: a round runs each contender a little, in a shuffled
  order, and the next round starts again. Load from other processes then hits all of them alike.
- Start-up: whole ``python -c pass`` processes (``posix_spawn`` + ``wait4``), one per venv per
  round; the ratio is the median over rounds of (venv / floor venv in the same round), with a 95 %
  confidence interval of that median. CPU time (user + system of the child) is given beside it.
- Audio I/O: one long-lived worker process per venv (``io_worker.py``). ta-compat and the floor
  (``soundfile`` + ``torch.from_numpy``) alternate call by call in the same process; the ratio is
  the median of the call-by-call ratios. Files are read from the page cache (warm), which is what
  a training or diarization loop sees.
- Peak memory: each measurement in a child forked from the warmed-up worker: peak RSS (``VmHWM``,
  reset just before the load) minus RSS before the load.
- pyannote.audio 4: ``Audio()(file)`` and ``Audio().crop`` through the torchcodec-fallback route
  (torchcodec not installed) and through a working torchcodec, one worker each, interleaved.

Outputs: ``results.json`` (every summary, the source of every figure in the README and docs/) and
``results.md`` (every table, for reading).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
CLEAN_PREFIXES = ("TA_COMPAT_", "AUTOWRAPT_", "COVERAGE_", "COV_CORE_")
CLEAN_NAMES = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONVERBOSE", "PYTHONPROFILEIMPORTTIME", "VIRTUAL_ENV")

TARGETS = {
    "startup": 1.02,
    "import": 1.01,
    "load": 1.02,
    "crop": 1.05,
    "info": 1.10,
    "save": 1.05,
    "memory": 1.05,
}


CASES = [
    ("load:wav10", "load", "`load` full file: 10 min 16 kHz mono WAV"),
    ("load:flac5", "load", "`load` full file: 5 min 44.1 kHz stereo FLAC"),
    ("crop:wav60", "crop", "`load` 5 s crop from the middle of a 60 min WAV"),
    ("crop:wav10", "crop", "`load` 5 s crop from the middle of a 10 min WAV"),
    ("info:wav60", "info", "`info` on a 60 min WAV"),
    ("save:wav10", "save", "`save` 10 min (float32 to WAV)"),
]
OTHERS = ["torchcodec", "legacy-soundfile", "legacy-ffmpeg"]

#: pyannote.audio 4's own reads, through the torchcodec-fallback route and through torchcodec.
P4_CASES = [
    ("p4load:wav10", "`Audio()(file)`: 10 min 16 kHz mono WAV"),
    ("p4load:wav60", "`Audio()(file)`: 60 min 16 kHz mono WAV"),
    ("p4crop:wav60", "`Audio().crop`: 5 s from the middle of a 60 min WAV"),
]
P4_IMPLS = {
    "pyannote4-soundfile": "ta-compat, torchcodec not installed (soundfile)",
    "pyannote4-torchcodec": "torchcodec 0.17 on FFmpeg (ta-compat stands aside)",
}
LABELS = {
    "floor": "floor: soundfile + torch.from_numpy",
    "ta-compat": "ta-compat",
    "torchcodec": "torchaudio 2.11 + torchcodec 0.17",
    "legacy-soundfile": "legacy torchaudio 2.8, soundfile backend",
    "legacy-ffmpeg": "legacy torchaudio 2.8, FFmpeg backend",
}


# -- small statistics ------------------------------------------------------------------------------


def median_ci(values: Sequence[float]) -> Tuple[float, float, float]:
    """Median and a distribution-free 95 % confidence interval of it (order statistics)."""
    ordered = sorted(values)
    n = len(ordered)
    half = 1.96 * math.sqrt(n) / 2
    low = max(0, math.floor(n / 2 - half))
    high = min(n - 1, math.ceil(n / 2 + half))
    return statistics.median(ordered), ordered[low], ordered[high]


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.3g} µs"


def clean_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES) and k not in CLEAN_NAMES}
    env.update(extra)
    return env


# -- machine ---------------------------------------------------------------------------------------


def machine() -> Dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": osname,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_start": os.getloadavg()[0],
    }


# -- start-up --------------------------------------------------------------------------------------


def spawn(argv: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole child process."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{argv} exited with status {status}")
    return wall, usage.ru_utime + usage.ru_stime


def interleaved_processes(
    contenders: Dict[str, Tuple[str, Dict[str, str]]], code: str, rounds: int, warmup: int
) -> Dict[str, Dict[str, List[float]]]:
    """Run ``python -c code`` once per contender per round, in a shuffled order each round."""
    samples: Dict[str, Dict[str, List[float]]] = {name: {"wall": [], "cpu": []} for name in contenders}
    rng = random.Random(1)
    names = list(contenders)
    for index in range(warmup + rounds):
        rng.shuffle(names)
        for name in names:
            python, env = contenders[name]
            wall, cpu = spawn([python, "-c", code], env)
            if index >= warmup:
                samples[name]["wall"].append(wall)
                samples[name]["cpu"].append(cpu)
    return samples


def summarize_processes(samples: Dict[str, Dict[str, List[float]]], floor: str) -> Dict[str, Dict[str, Any]]:
    out = {}
    for name, data in samples.items():
        ratios = [a / b for a, b in zip(data["wall"], samples[floor]["wall"])]
        cpu_ratios = [a / b for a, b in zip(data["cpu"], samples[floor]["cpu"])]
        ratio, low, high = median_ci(ratios)
        out[name] = {
            "n": len(data["wall"]),
            "wall_median_s": statistics.median(data["wall"]),
            "cpu_median_s": statistics.median(data["cpu"]),
            "ratio": ratio,
            "ratio_ci95": [low, high],
            "cpu_ratio": statistics.median(cpu_ratios),
        }
    return out


def startup(args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    contenders = {
        "no ta-compat (floor)": (args.base, clean_env()),
        "ta-compat": (args.ta_compat, clean_env()),
        "ta-compat, TA_COMPAT_DISABLE=1": (args.ta_compat, clean_env(TA_COMPAT_DISABLE="1")),
        f"autowrapt {installed_version(args.autowrapt, 'autowrapt')}, inactive (anchor)": (args.autowrapt, clean_env()),
        f"coverage {installed_version(args.coverage, 'coverage')}'s a1_coverage.pth, inactive (anchor)": (
            args.coverage,
            clean_env(),
        ),
    }
    rounds = 60 if args.quick else args.startup_rounds
    log(f"start-up: {rounds} interleaved rounds of `python -c pass` in {len(contenders)} venvs")
    samples = interleaved_processes(contenders, "pass", rounds, warmup=10)
    out = summarize_processes(samples, "no ta-compat (floor)")
    counts = instructions(contenders, log)
    for name, (count, collector) in counts.items():
        out[name]["instructions"] = count
        out[name]["instructions_ratio"] = count / counts["no ta-compat (floor)"][0]
        out[name]["collector_instructions"] = collector
    probe = subprocess.run([args.ta_compat, "-c", PTH_PROBE], env=clean_env(), capture_output=True, text=True)
    out["installed"] = json.loads(probe.stdout) if probe.returncode == 0 else {"error": probe.stderr[-500:]}
    return out


def installed_version(python: str, distribution: str) -> str:
    """The version of ``distribution`` in the venv of ``python``: an anchor's label names what was
    really measured, whatever the noxfile pinned."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run([python, "-c", code], env=clean_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{distribution} is not installed in {python}: {done.stderr[-500:]}")
    return done.stdout.strip()


def instructions(contenders: Dict[str, Tuple[str, Dict[str, str]]], log: Any) -> Dict[str, Tuple[int, Optional[int]]]:
    """Instructions executed by ``python -c pass`` (valgrind's callgrind; none if it is missing), and
    how many of them the garbage collector ran (None without ``callgrind_annotate``).

    Unlike times, the count does not move with the load of the machine: it shows small start-up
    differences that wall-clock medians on a shared machine can only bracket. The collector's part
    moves by itself: any object allocated at start-up shifts when its collections run, and so what
    is still left for the last one, at exit.
    """
    if shutil.which("valgrind") is None:
        log("valgrind not found: no instruction counts")
        return {}
    log(f"start-up: instruction counts of `python -c pass` under callgrind ({len(contenders)} venvs)")

    def count(item: Tuple[str, Tuple[str, Dict[str, str]]]) -> Tuple[str, Tuple[int, Optional[int]]]:
        name, (python, env) = item
        with tempfile.TemporaryDirectory() as folder:
            profile = os.path.join(folder, "callgrind.out")
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", python, "-c", "pass"]
            done = subprocess.run(argv, env=dict(env, PYTHONHASHSEED="0"), capture_output=True, text=True)
            found = re.search(r"Collected : (\d+)", done.stderr)
            if done.returncode != 0 or not found:
                raise RuntimeError(f"callgrind failed for {name}: {done.stderr[-1000:]}")
            return name, (int(found.group(1)), collector_instructions(profile))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(count, contenders.items()))


def collector_instructions(profile: str) -> Optional[int]:
    """The instructions inside CPython's ``gc_collect_main`` (inclusive) in a callgrind profile."""
    if shutil.which("callgrind_annotate") is None:
        return None
    argv = ["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile]
    listing = subprocess.run(argv, capture_output=True, text=True).stdout
    found = re.search(r"^\s*([\d,]+) .*:gc_collect_main[ \n]", listing, re.M)
    return int(found.group(1).replace(",", "")) if found else None


PTH_PROBE = """
import json, os, sysconfig, _ta_compat_bootstrap as b
pth = os.path.join(sysconfig.get_paths()["purelib"], "compat_autoload.pth")
print(json.dumps({"pyc": os.path.exists(b.__cached__), "pth": open(pth).read().strip()}))
"""


def import_torchaudio(args: argparse.Namespace, log: Any) -> Dict[str, Any]:
    contenders = {
        "TA_COMPAT_DISABLE=1 (floor)": (args.ta_compat, clean_env(TA_COMPAT_DISABLE="1")),
        "ta-compat shims": (args.ta_compat, clean_env()),
    }
    rounds = 4 if args.quick else args.import_rounds
    log(f"import torchaudio: {rounds} interleaved rounds, with and without TA_COMPAT_DISABLE=1")
    samples = interleaved_processes(contenders, "import torchaudio", rounds, warmup=1)
    out = summarize_processes(samples, "TA_COMPAT_DISABLE=1 (floor)")
    # The same cost measured directly, without process-to-process noise: torchaudio imported with
    # the shims off, then the shims applied by hand, timed in-process.
    fire = []
    for _ in range(3 if args.quick else 7):
        done = subprocess.run(
            [args.ta_compat, "-c", FIRE_PROBE], env=clean_env(TA_COMPAT_DISABLE="1"), capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"shim timing probe failed: {done.stderr[-2000:]}")
        fire.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out["direct"] = {
        "apply_s": statistics.median(f["apply_s"] for f in fire),
        "import_s": statistics.median(f["import_s"] for f in fire),
        "modules": statistics.median(f["modules"] for f in fire),
    }
    return out


FIRE_PROBE = """
import json, os, sys, time
start = time.perf_counter()
import torchaudio
imported = time.perf_counter() - start
del os.environ["TA_COMPAT_DISABLE"]
start = time.perf_counter()
from _ta_compat_hook import Switches
from ta_compat import _dispatch
_dispatch.apply_target("torchaudio", torchaudio, Switches.read())
applied = time.perf_counter() - start
assert torchaudio.load.__ta_compat__
print(json.dumps({"import_s": imported, "apply_s": applied, "modules": len(sys.modules)}))
"""


# -- audio I/O -------------------------------------------------------------------------------------


class WorkerProcess:
    """A long-lived ``io_worker.py`` in one venv, driven by JSON lines."""

    def __init__(self, python: str, impls: List[str]) -> None:
        self.python = python
        self.impls = impls
        self.process = subprocess.Popen(
            [python, str(HERE / "io_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=clean_env(),
            text=True,
        )

    def ask(self, cmd: str, **kwargs: Any) -> Dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(dict(kwargs, cmd=cmd)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker for {self.impls} died")
        answer: Dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"worker for {self.impls}: {cmd} {kwargs}: {answer['error']}")
        return answer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ask("quit")
        self.process.wait(timeout=60)


def audio(args: argparse.Namespace, folder: Path, log: Any) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Time every case with every implementation, then measure peak memory of full loads."""
    workers = {
        "ta-compat": WorkerProcess(args.ta_compat, ["ta-compat", "floor"]),
        "torchcodec": WorkerProcess(args.torchcodec, ["torchcodec"]),
        "legacy": WorkerProcess(args.legacy, ["legacy-soundfile", "legacy-ffmpeg"]),
    }
    try:
        log("generating the audio files (60 min and 10 min 16 kHz WAV, 5 min 44.1 kHz stereo FLAC)")
        files = workers["ta-compat"].ask("generate", folder=str(folder))["files"]
        out_dir = folder / "out"
        out_dir.mkdir(exist_ok=True)
        versions = {}
        for name, worker in workers.items():
            versions[name] = worker.ask("setup", files=files, out_dir=str(out_dir), impls=worker.impls)["versions"]
        io = time_io(args, workers, log)
        io["versions"] = versions
    finally:
        for worker in workers.values():
            worker.close()
    # Fresh workers for memory: their heaps hold no freed buffers of earlier loads, which a forked
    # child would reuse without its RSS growing.
    workers = {name: WorkerProcess(worker.python, worker.impls) for name, worker in workers.items()}
    try:
        for worker in workers.values():
            worker.ask("setup", files=files, out_dir=str(out_dir), impls=worker.impls)
        return io, memory(args, workers, log)
    finally:
        for worker in workers.values():
            worker.close()


def time_io(args: argparse.Namespace, workers: Dict[str, WorkerProcess], log: Any) -> Dict[str, Any]:
    """ta-compat and the floor alternate call by call in one process (the paired ratio); the other
    implementations run in their own processes, a batch each per round, rounds interleaved."""
    # A contender is a worker and the implementations it alternates: ta-compat with the floor.
    contenders = {"ta-compat": (workers["ta-compat"], ["ta-compat", "floor"])}
    for impl in OTHERS:
        contenders[impl] = (workers["legacy" if impl.startswith("legacy") else impl], [impl])
    checks: Dict[str, Dict[str, Any]] = {}
    plan: Dict[Tuple[str, str], int] = {}
    cheap: Dict[Tuple[str, str], bool] = {}
    quick = 0.2 if args.quick else 1.0
    cases = [entry for entry in CASES if not args.cases or entry[0] in args.cases.split(",")]
    for case, _, _ in cases:
        checks[case] = {}
        for name, (worker, impls) in contenders.items():
            for impl in impls:
                checks[case][impl] = worker.ask("check", case=case, impl=impl)
            first = worker.ask("time", case=case, impls=impls, reps=1)["ns"]
            seconds = sum(first[impl][0] for impl in impls) / 1e9
            # A time budget of calls, at least 3; the pair compared to a target gets a larger one
            # and at least 30 pairs.
            if name == "ta-compat":
                least, budget = (6 if args.quick else 30), args.pair_budget * quick
            else:
                least, budget = 3, args.io_budget * quick
            plan[case, name] = max(least, min(4000, int(budget / max(seconds, 1e-6))))
            cheap[case, name] = seconds < 0.3  # worth an untimed warm-up call at each batch
    rounds = 4 if args.quick else args.io_rounds
    log(f"audio I/O: {len(cases)} cases, ta-compat/floor paired call by call, {rounds} interleaved rounds")
    times: Dict[Tuple[str, str], List[float]] = {(case, impl): [] for case in checks for impl in checks[case]}
    done: Dict[Tuple[str, str], int] = dict.fromkeys(plan, 0)
    rng = random.Random(2)
    for index in range(rounds):
        for case, _, _ in cases:
            order = list(contenders)
            rng.shuffle(order)
            for name in order:
                worker, impls = contenders[name]
                reps = min(plan[case, name] - done[case, name], math.ceil(plan[case, name] / rounds))
                if reps <= 0:
                    continue
                flip = index % 2 == 1
                answer = worker.ask("time", case=case, impls=impls, reps=reps, warmup=cheap[case, name], flip=flip)[
                    "ns"
                ]
                for impl in impls:
                    times[case, impl] += [ns / 1e9 for ns in answer[impl]]
                done[case, name] += reps
    results: Dict[str, Any] = {"cases": {}}
    for case, kind, title in cases:
        entry: Dict[str, Any] = {"title": title, "kind": kind, "target": TARGETS[kind], "impls": {}}
        for impl in checks[case]:
            data = times[case, impl]
            entry["impls"][impl] = {"n": len(data), "median_s": statistics.median(data), "check": checks[case][impl]}
        tac, floor = times[case, "ta-compat"], times[case, "floor"]
        ratio, low, high = median_ci([a / b for a, b in zip(tac, floor)])
        entry["ratio"] = ratio  # median of call-by-call ratios
        entry["ratio_ci95"] = [low, high]
        entry["ratio_of_medians"] = statistics.median(tac) / statistics.median(floor)
        for impl in OTHERS:
            entry["impls"][impl]["speedup"] = statistics.median(times[case, impl]) / statistics.median(tac)
        results["cases"][case] = entry
    if not {"crop:wav60", "crop:wav10"} <= set(checks):
        return results
    results["crop_60_over_10"] = {
        impl: statistics.median(times["crop:wav60", impl]) / statistics.median(times["crop:wav10", impl])
        for impl in checks["crop:wav60"]
    }
    log(f"crop 60 min / 10 min for ta-compat: {results['crop_60_over_10']['ta-compat']:.3f}")
    return results


def memory(args: argparse.Namespace, workers: Dict[str, WorkerProcess], log: Any) -> Dict[str, Any]:
    owner = {impl: worker for worker in workers.values() for impl in worker.impls}
    reps = 2 if args.quick else args.memory_reps
    out: Dict[str, Any] = {}
    rng = random.Random(3)
    for case, warmup, title in (
        ("load:wav10", "wav1", "10 min 16 kHz mono WAV"),
        ("load:flac5", "flac1", "5 min 44.1 kHz stereo FLAC"),
    ):
        runs = [impl for impl in owner for _ in range(reps)]
        rng.shuffle(runs)
        log(f"peak memory of a full load of the {title}: {len(runs)} children forked from fresh workers")
        deltas: Dict[str, List[int]] = {impl: [] for impl in owner}
        result_kib = 0
        for impl in runs:
            answer = owner[impl].ask("memory", case=case, impl=impl, warmup=warmup)
            deltas[impl].append(answer["delta_kib"])
            result_kib = answer["result_kib"]
        medians = {impl: statistics.median(values) for impl, values in deltas.items()}
        out[case] = {
            "title": title,
            "result_mib": result_kib / 1024,
            "peak_delta_mib": {impl: value / 1024 for impl, value in medians.items()},
            "samples_kib": deltas,
            "ratio": medians["ta-compat"] / medians["floor"],
            "target": TARGETS["memory"],
            "others_over_ta_compat": {impl: medians[impl] / medians["ta-compat"] for impl in OTHERS},
        }
    return out


def pyannote4(args: argparse.Namespace, folder: Path, log: Any) -> Dict[str, Any]:
    """pyannote.audio 4's ``Audio`` through the fallback route and through a working torchcodec:
    one worker each, batches of calls interleaved round by round in a shuffled order. Ratios are
    of medians: torchcodec's time over the fallback's (a speed-up), and a full read of the 60 min
    file over a 5 s crop of it (how much a crop saves: a seek, not a decode of the whole file)."""
    pythons = {"pyannote4-soundfile": args.pyannote4_soundfile, "pyannote4-torchcodec": args.pyannote4_torchcodec}
    workers = {impl: WorkerProcess(python, [impl]) for impl, python in pythons.items()}
    folder.mkdir(exist_ok=True)
    try:
        log("pyannote 4: generating the audio files")
        files = workers["pyannote4-soundfile"].ask("generate", folder=str(folder))["files"]
        versions = {
            impl: worker.ask("setup", files=files, out_dir=str(folder), impls=[impl])["versions"]
            for impl, worker in workers.items()
        }
        checks: Dict[str, Dict[str, Any]] = {case: {} for case, _ in P4_CASES}
        reps: Dict[Tuple[str, str], int] = {}
        rounds = 2 if args.quick else args.pyannote4_rounds
        for case, _ in P4_CASES:
            for impl, worker in workers.items():
                checks[case][impl] = worker.ask("check", case=case, impl=impl)
                seconds = worker.ask("time", case=case, impls=[impl], reps=1)["ns"][impl][0] / 1e9
                budget = args.io_budget * (0.2 if args.quick else 1.0)
                reps[case, impl] = max(1, min(400, int(budget / max(seconds, 1e-6) / rounds)))
        log(f"pyannote 4: {len(P4_CASES)} cases, {rounds} interleaved rounds")
        times: Dict[Tuple[str, str], List[float]] = {key: [] for key in reps}
        rng = random.Random(4)
        for _ in range(rounds):
            for case, _ in P4_CASES:
                order = list(workers)
                rng.shuffle(order)
                for impl in order:
                    answer = workers[impl].ask("time", case=case, impls=[impl], reps=reps[case, impl], warmup=True)
                    times[case, impl] += [ns / 1e9 for ns in answer["ns"][impl]]
    finally:
        for worker in workers.values():
            worker.close()
    medians = {key: statistics.median(values) for key, values in times.items()}
    out: Dict[str, Any] = {"versions": versions, "cases": {}}
    for case, title in P4_CASES:
        out["cases"][case] = {
            "title": title,
            "impls": {
                impl: {"n": len(times[case, impl]), "median_s": medians[case, impl], "check": checks[case][impl]}
                for impl in workers
            },
            "torchcodec_over_fallback": medians[case, "pyannote4-torchcodec"] / medians[case, "pyannote4-soundfile"],
        }
    out["load_over_crop"] = {impl: medians["p4load:wav60", impl] / medians["p4crop:wav60", impl] for impl in workers}
    log(
        "pyannote 4: full load, torchcodec / fallback "
        f"{out['cases']['p4load:wav10']['torchcodec_over_fallback']:.2f}; 60 min full load / 5 s crop through "
        f"the fallback {out['load_over_crop']['pyannote4-soundfile']:.0f}"
    )
    return out


def pyannote4_markdown(section: Dict[str, Any]) -> List[str]:
    """The pyannote.audio 4 table of ``results.md``."""
    tc = section["versions"]["pyannote4-torchcodec"]
    lines = [
        "",
        "## pyannote.audio 4: the torchcodec-fallback route vs a working torchcodec",
        "",
        f"pyannote.audio {tc.get('pyannote.audio', '?')}, torchaudio {tc['torchaudio']}; torchcodec "
        f"{tc.get('torchcodec', '?')} on FFmpeg (libraries: Debian's `ffmpeg`). Median time per call.",
        "",
        "| case | " + " | ".join(P4_IMPLS.values()) + " | torchcodec / fallback |",
        "|---|---|---|---|",
    ]
    for entry in section["cases"].values():
        cells = [fmt_time(entry["impls"][impl]["median_s"]) for impl in P4_IMPLS]
        lines.append(f"| {entry['title']} | {' | '.join(cells)} | {entry['torchcodec_over_fallback']:.3g}× |")
    ratios = section["load_over_crop"]
    lines += [
        "",
        "A 5 s crop of the 60 min WAV costs 1/{:.0f} of a full read of it through the fallback (a seek), "
        "1/{:.0f} through torchcodec.".format(ratios["pyannote4-soundfile"], ratios["pyannote4-torchcodec"]),
    ]
    return lines


# -- report ----------------------------------------------------------------------------------------


def verdict(value: float, target: float) -> str:
    return f"≤ {target:g}: **met**" if value <= target else f"≤ {target:g}: **NOT met**"


def _ratio_cells(row: Dict[str, Any], floor: bool) -> Tuple[str, str]:
    """The wall ratio (with its 95 % interval) and CPU ratio cells of a whole-process row."""
    if floor:
        return "1", "1"
    low, high = row["ratio_ci95"]
    return f"{row['ratio']:.3f} ({low:.3f}–{high:.3f})", f"{row['cpu_ratio']:.3f}"


def markdown(results: Dict[str, Any]) -> str:
    m = results["machine"]
    v = results["io"]["versions"]
    tac_v, codec_v, legacy_v = v["ta-compat"], v["torchcodec"], v["legacy"]
    lines = [
        "# ta-compat benchmark results",
        "",
        f"Generated by `python3 -m nox -s bench` ({results['duration_s'] / 60:.1f} min) on {m['date']}.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; {m['os']}; "
        f"load average {m['loadavg_start']:.2f} at start, {m['loadavg_end']:.2f} at the end.",
        f"- Python {tac_v['python']}; modern stack: torch {tac_v['torch']}, torchaudio {tac_v['torchaudio']}, "
        f"ta-compat {tac_v.get('ta-compat', '?')}, soundfile {tac_v['soundfile']} ({tac_v['libsndfile']}), "
        f"numpy {tac_v['numpy']}.",
        f"- torchcodec path: torch {codec_v['torch']}, torchaudio {codec_v['torchaudio']}, "
        f"torchcodec {codec_v.get('torchcodec', '?')} (FFmpeg libraries: Debian's `ffmpeg`).",
        f"- Legacy: torch {legacy_v['torch']}, torchaudio {legacy_v['torchaudio']}, backends "
        f"`{legacy_v.get('legacy backends', '?')}`, "
        f"FFmpeg libavcodec {legacy_v.get('ffmpeg libavcodec (torio)', '?')}.",
        "- Every ratio compares two things measured side by side in this run, interleaved, as medians of "
        "many repetitions; a speed-up is the other implementation's median time over ta-compat's.",
        "",
        "## Start-up: `python -c pass` in the modern venv",
        "",
        "| venv | median wall | ratio to the floor (95 % CI) | CPU ratio | instructions ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in results["startup"].items():
        if name == "installed":
            continue
        floor = name.endswith("(floor)")
        target = "" if floor or "anchor" in name else verdict(row["ratio"], TARGETS["startup"])
        ratio, cpu = _ratio_cells(row, floor)
        ir = f"{row['instructions_ratio']:.4f}" if "instructions_ratio" in row else "–"
        lines.append(f"| {name} | {fmt_time(row['wall_median_s'])} | {ratio} | {cpu} | {ir} | {target} |")
    n = results["startup"]["ta-compat"]["n"]
    installed = results["startup"]["installed"]
    lines += [
        "",
        f"{n} rounds; each round starts every venv once, in a shuffled order. The anchors are installed the "
        "same way (pip, into a hard-link copy of the same modern stack). The wheel's `compat_autoload.pth` is "
        f"`{installed.get('pth', '?')}`; pip precompiled the bootstrap (`.pyc` present: "
        f"{'yes' if installed.get('pyc') else 'NO'}), which matters because `PYTHONDONTWRITEBYTECODE=1` is set "
        "here and a source-only module would be recompiled at every start. Instructions: one run of each "
        "under valgrind's callgrind (`PYTHONHASHSEED=0`), insensitive to the machine's load; the floor executes "
        f"{results['startup']['no ta-compat (floor)'].get('instructions', 0) / 1e6:.1f} M instructions.",
        "",
        "## `import torchaudio` with the shims vs `TA_COMPAT_DISABLE=1`",
        "",
        "| | median wall | ratio (95 % CI) | CPU ratio | target |",
        "|---|---|---|---|---|",
    ]
    for name, row in results["import"].items():
        if name == "direct":
            continue
        floor = name.endswith("(floor)")
        target = "" if floor else verdict(row["ratio"], TARGETS["import"])
        ratio, cpu = _ratio_cells(row, floor)
        lines.append(f"| {name} | {fmt_time(row['wall_median_s'])} | {ratio} | {cpu} | {target} |")
    direct = results["import"]["direct"]
    lines += [
        "",
        f"Measured directly in one process: applying the shims (importing `ta_compat` and patching) takes "
        f"{fmt_time(direct['apply_s'])}, {direct['apply_s'] / direct['import_s'] * 100:.2f} % of the "
        f"{fmt_time(direct['import_s'])} that `import torchaudio` takes there ({direct['modules']:.0f} modules "
        "loaded); the finder adds one `find_spec` call (a set lookup) to each of those imports.",
    ]
    lines += [
        "",
        "## Audio I/O (median time per call; speed-up = that implementation's time / ta-compat's)",
        "",
        "| case | floor: soundfile + `torch.from_numpy` | ta-compat | ta-compat / floor (95 % CI) | target "
        "| torchaudio 2.11 + torchcodec 0.17 | legacy 2.8, soundfile | legacy 2.8, FFmpeg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in results["io"]["cases"].values():
        impls = entry["impls"]
        cells = [
            entry["title"],
            fmt_time(impls["floor"]["median_s"]),
            fmt_time(impls["ta-compat"]["median_s"]),
            f"{entry['ratio']:.3f} ({entry['ratio_ci95'][0]:.3f}–{entry['ratio_ci95'][1]:.3f})",
            verdict(entry["ratio"], entry["target"]),
        ]
        for impl in OTHERS:
            cells.append(f"{fmt_time(impls[impl]['median_s'])} ({impls[impl]['speedup']:.3g}×)")
        lines.append("| " + " | ".join(cells) + " |")
    crop = results["io"]["crop_60_over_10"]
    lines += [
        "",
        "Crop cost vs file length (5 s crop, 60 min file / 10 min file): "
        + ", ".join(f"{LABELS[impl]} {value:.2f}" for impl, value in crop.items())
        + ". ta-compat seeks: its crop costs the same in any file length.",
        "",
        "`info` for torchaudio 2.11: `torchcodec.decoders.AudioDecoder(path).metadata` (torchaudio 2.9+ has no "
        "`info`). `save` writes 32-bit float WAV (the legacy default for a float32 tensor) everywhere except "
        "torchcodec, which chooses its own WAV encoding.",
        "",
        "## Peak memory of a full load (peak RSS during the load minus RSS before it, median of forked children)",
        "",
        "| file | decoded tensor | floor | ta-compat | ta-compat / floor | target "
        "| torchaudio 2.11 + torchcodec 0.17 | legacy 2.8, soundfile | legacy 2.8, FFmpeg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in results["memory"].values():
        peak = entry["peak_delta_mib"]
        cells = [
            entry["title"],
            f"{entry['result_mib']:.1f} MiB",
            f"{peak['floor']:.1f} MiB",
            f"{peak['ta-compat']:.1f} MiB",
            f"{entry['ratio']:.3f}",
            verdict(entry["ratio"], entry["target"]),
        ]
        for impl in OTHERS:
            cells.append(f"{peak[impl]:.1f} MiB ({entry['others_over_ta_compat'][impl]:.2f}×)")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


#: The venvs (command-line options) each section runs in.
SECTION_VENVS = {
    "startup": ("base", "ta-compat", "autowrapt", "coverage"),
    "import": ("ta-compat",),
    "io": ("ta-compat", "torchcodec", "legacy"),
    "pyannote4": tuple(P4_IMPLS),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("base", "ta-compat", "autowrapt", "coverage", "torchcodec", "legacy"):
        parser.add_argument(f"--{name}", help=f"python of the {name} venv")
    for name in P4_IMPLS:
        parser.add_argument(f"--{name}", help=f"python of the {name} venv (pyannote.audio 4)")
    parser.add_argument("--pyannote4-rounds", type=int, default=6)
    parser.add_argument(
        "--out",
        help="folder for results.json and results.md (default: benchmarks/ for a full run, which the docs quote; "
        "a new temporary folder for --quick or --only runs, so they never replace it)",
    )
    parser.add_argument("--quick", action="store_true", help="few repetitions: checks the machinery, not the numbers")
    parser.add_argument("--startup-rounds", type=int, default=600)
    parser.add_argument("--import-rounds", type=int, default=40)
    parser.add_argument("--io-rounds", type=int, default=10)
    parser.add_argument("--io-budget", type=float, default=2.5, help="seconds of calls per case and implementation")
    parser.add_argument(
        "--pair-budget", type=float, default=8.0, help="seconds of calls per case for ta-compat + floor"
    )
    parser.add_argument("--memory-reps", type=int, default=5)
    parser.add_argument("--only", default="startup,import,io,pyannote4", help="comma list of sections to run")
    parser.add_argument("--cases", default="", help="comma list of audio I/O cases (default: all), e.g. save:wav10")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    for section, names in SECTION_VENVS.items():
        missing = [f"--{name}" for name in names if section in only and getattr(args, name.replace("-", "_")) is None]
        if missing:
            parser.error(f"the {section} section needs {', '.join(missing)}")
    begin = time.monotonic()

    def log(message: str) -> None:
        print(f"[bench {time.monotonic() - begin:6.0f} s] {message}", file=sys.stderr, flush=True)

    results: Dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    folder = Path(tempfile.mkdtemp(prefix="ta-compat-bench-"))
    try:
        if "startup" in only:
            results["startup"] = startup(args, log)
        if "import" in only:
            results["import"] = import_torchaudio(args, log)
        if "io" in only:
            results["io"], results["memory"] = audio(args, folder, log)
        if "pyannote4" in only:
            results["pyannote4"] = pyannote4(args, folder / "pyannote4", log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["machine"]["loadavg_end"] = os.getloadavg()[0]
    results["duration_s"] = time.monotonic() - begin
    complete = only >= {"startup", "import", "io", "pyannote4"}
    if args.out:
        out = Path(args.out)
    elif complete and not args.quick:
        out = HERE
    else:
        out = Path(tempfile.mkdtemp(prefix="ta-compat-bench-partial-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if complete:
        (out / "results.md").write_text(markdown(results) + "\n".join(pyannote4_markdown(results["pyannote4"])) + "\n")
        log(f"wrote {out / 'results.md'}")
    log(f"wrote {out / 'results.json'} in {results['duration_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
