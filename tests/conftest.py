"""Shared fixtures. ``nox -s tests`` runs pytest inside a fresh copy of the modern stack
(torch 2.14.1, torchaudio 2.11.0, pyannote.audio 3.4.0) with the freshly built wheel installed,
and passes the other stacks and interpreters through ``TA_COMPAT_*`` variables.

Most tests run real subprocesses: the shims must come from the installed ``.pth``, never from an
explicit import in the test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Dict, Optional

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
        source = require(f"TA_COMPAT_{stack.upper()}_STACK")
        dest = tmp_path / name
        subprocess.run(["cp", "-al", os.fspath(source), os.fspath(dest)], check=True)
        return dest / "bin" / "python"

    return make


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


# --- pyannote.audio 4 and torchcodec -------------------------------------------------------------

#: pyannote.audio 4 on the modern stack, torch and torchaudio pinned so that pip does not move them;
#: it brings torchcodec 0.17 (pyannote.audio 4.0 requires torchcodec >= 0.7).
PYANNOTE4 = ("pyannote.audio==4.0.7", "torch==2.14.1", "torchaudio==2.11.0")

#: FFmpeg's libraries by the names torchcodec's loader asks for (each major version of FFmpeg 4-9).
FFMPEG_LIBRARIES = ("avutil", "avcodec", "avformat", "avdevice", "avfilter", "swscale", "swresample")

SCRIPTS = Path(__file__).resolve().parent / "scripts"


class Stack:
    """A venv of the pyannote 4 stack, with the environment its interpreter needs; ``hide_ffmpeg``:
    run it where the system's FFmpeg libraries cannot be loaded (``scripts/codec_without_ffmpeg.py``)."""

    def __init__(self, python: Path, env: Optional[Dict[str, str]] = None, hide_ffmpeg: bool = False) -> None:
        self.python = python
        self.env = env or {}
        self.hide_ffmpeg = hide_ffmpeg

    def run(self, *argv: str, **env: str) -> subprocess.CompletedProcess:
        """``python argv...`` in a clean environment with ``env`` added."""
        command = [os.fspath(self.python), *argv]
        if self.hide_ffmpeg and system_ffmpeg():
            command = [sys.executable, os.fspath(SCRIPTS / "codec_without_ffmpeg.py"), *command]
        result = subprocess.run(
            command,
            env=clean_env(**self.env, **env),
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
        )
        if result.returncode == 77 and "cannot hide FFmpeg" in result.stderr:
            pytest.skip(f"FFmpeg's libraries are installed and cannot be hidden here: {result.stderr.strip()}")
        return result


def system_ffmpeg() -> bool:
    """Whether the dynamic loader's cache lists FFmpeg libraries (Debian's ``ffmpeg``, say)."""
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return "libavutil.so" in listing


def _copy_venv(python: Path, dest: Path) -> Path:
    subprocess.run(["cp", "-al", os.fspath(python.parents[1]), os.fspath(dest)], check=True)
    return dest / "bin" / "python"


def _ffmpeg_of_pyav(python: Path, folder: Path) -> Dict[str, str]:
    """The environment that lets torchcodec load the FFmpeg bundled in the venv's PyAV wheel: links
    named by soname (``libavutil.so.60``) to the wheel's renamed copies, and ``av.libs`` itself,
    where those find their own dependencies, on ``LD_LIBRARY_PATH``."""
    libs = Path(run_python(python, "import av, os; print(os.path.dirname(av.__file__))").stdout.strip() + ".libs")
    folder.mkdir()
    for path in libs.iterdir():
        name, _, rest = path.name.partition("-")
        major = rest.split(".so.")[-1].split(".")[0]
        if name[3:] in FFMPEG_LIBRARIES and major.isdigit():
            (folder / f"{name}.so.{major}").symlink_to(path)
    return {"LD_LIBRARY_PATH": os.pathsep.join([os.fspath(folder), os.fspath(libs)])}


@pytest.fixture(scope="session")
def pyannote4(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Dict[str, Stack]:
    """pyannote.audio 4.0.7 on the modern stack, with the wheel, as each kind of torchcodec install:

    - ``torchcodec``: torchcodec 0.17 that works, on the FFmpeg of the PyAV wheel (PyAV installed);
    - ``broken-ffmpeg``: the same venv without that loader path and with the system's FFmpeg
      hidden: torchcodec imports, and every decode fails;
    - ``no-torchcodec``: torchcodec uninstalled (and no PyAV); ``no-torchcodec+av``: with PyAV;
    - ``torchcodec-0.7``: torchcodec 0.7.0, built for torch 2.8: its import raises on torch 2.14.

    Hard-link copies of the modern stack, built once per session."""
    folder = tmp_path_factory.mktemp("pyannote4")
    base = _copy_venv(require("TA_COMPAT_MODERN_STACK") / "bin" / "python", folder / "base")
    pip(base, "install", "-q", *PYANNOTE4)
    pip(base, "install", "-q", "--no-deps", os.fspath(wheel))
    with_av = _copy_venv(base, folder / "torchcodec")
    pip(with_av, "install", "-q", "av")
    without = _copy_venv(base, folder / "no-torchcodec")
    pip(without, "uninstall", "-y", "-q", "torchcodec")
    without_av = _copy_venv(without, folder / "no-torchcodec+av")
    pip(without_av, "install", "-q", "av")
    old = _copy_venv(base, folder / "torchcodec-0.7")
    pip(old, "install", "-q", "--no-deps", "torchcodec==0.7.0")
    return {
        "torchcodec": Stack(with_av, _ffmpeg_of_pyav(with_av, folder / "ffmpeg-of-pyav")),
        "broken-ffmpeg": Stack(with_av, hide_ffmpeg=True),
        "no-torchcodec": Stack(without),
        "no-torchcodec+av": Stack(without_av),
        "torchcodec-0.7": Stack(old),
    }
