"""Project tasks: ``nox -s demo`` (the main job), ``nox -s tests`` (the whole suite), ``nox -s record``
(the doctor and demo runs the docs quote) and ``nox -s bench`` (the figures they quote).

All set up everything from nothing. The heavy stacks (``stacks/*.txt``: torch + torchaudio +
pyannote, about 6 GB each) are built once per requirements file into a cache directory
(``TA_COMPAT_STACKS``, default ``~/.cache/ta-compat/stacks``) and reused. Each run works in
fresh hard-link copies of them (``cp -al``: seconds, no extra disk) with the freshly built
wheel installed, so nothing a run does leaks into the cache.

Nothing is installed into the system unasked. Two kinds of test need Debian packages: those that
compare with a working torchcodec need FFmpeg's shared libraries (``apt-get install ffmpeg``),
the check that ``save`` makes legacy's system calls needs ``strace``, and the benchmark's
instruction counts need ``valgrind``. Without them those tests skip, naming
the package. ``TA_COMPAT_APT=1`` lets a session install them with ``apt-get`` (as root; CI does).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
RUNS = ROOT / ".nox" / "runs"
WORK = RUNS / str(os.getpid())  # one folder per nox run: concurrent runs never share venvs
CACHE = Path(os.environ.get("TA_COMPAT_STACKS", Path.home() / ".cache" / "ta-compat" / "stacks"))
STACK_PYTHON = "3.11"  # the torch wheels of the stacks are cp311
BOOTSTRAP_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
# Percent of src/ (lines and branches) in the test run and every child of it, the venvs the tests
# copy from the stacks included; CI fails below it. 93.2 % measured on the last full run.
COVERAGE_FLOOR = 90

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "none"


def _interpreter(version: str) -> str | None:
    """A working ``python<version>``: pyenv's installs first (its shims only run the global one)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
    candidates += [Path(found)] if (found := shutil.which(f"python{version}")) else []
    for candidate in candidates:
        if subprocess.run([str(candidate), "-c", "pass"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


def stack(session: nox.Session, name: str) -> Path:
    """The cached venv of ``stacks/<name>.txt``, built (atomically) when missing or changed."""
    requirements = (ROOT / "stacks" / f"{name}.txt").read_bytes()
    key = hashlib.sha256(requirements + f"python{STACK_PYTHON}".encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{key}"
    if (path / "bin" / "python").exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f".{name}-{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    session.log(f"building the {name} stack in {path} (once; several minutes)")
    python = _interpreter(STACK_PYTHON)
    if python is None:
        session.error(f"Python {STACK_PYTHON} is required for the stacks (pyenv or your distribution provide it)")
    session.run(python, "-m", "venv", str(partial), external=True)
    requirements_file = str(ROOT / "stacks" / f"{name}.txt")
    session.run(str(partial / "bin" / "python"), "-m", "pip", "install", "-q", "-r", requirements_file, external=True)
    for old in CACHE.glob(f"{name}-*"):  # the disk is shared: keep one stack per name
        shutil.rmtree(old, ignore_errors=True)
    partial.rename(path)
    return path


def fresh_copy(session: nox.Session, source: Path, dest: Path) -> Path:
    """A hard-link copy of a venv (pip only adds and unlinks files, so the source stays intact)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["cp", "-al", str(source), str(dest)]).returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        session.run("cp", "-a", str(source), str(dest), external=True)
    return dest / "bin" / "python"


def _remove_finished_runs() -> None:
    for run in RUNS.glob("*"):
        try:
            os.kill(int(run.name), 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(run, ignore_errors=True)
        except PermissionError:
            pass


def system_package(session: nox.Session, package: str, present: bool, needed_for: str) -> None:
    """Install a Debian package only when ``TA_COMPAT_APT=1`` asks for it; else say what skips."""
    if present:
        return
    if os.environ.get("TA_COMPAT_APT") != "1" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        session.warn(f"{package} is not installed: {needed_for} skip (`apt-get install {package}`, or TA_COMPAT_APT=1)")
        return
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", package, external=True)


def ensure_ffmpeg(session: nox.Session) -> None:
    """FFmpeg shared libraries (Debian's ``ffmpeg``), which torchcodec loads."""
    present = subprocess.run("ldconfig -p | grep -q libavcodec", shell=True).returncode == 0
    system_package(session, "ffmpeg", present, "the comparisons with a working torchcodec")


def build_wheel(session: nox.Session) -> Path:
    _remove_finished_runs()
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT), external=True)
    (wheel,) = dist.glob("ta_compat-*.whl")
    return wheel


def install(session: nox.Session, python: Path, *requirements: str) -> None:
    session.run(str(python), "-m", "pip", "install", "-q", *requirements, external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: ta-compat on the modern stack, its status and doctor, then real pyannote inference."""
    wheel = build_wheel(session)
    python = fresh_copy(session, stack(session, "modern"), WORK / "demo-env")
    install(session, python, "--no-deps", str(wheel))
    session.run(str(python), "-m", "ta_compat", "status", external=True)
    session.run(str(python), "-m", "ta_compat", "doctor", external=True)
    session.run(str(python), str(ROOT / "examples" / "pyannote_demo.py"), external=True)


#: What ``nox -s record`` writes: the runs that the README and docs/ quote (``tests/scripts/render_docs.py``).
RECORDED = ROOT / "docs" / "recorded"
VERSIONS_CODE = """
import json, sys
from importlib import import_module
found = {"python": sys.version.split()[0]}
for name in ("torch", "torchaudio", "pyannote.audio", "numpy", "soundfile", "ta_compat"):
    try:
        found[name] = import_module(name).__version__
    except ImportError:
        pass
print(json.dumps(found))
"""


def _capture(python: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python arguments`` without ta-compat switches, its output captured (a record must not depend on the shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TA_COMPAT_")}
    return subprocess.run([str(python), *arguments], env=env, capture_output=True, text=True, timeout=1800)


@nox.session
def record(session: nox.Session) -> None:
    """Record what the docs quote: ``ta-compat doctor`` on both stacks and the demo on the modern one.

    Writes ``docs/recorded/<stack>.json``; ``python tests/scripts/render_docs.py`` then rewrites the
    generated blocks of the README and docs/ from them (a test checks they agree).
    """
    wheel = build_wheel(session)
    RECORDED.mkdir(parents=True, exist_ok=True)
    for name in ("modern", "legacy"):
        python = fresh_copy(session, stack(session, name), WORK / f"record-{name}")
        install(session, python, "--no-deps", str(wheel))
        session.log(f"{name} stack: ta-compat doctor (it probes every family: minutes)")
        doctor = _capture(python, "-m", "ta_compat", "doctor", "--json")
        if not doctor.stdout.strip():
            session.error(f"ta-compat doctor printed nothing on the {name} stack: {doctor.stderr[-2000:]}")
        recorded = {
            "stack": name,
            "versions": json.loads(_capture(python, "-c", VERSIONS_CODE).stdout),
            "doctor": {"exit_status": doctor.returncode, "report": json.loads(doctor.stdout)},
        }
        if name == "modern":
            demo = _capture(python, str(ROOT / "examples" / "pyannote_demo.py"))
            if demo.returncode != 0:
                session.error(f"the demo failed: {demo.stderr[-3000:]}")
            recorded["demo"] = demo.stdout.strip()
        (RECORDED / f"{name}.json").write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n")
        session.log(f"wrote {RECORDED / f'{name}.json'}")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: the modern stack with ta-compat, differential against the legacy stack."""
    wheel = build_wheel(session)
    ensure_ffmpeg(session)
    system_package(
        session, "strace", shutil.which("strace") is not None, "the check that save makes legacy's system calls"
    )
    modern_stack, legacy_stack = stack(session, "modern"), stack(session, "legacy")
    python = fresh_copy(session, modern_stack, WORK / "test-modern")
    install(session, python, "-r", str(ROOT / "stacks" / "tools.txt"), str(wheel))
    legacy_python = fresh_copy(session, legacy_stack, WORK / "test-legacy")
    install(session, legacy_python, "--no-deps", str(wheel), "coverage")  # its children are measured too
    bootstrap_pythons = [p for p in map(_interpreter, BOOTSTRAP_PYTHONS) if p]
    env = {
        "TA_COMPAT_WHEEL": str(wheel),
        "TA_COMPAT_MODERN_STACK": str(modern_stack),
        "TA_COMPAT_LEGACY_STACK": str(legacy_stack),
        "TA_COMPAT_LEGACY_PYTHON": str(legacy_python),
        "TA_COMPAT_BOOTSTRAP_PYTHONS": os.pathsep.join(bootstrap_pythons),
    }
    if not session.posargs:  # the full run also lints, type-checks and measures coverage
        session.run(str(python), "-m", "ruff", "check", str(ROOT), external=True)
        session.run(str(python), "-m", "ruff", "format", "--check", str(ROOT), external=True)
        session.run(str(python), "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), external=True)
        env["COVERAGE_PROCESS_START"] = str(ROOT / "pyproject.toml")  # coverage's .pth: every child too
        env["COVERAGE_FILE"] = str(WORK / ".coverage")
    session.run(str(python), "-m", "pytest", *(session.posargs or [str(ROOT / "tests")]), env=env, external=True)
    if not session.posargs:
        coverage = (str(python), "-m", "coverage")
        session.run(*coverage, "combine", "--quiet", env=env, external=True)
        session.run(*coverage, "report", f"--fail-under={COVERAGE_FLOOR}", env=env, external=True)


# Start-up anchors: other packages whose .pth runs at every start. pytest-cov has shipped no .pth
# since 7.0; the one its installs carry is coverage's own a1_coverage.pth, so that is measured.
BENCH_ANCHORS = {"autowrapt": "autowrapt==2.0.0", "coverage": "coverage==7.17.5"}
BENCH_TORCHCODEC = "torchcodec==0.17.0"  # torchaudio 2.11's own load/save route
BENCH_PYANNOTE4 = ("pyannote.audio==4.0.7", "torch==2.14.1", "torchaudio==2.11.0")  # torch pinned: pip keeps it


def _bench_backends(session: nox.Session, python: Path) -> None:
    """torchaudio 2.8's FFmpeg backend needs FFmpeg 4-6 shared libraries (Debian 12 ships 5.1)."""
    code = "import warnings; warnings.simplefilter('ignore'); import torchaudio as t; print(t.list_audio_backends())"
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()
    session.log(f"legacy torchaudio 2.8 backends: {found}")
    if "ffmpeg" not in found or "soundfile" not in found:
        session.error(f"legacy torchaudio lists {found or 'nothing'}: both 'ffmpeg' and 'soundfile' are needed")


def _bench_valgrind(session: nox.Session) -> None:
    """valgrind (Debian's) counts start-up instructions, which the machine's load does not move."""
    system_package(session, "valgrind", shutil.which("valgrind") is not None, "the instruction counts")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: start-up and audio I/O vs the soundfile floor; writes benchmarks/results.{json,md}.

    Every contender gets its own fresh hard-link copy of a cached stack: the modern stack without
    ta-compat (the floor), with the wheel, with each start-up anchor, with torchcodec, with
    pyannote.audio 4 and the wheel (with and without torchcodec); the legacy stack as it is.
    ``nox -s bench -- --quick`` checks the machinery in a few minutes; other arguments go to
    ``benchmarks/run.py``.
    """
    wheel = build_wheel(session)
    ensure_ffmpeg(session)
    _bench_valgrind(session)
    modern_stack, legacy_stack = stack(session, "modern"), stack(session, "legacy")
    work = WORK / "bench"
    pythons = {"base": fresh_copy(session, modern_stack, work / "base")}
    pythons["ta-compat"] = fresh_copy(session, modern_stack, work / "ta-compat")
    install(session, pythons["ta-compat"], "--no-deps", str(wheel))
    for name, requirement in BENCH_ANCHORS.items():
        pythons[name] = fresh_copy(session, modern_stack, work / name)
        install(session, pythons[name], requirement)
    pythons["torchcodec"] = fresh_copy(session, modern_stack, work / "torchcodec")
    install(session, pythons["torchcodec"], "--no-deps", BENCH_TORCHCODEC)
    # pyannote.audio 4 with the torchcodec 0.17 it requires, and the same without torchcodec.
    pythons["pyannote4-torchcodec"] = fresh_copy(session, modern_stack, work / "pyannote4-torchcodec")
    install(session, pythons["pyannote4-torchcodec"], *BENCH_PYANNOTE4)
    install(session, pythons["pyannote4-torchcodec"], "--no-deps", str(wheel))
    pythons["pyannote4-soundfile"] = fresh_copy(session, work / "pyannote4-torchcodec", work / "pyannote4-soundfile")
    session.run(str(pythons["pyannote4-soundfile"]), "-m", "pip", "uninstall", "-y", "-q", "torchcodec", external=True)
    pythons["legacy"] = fresh_copy(session, legacy_stack, work / "legacy")
    _bench_backends(session, pythons["legacy"])
    arguments = [f"--{name}={python}" for name, python in pythons.items()]
    session.run(sys.executable, str(ROOT / "benchmarks" / "run.py"), *arguments, *session.posargs, external=True)
