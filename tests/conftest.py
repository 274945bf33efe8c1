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

from support import ROOT, Interpreter, build_wheel
from support.checkpoints import build_checkpoints
from support.interpreter import ffmpeg_of_pyav
from support.interpreter import stack as cached_stack
from support.layers import NEEDS_STACKS, NEEDS_TIME, UNDER_NOX, require

#: Fixtures that hand out a torch stack: a test requesting one (directly or through another
#: fixture) is marked ``stack``.
STACK_FIXTURES = frozenset({"modern_python", "legacy_python", "fresh_venv", "pyannote4"})


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
        return cached_stack(stack).copy(tmp_path / name).python

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
    base = cached_stack("modern").copy(folder / "base")
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
