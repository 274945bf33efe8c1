"""Project tasks: ``nox -s demo`` (the main job) and ``nox -s tests`` (the whole suite).

Both set up everything from nothing. The heavy stacks (``stacks/*.txt``: torch + torchaudio +
pyannote, about 6 GB each) are built once per requirements file into a cache directory
(``TA_COMPAT_STACKS``, default ``~/.cache/ta-compat/stacks``) and reused. Each run works in
fresh hard-link copies of them (``cp -al``: seconds, no extra disk) with the freshly built
wheel installed, so nothing a run does leaks into the cache.
"""

from __future__ import annotations

import hashlib
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
STACK_PYTHON = "python3.11"  # the torch wheels of the stacks are cp311
BOOTSTRAP_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "none"


def _python(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is required (pyenv or your distribution provide it)")
    return found


def stack(session: nox.Session, name: str) -> Path:
    """The cached venv of ``stacks/<name>.txt``, built (atomically) when missing or changed."""
    requirements = (ROOT / "stacks" / f"{name}.txt").read_bytes()
    key = hashlib.sha256(requirements + STACK_PYTHON.encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{key}"
    if (path / "bin" / "python").exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f".{name}-{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    session.log(f"building the {name} stack in {path} (once; several minutes)")
    session.run(_python(STACK_PYTHON), "-m", "venv", str(partial), external=True)
    session.run(str(partial / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(ROOT / "stacks" / f"{name}.txt"), external=True)
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


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: the modern stack with ta-compat, differential against the legacy stack."""
    wheel = build_wheel(session)
    modern_stack, legacy_stack = stack(session, "modern"), stack(session, "legacy")
    python = fresh_copy(session, modern_stack, WORK / "test-modern")
    install(session, python, "-r", str(ROOT / "stacks" / "tools.txt"), str(wheel))
    legacy_python = fresh_copy(session, legacy_stack, WORK / "test-legacy")
    install(session, legacy_python, "--no-deps", str(wheel))
    bootstrap_pythons = [p for p in (shutil.which(f"python{v}") for v in BOOTSTRAP_PYTHONS) if p]
    env = {
        "TA_COMPAT_WHEEL": str(wheel),
        "TA_COMPAT_MODERN_STACK": str(modern_stack),
        "TA_COMPAT_LEGACY_STACK": str(legacy_stack),
        "TA_COMPAT_LEGACY_PYTHON": str(legacy_python),
        "TA_COMPAT_BOOTSTRAP_PYTHONS": os.pathsep.join(bootstrap_pythons),
    }
    session.run(str(python), "-m", "pytest", *(session.posargs or [str(ROOT / "tests")]), env=env, external=True)
