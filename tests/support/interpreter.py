"""One type for every interpreter the tests start children of: the test run's, a cached torch
stack, a hard-link copy of one, a fresh venv of another Python."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from support.children import (
    FFMPEG_LIBRARIES,
    SUBPROCESS_TIMEOUT,
    Process,
    Result,
    clean_env,
    run_command,
    start,
    system_ffmpeg,
)
from support.layers import NEEDS_STACKS, require
from support.paths import SCRIPTS

#: The exit status of ``scripts/codec_without_ffmpeg.py`` where it cannot hide FFmpeg.
CANNOT_HIDE_FFMPEG = 77


class Interpreter:
    """A Python interpreter (``python``) and what its children get: ``clean_env()`` (``pristine``,
    ``unmeasured``: see there) plus ``variables``; ``hide_ffmpeg``: they run where the system's
    FFmpeg libraries cannot be loaded (``scripts/codec_without_ffmpeg.py``)."""

    def __init__(
        self,
        python: str | os.PathLike[str],
        variables: Optional[Dict[str, str]] = None,
        *,
        pristine: bool = False,
        unmeasured: bool = False,
        hide_ffmpeg: bool = False,
    ) -> None:
        self.python = Path(python)
        self.variables = dict(variables or {})
        self.pristine = pristine
        self.unmeasured = unmeasured
        self.hide_ffmpeg = hide_ffmpeg

    def __repr__(self) -> str:
        """The interpreter's path, for pytest's reports of a failed assertion."""
        return f"Interpreter({os.fspath(self.python)!r})"

    @property
    def venv(self) -> Path:
        """The venv (or installation prefix) the interpreter belongs to."""
        return self.python.parents[1]

    def environment(self, **overrides: str) -> Dict[str, str]:
        """The environment of a child: clean, with this interpreter's variables and ``overrides``."""
        return clean_env(pristine=self.pristine, unmeasured=self.unmeasured, **{**self.variables, **overrides})

    def run(self, script: str, *args: str | os.PathLike[str], **options: Any) -> Result:
        """Run ``tests/scripts/<script>.py`` (its folder is its ``sys.path[0]``, as for any script)
        with ``args``; the options are ``run_args``'."""
        return self.run_args(SCRIPTS / f"{script}.py", *args, **options)

    def run_code(self, code: str, *args: str | os.PathLike[str], **options: Any) -> Result:
        """Run ``code`` (``python -c``; programs of more than a line belong in ``tests/scripts``)."""
        return self.run_args("-c", textwrap.dedent(code), *args, **options)

    def run_args(
        self,
        *arguments: str | os.PathLike[str],
        flags: Sequence[str] = (),
        env: Optional[Dict[str, str]] = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: Optional[float] = SUBPROCESS_TIMEOUT,
        prefix: Sequence[str | os.PathLike[str]] = (),
        check: bool = False,
        **variables: str,
    ) -> Result:
        """``python flags... arguments...``, output captured: in ``env`` (default: ``environment()``)
        with ``variables`` on top, under the command ``prefix`` (``unshare ...``, ``strace ...``);
        ``check``: it must succeed."""
        command = [*prefix, *self._launcher(), self.python, *flags, *arguments]
        result = run_command(command, env=self._env(env, variables), cwd=cwd, timeout=timeout)
        assert not check or result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        if self.hide_ffmpeg and result.returncode == CANNOT_HIDE_FFMPEG and "cannot hide FFmpeg" in result.stderr:
            import pytest

            pytest.skip(f"FFmpeg's libraries are installed and cannot be hidden here: {result.stderr.strip()}")
        return result

    def start(
        self, *arguments: str | os.PathLike[str], env: Optional[Dict[str, str]] = None, pipes: bool = False
    ) -> Process:
        """``python arguments...`` started without waiting (``pipes``: stdin and stdout as text)."""
        return start([*self._launcher(), self.python, *arguments], env=self._env(env, {}), pipes=pipes)

    def _launcher(self) -> Sequence[str | os.PathLike[str]]:
        """What runs the interpreter: itself, or the program that hides FFmpeg from it."""
        if self.hide_ffmpeg and system_ffmpeg():
            return [sys.executable, SCRIPTS / "codec_without_ffmpeg.py"]
        return []

    def _env(self, env: Optional[Dict[str, str]], variables: Dict[str, str]) -> Dict[str, str]:
        """A child's environment: ``env`` as given (else ``environment()``) with ``variables`` on top."""
        return {**(env if env is not None else self.environment()), **variables}

    def pip(self, *args: str | os.PathLike[str], check: bool = True, **options: Any) -> Result:
        """The venv's own pip with ``args``; ``check``: it must succeed; ``options``: ``run_args``'."""
        return self.run_args("-m", "pip", "--disable-pip-version-check", *args, check=check, **options)

    def install(self, *args: str | os.PathLike[str]) -> None:
        """``pip install -q args`` into this venv by the test run's pip (a venv made
        ``--without-pip`` has none); it must succeed."""
        run_command(
            [
                sys.executable,
                "-m",
                "pip",
                "--disable-pip-version-check",
                "--python",
                self.python,
                "install",
                "-q",
                *args,
            ],
            env=self.environment(),
            check=True,
        )

    def site_packages(self) -> Path:
        """The venv's site-packages folder (purelib). Not under ``-S``: up to Python 3.13 it is
        ``site`` that sets ``sys.prefix`` to the venv."""
        out = self.run_code("import sysconfig; print(sysconfig.get_paths()['purelib'])", check=True)
        return Path(out.stdout.strip())

    def version(self) -> Tuple[int, int]:
        """The interpreter's ``sys.version_info[:2]``."""
        out = self.run_code("import sys; print('%d %d' % sys.version_info[:2])", check=True)
        major, minor = out.stdout.split()
        return int(major), int(minor)

    def copy(self, dest: Path, *, hard_links: bool = True, **options: Any) -> Interpreter:
        """A copy of the venv at ``dest``: hard links (``cp -al``: pip only adds and unlinks files,
        so this venv stays intact, and a torch stack copies in a second), else a plain copy; with
        these options unless ``options`` (``Interpreter``'s) say otherwise."""
        if hard_links:
            run_command(["cp", "-al", self.venv, dest], check=True)
        else:
            shutil.copytree(self.venv, dest, symlinks=True)
        settings: Dict[str, Any] = {
            "variables": self.variables,
            "pristine": self.pristine,
            "unmeasured": self.unmeasured,
            "hide_ffmpeg": self.hide_ffmpeg,
            **options,
        }
        return Interpreter(dest / "bin" / "python", **settings)

    @classmethod
    def new_venv(cls, base: str | os.PathLike[str], dest: Path, *, pip: bool = False, **options: Any) -> Interpreter:
        """A fresh venv of the interpreter ``base`` at ``dest`` (without pip unless ``pip``)."""
        without_pip = [] if pip else ["--without-pip"]
        run_command([base, "-m", "venv", *without_pip, dest], env=clean_env(pristine=True), check=True)
        return cls(dest / "bin" / "python", **options)


def stack(name: str, **options: Any) -> Interpreter:
    """The cached torch stack ``name`` (``"modern"`` or ``"legacy"``) that nox names in
    ``TA_COMPAT_<NAME>_STACK``; the test skips without it. Copy it before installing anything."""
    return Interpreter(require(f"TA_COMPAT_{name.upper()}_STACK", NEEDS_STACKS) / "bin" / "python", **options)


def stack_copy(name: str, dest: Path) -> Interpreter:
    """A hard-link copy of the cached stack ``name`` at ``dest``. Under ``nox -s tests``, which
    measures coverage in every child, the copy gets the test run's coverage (and with it coverage's
    start-up ``.pth``): the families tested only in such copies are measured too."""
    copy = stack(name).copy(dest)
    if os.environ.get("COVERAGE_PROCESS_START"):
        copy.pip("install", "-q", "--no-deps", f"coverage=={metadata.version('coverage')}")
    return copy


def build_wheel(source: Path, dist: Path) -> Path:
    """Build the wheel of the checkout at ``source`` into ``dist``, as nox does."""
    Interpreter(sys.executable).pip("wheel", "-q", "--no-deps", "-w", dist, source)
    (built,) = dist.glob("ta_compat-*.whl")
    return built


def ffmpeg_of_pyav(python: Interpreter, folder: Path) -> Dict[str, str]:
    """The environment that lets torchcodec load the FFmpeg bundled in the venv's PyAV wheel: links
    named by soname (``libavutil.so.60``) to the wheel's renamed copies, and ``av.libs`` itself,
    where those find their own dependencies, on ``LD_LIBRARY_PATH``."""
    where = python.run_code("import av, os; print(os.path.dirname(av.__file__))", check=True)
    libs = Path(where.stdout.strip() + ".libs")
    folder.mkdir()
    for path in libs.iterdir():
        name, _, rest = path.name.partition("-")
        major = rest.split(".so.")[-1].split(".")[0]
        if name[3:] in FFMPEG_LIBRARIES and major.isdigit():
            (folder / f"{name}.so.{major}").symlink_to(path)
    return {"LD_LIBRARY_PATH": os.pathsep.join([os.fspath(folder), os.fspath(libs)])}
