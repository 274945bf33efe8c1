"""Packaging life-cycle: ``pip install``, ``pip install -e``, ``uv pip install``, upgrade,
downgrade, install from the sdist and uninstall leave exactly the files RECORD lists, and a moved or deleted editable
checkout costs one clear line at start-up, not a traceback storm.

Each case works in a fresh Python 3.11 venv with pip (a copy of one made per module) and no torch:
the hook is checked with the fake ``torchaudio`` of ``tests/fakes``. Nothing here writes bytecode
(``PYTHONDONTWRITEBYTECODE=1``), so the files in site-packages are exactly what the installers wrote.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Set

import pytest

from support import FAKES, ROOT, Interpreter, Result, build_wheel, clean_env, result_of, run_command

TIMEOUT = 600
UV_OWN = {".lock"}  # uv's lock file at the root of a venv it worked in: uv's, not ours

pytestmark = pytest.mark.slow


#: What every child here gets on top of a clean environment without coverage's start-up hook and
#: without anything that steers Python (``PYTHONPATH``, ``VIRTUAL_ENV``, ...).
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}


def _run(*args: str | os.PathLike[str]) -> Result:
    """A program other than a venv's Python (uv, the build front end); it must succeed."""
    return run_command(args, env=clean_env(pristine=True, unmeasured=True, **NO_BYTECODE), timeout=TIMEOUT, check=True)


class Venv:
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self.python = interpreter.python
        self.path = interpreter.venv
        self.site = interpreter.site_packages()

    def pip(self, *args: str | os.PathLike[str]) -> Result:
        return self.interpreter.pip(*args, timeout=TIMEOUT)

    def tree(self) -> Set[str]:
        """Every file and directory under the venv (relative paths)."""
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*")}

    def record(self) -> Set[str]:
        """The paths the installed ta-compat's RECORD lists, relative to the venv (and their folders)."""
        (dist_info,) = self.site.glob("ta_compat-*.dist-info")
        paths: Set[str] = set()
        with open(dist_info / "RECORD", newline="") as handle:
            for row in csv.reader(handle):
                path = Path(os.path.normpath(self.site / row[0])).relative_to(self.path)
                paths.add(path.as_posix())
                paths.update(parent.as_posix() for parent in path.parents if parent != Path("."))
        return paths

    def hook(self, **env: str) -> dict:
        """The hook's report after importing the fake torchaudio (see ``tests/scripts/hook_report.py``)."""
        result = self.interpreter.run("import_targets", "torchaudio", PYTHONPATH=str(FAKES), **env)
        assert result.stderr == ""
        return result_of(result)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Interpreter:
    """A plain Python 3.11 venv with pip (copied for each case: seconds saved per case)."""
    base = getattr(sys, "_base_executable", sys.executable)
    path = tmp_path_factory.mktemp("template") / "venv"
    return Interpreter.new_venv(base, path, pip=True, pristine=True, unmeasured=True, variables=NO_BYTECODE)


@pytest.fixture
def venv(template: Interpreter, tmp_path: Path) -> Venv:
    return Venv(template.copy(tmp_path / "venv", hard_links=False))


def _copy_repo(dest: Path, version: str | None = None, extra_module: bool = False) -> Path:
    """A copy of what a build needs from the repository; optionally with another version."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "compat_autoload.pth", "compat_autoload.start", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__"))
    if version is not None:
        init = dest / "src" / "ta_compat" / "__init__.py"
        text, count = re.subn(r'__version__ = "[^"]*"', f'__version__ = "{version}"', init.read_text())
        assert count == 1
        init.write_text(text)
    if extra_module:  # a file only this version has: a downgrade must remove it
        (dest / "src" / "ta_compat" / "_only_in_this_version.py").write_text("")
    return dest


@pytest.fixture(scope="module")
def next_wheel(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """The wheel of a later version (built from a temporary copy of the repository)."""
    version = wheel.name.split("-")[1] + ".post1"
    root = tmp_path_factory.mktemp("next")
    built = build_wheel(_copy_repo(root / "src", version=version, extra_module=True), root / "dist")
    assert version in built.name
    return built


def _assert_exactly_record(venv: Venv, before: Set[str]) -> None:
    record = venv.record()
    for name in ("compat_autoload.pth", "compat_autoload.start", "_ta_compat_bootstrap.py", "_ta_compat_hook.py"):
        assert (venv.site / name).relative_to(venv.path).as_posix() in record, name
    assert venv.tree() - UV_OWN == before | record


# -- pip --------------------------------------------------------------------------------------


def test_pip_install_then_uninstall(venv: Venv, wheel: Path) -> None:
    before = venv.tree()
    venv.pip("install", "-q", "--no-deps", wheel)
    _assert_exactly_record(venv, before)
    state = venv.hook()
    assert state["patched"] and state["package"].startswith(str(venv.site))
    venv.pip("uninstall", "-y", "-q", "ta-compat")
    assert venv.tree() == before  # nothing of ours is left, not even an empty folder (pip #11315)
    assert venv.interpreter.run_code("pass").stderr == ""


def test_pip_upgrade_and_downgrade(venv: Venv, wheel: Path, next_wheel: Path) -> None:
    before = venv.tree()
    venv.pip("install", "-q", "--no-deps", wheel)
    first = venv.hook()
    venv.pip("install", "-q", "--no-deps", "--upgrade", next_wheel)
    _assert_exactly_record(venv, before)
    assert (venv.site / "ta_compat" / "_only_in_this_version.py").exists()
    upgraded = venv.hook()
    assert upgraded["patched"] and upgraded["version"].endswith(".post1")
    venv.pip("install", "-q", "--no-deps", wheel)  # the downgrade
    _assert_exactly_record(venv, before)
    assert not (venv.site / "ta_compat" / "_only_in_this_version.py").exists()
    assert venv.hook() == first
    venv.pip("uninstall", "-y", "-q", "ta-compat")
    assert venv.tree() == before


def test_pip_editable_install_of_the_checkout(venv: Venv) -> None:
    before = venv.tree()
    venv.pip("install", "-q", "--no-deps", "-e", ROOT)
    _assert_exactly_record(venv, before)
    record = venv.record()
    assert any(Path(path).name.endswith(".pth") and "editable" in path for path in record), sorted(record)
    state = venv.hook()  # the package runs from the source tree; the start-up module sits beside the .pth
    assert state["patched"]
    assert state["package"].startswith(str(ROOT / "src")) and state["bootstrap"].startswith(str(venv.site))
    venv.pip("uninstall", "-y", "-q", "ta-compat")
    assert venv.tree() == before


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist of the checkout, built the way release tooling builds it (``python -m build``)."""
    dist = tmp_path_factory.mktemp("sdist")
    _run(sys.executable, "-m", "build", "--sdist", "--outdir", dist, ROOT)
    (built,) = dist.glob("ta_compat-*.tar.gz")
    return built


def test_pip_install_from_the_sdist(venv: Venv, sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    assert {"compat_autoload.pth", "compat_autoload.start", "src/_ta_compat_bootstrap.py", "LICENSE"} <= names
    assert {"noxfile.py", "stacks/modern.txt", "tests/conftest.py", "CHANGELOG.md"} <= names  # it can test itself
    assert not any("__pycache__" in name or name.startswith(".nox") for name in names)
    before = venv.tree()
    venv.pip("install", "-q", "--no-deps", sdist)  # builds a wheel from the sdist, then installs it
    _assert_exactly_record(venv, before)
    state = venv.hook()
    assert state["patched"] and state["package"].startswith(str(venv.site))
    venv.pip("uninstall", "-y", "-q", "ta-compat")
    assert venv.tree() == before


def _assert_one_clear_line(venv: Venv) -> None:
    for code in ("pass", "import sys; sys.path.insert(0, sys.argv[1]); import torchaudio"):
        result = venv.interpreter.run_code(code, str(FAKES))
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr  # one line, though site runs the .pth twice in a venv
        assert lines[0].startswith("ta-compat: the shims are off: ") and "ta_compat package is missing" in lines[0]
        assert "Traceback" not in result.stderr


def test_a_moved_or_deleted_editable_checkout_costs_one_line(venv: Venv, tmp_path: Path) -> None:
    checkout = _copy_repo(tmp_path / "checkout")
    venv.pip("install", "-q", "--no-deps", "-e", checkout)
    assert venv.hook()["patched"]
    checkout.rename(tmp_path / "elsewhere")
    _assert_one_clear_line(venv)
    (tmp_path / "elsewhere").rename(checkout)  # moved back: working again
    assert venv.hook()["patched"]
    shutil.rmtree(checkout)
    _assert_one_clear_line(venv)


# -- uv ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uv(template: Interpreter, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """uv from PyPI, installed with pip into a venv of its own (not the venv under test)."""
    tools = template.copy(tmp_path_factory.mktemp("uv") / "venv", hard_links=False)
    result = tools.pip("install", "-q", "uv", check=False, timeout=TIMEOUT)
    if result.returncode != 0:
        pytest.skip(f"uv cannot be installed here: {result.stderr.strip().splitlines()[-1:]}")
    return tools.venv / "bin" / "uv"


def test_uv_pip_install_then_uninstall(venv: Venv, wheel: Path, uv: Path) -> None:
    before = venv.tree()
    _run(uv, "pip", "install", "--quiet", "--no-deps", "--python", venv.python, wheel)
    _assert_exactly_record(venv, before)
    state = venv.hook()
    assert state["patched"] and state["package"].startswith(str(venv.site))
    _run(uv, "pip", "uninstall", "--quiet", "--python", venv.python, "ta-compat")
    assert venv.tree() - UV_OWN == before


def test_uv_pip_editable_install(venv: Venv, uv: Path, tmp_path: Path) -> None:
    checkout = _copy_repo(tmp_path / "checkout")
    before = venv.tree()
    _run(uv, "pip", "install", "--quiet", "--no-deps", "--python", venv.python, "-e", checkout)
    _assert_exactly_record(venv, before)
    state = venv.hook()
    assert state["patched"] and state["package"].startswith(str(checkout / "src"))
    _run(uv, "pip", "uninstall", "--quiet", "--python", venv.python, "ta-compat")
    assert venv.tree() - UV_OWN == before
