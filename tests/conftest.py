"""Shared fixtures. ``nox -s tests`` runs pytest inside a fresh copy of the modern stack
(torch 2.14.1, torchaudio 2.11.0, pyannote.audio 3.4.0) with the freshly built wheel installed,
and passes the other stacks and interpreters through ``TA_COMPAT_*`` variables.

Most tests run real subprocesses: the shims must come from the installed ``.pth``, never from an
explicit import in the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT = 300


def _env_path(name: str) -> Optional[Path]:
    value = os.environ.get(name)
    return Path(value) if value else None


def clean_env(**overrides: str) -> Dict[str, str]:
    """The current environment without ta-compat switches, plus ``overrides``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TA_COMPAT_DISABLE", "TA_COMPAT_WARN", "TA_COMPAT_DEBUG"))
    }
    env.update(overrides)
    return env


def startup_env(**overrides: str) -> Dict[str, str]:
    """``clean_env`` without coverage's start-up hook, for tests of what a bare start imports."""
    env = clean_env(**overrides)
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def run_python(
    python: os.PathLike[str] | str,
    code: str,
    *args: str,
    env: Optional[Dict[str, str]] = None,
    flags: tuple = (),
    cwd: os.PathLike[str] | str | None = None,
    timeout: float = SUBPROCESS_TIMEOUT,
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (with its ``.pth`` files) and capture its output."""
    return subprocess.run(
        [os.fspath(python), *flags, "-c", textwrap.dedent(code), *args],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def require(name: str) -> Path:
    path = _env_path(name)
    if path is None:
        pytest.skip(f"{name} is not set: run the suite with `nox -s tests`")
    return path


@pytest.fixture(scope="session")
def modern_python() -> Path:
    """The interpreter of the test run: the modern stack with the wheel installed."""
    return Path(sys.executable)


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    """The legacy reference stack (torch/torchaudio 2.8.0) with the wheel installed."""
    return require("TA_COMPAT_LEGACY_PYTHON")


@pytest.fixture(scope="session")
def wheel() -> Path:
    return require("TA_COMPAT_WHEEL")


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Callable[..., Path]:
    """Make a fresh hard-link copy of a cached stack (``"modern"`` or ``"legacy"``); returns its python."""

    def make(stack: str = "modern", name: str = "venv") -> Path:
        return copy_stack(stack, tmp_path / name)

    return make


def copy_stack(stack: str, dest: Path) -> Path:
    """A hard-link copy of a cached stack at ``dest`` (for module-scoped variants); returns its python."""
    source = require(f"TA_COMPAT_{stack.upper()}_STACK")
    subprocess.run(["cp", "-al", os.fspath(source), os.fspath(dest)], check=True)
    return dest / "bin" / "python"


SCRIPTS = ROOT / "tests" / "scripts"


def run_script(
    python: os.PathLike[str] | str,
    name: str,
    *args: str,
    env: Optional[Dict[str, str]] = None,
    timeout: float = SUBPROCESS_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``tests/scripts/<name>`` in a fresh interpreter (with its ``.pth`` files)."""
    return subprocess.run(
        [os.fspath(python), os.fspath(SCRIPTS / name), *args],
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def script_result(process: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    """The ``RESULT {json}`` line a script printed (pyannote prints notes on stdout too)."""
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [os.fspath(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def site_packages(python: Path) -> Path:
    out = run_python(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])", flags=("-S",))
    return Path(out.stdout.strip())


#: The kinds of pyannote checkpoint of spec section 5.2, by fixture name.
CHECKPOINT_FILES = {"wespeaker": "wespeaker.bin", "segmentation": "segmentation.ckpt", "hydra": "hydra.ckpt"}


@pytest.fixture(scope="session")
def pyannote_checkpoints(tmp_path_factory: pytest.TempPathFactory, modern_python: Path) -> Dict[str, Path]:
    """One checkpoint of each kind (random weights, built once per session with ``ta_compat.fixtures``):
    ``wespeaker`` (a convert.py-style WeSpeaker ResNet34), ``segmentation`` (a powerset PyanNet saved by
    ``Trainer.save_checkpoint``) and ``hydra`` (a pre-3.0 hydra-trained PyanNet with a ListConfig)."""
    folder = tmp_path_factory.mktemp("pyannote-checkpoints")
    paths = {kind: folder / name for kind, name in CHECKPOINT_FILES.items()}
    result = run_python(
        modern_python,
        """
        import sys
        from ta_compat.fixtures import write_hydra_checkpoint, write_segmentation_checkpoint, write_wespeaker_checkpoint

        write_wespeaker_checkpoint(sys.argv[1])
        write_segmentation_checkpoint(sys.argv[2])
        write_hydra_checkpoint(sys.argv[3])
        """,
        *(os.fspath(paths[kind]) for kind in CHECKPOINT_FILES),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return paths
