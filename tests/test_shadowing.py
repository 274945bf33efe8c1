"""ta-compat's own modules come from where it is installed, whatever sits on ``sys.path`` first.

Python puts the script's directory (or, for ``-c`` and ``-m``, the working directory) before
site-packages, so a ``_ta_compat_hook.py`` or a ``ta_compat/`` folder there would run instead of
the installed copy on ``import torchaudio``, or turn the shims off without a word. Each case runs
a fresh interpreter of a venv with the wheel installed and the fake ``torchaudio`` of
``tests/fakes`` on ``PYTHONPATH`` (the hook does not care what a target contains): no torch needed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from support import FAKES, SCRIPTS, Interpreter, clean_env

REPORT = SCRIPTS / "shadow_report.py"
SHADOW = "raise SystemExit('a shadowing copy ran')\n"


@pytest.fixture(scope="module")
def venv(wheel: Path) -> Iterator[Path]:
    """A venv of this interpreter with the wheel installed, in a world-readable folder (pytest's
    own are private), so an unprivileged user can run it too."""
    root = Path(tempfile.mkdtemp(prefix="ta-compat-shadowing-"))
    os.chmod(root, 0o755)
    interpreter = Interpreter.new_venv(sys.executable, root / "venv")
    interpreter.install("--no-deps", wheel)
    yield interpreter.python
    shutil.rmtree(root)


def report(python: Path, *args: str, cwd: Path, **env: str) -> Dict[str, object]:
    """Run ``args`` (a script, or ``-c`` code that runs the report) and return its JSON and stderr;
    without coverage's start-up hook: what runs at start-up is what is tested."""
    variables = clean_env(unmeasured=True, PYTHONPATH=str(FAKES), **env)
    done = Interpreter(python).run_args(*args, cwd=cwd, env=variables, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    result: Dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def warnings_of(result: Dict[str, object]) -> List[str]:
    """ta-compat's warnings in a run's stderr (without the source lines Python prints under them)."""
    return [line for line in str(result["stderr"]).splitlines() if "Warning: ta-compat: " in line]


def plant(folder: Path) -> None:
    """A shadowing hook module and a shadowing package, each failing loudly if it ever runs."""
    (folder / "_ta_compat_hook.py").write_text(SHADOW)
    (folder / "ta_compat").mkdir()
    (folder / "ta_compat" / "__init__.py").write_text(SHADOW)


def test_shadows_in_the_working_directory_never_run(venv: Path, tmp_path: Path) -> None:
    plant(tmp_path)
    result = report(venv, "-c", REPORT.read_text(), cwd=tmp_path)
    site = Interpreter(venv).site_packages()
    assert result["patched"] is True
    assert result["hook"] == str(site / "_ta_compat_hook.py")
    assert result["package"] == str(site / "ta_compat" / "__init__.py")
    assert result["stderr"] == ""


def test_shadows_beside_the_script_never_run(venv: Path, tmp_path: Path) -> None:
    scripts = tmp_path / "project"
    scripts.mkdir()
    plant(scripts)
    shutil.copy(REPORT, scripts / "run.py")
    result = report(venv, str(scripts / "run.py"), cwd=tmp_path)
    assert result["patched"] is True
    assert result["hook"] == str(Interpreter(venv).site_packages() / "_ta_compat_hook.py")
    assert result["stderr"] == ""


def test_a_broken_installed_hook_turns_the_shims_off_with_one_warning(venv: Path, tmp_path: Path) -> None:
    hook = Interpreter(venv).site_packages() / "_ta_compat_hook.py"
    original = hook.read_bytes()
    cache = hook.parent / "__pycache__"
    saved = {path: path.read_bytes() for path in cache.glob("_ta_compat_hook.*.pyc")}
    hook.write_text("def broken(:\n")
    for path in saved:
        path.unlink()
    try:
        result = report(venv, "-c", "import torchaudio, torchaudio; print('{\"patched\": false}')", cwd=tmp_path)
    finally:
        hook.write_bytes(original)
        for path, data in saved.items():
            path.write_bytes(data)
    lines = warnings_of(result)
    assert len(lines) == 1 and "the shims are off" in lines[0] and "SyntaxError" in lines[0], result["stderr"]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_an_unreadable_installed_hook_turns_the_shims_off_with_one_warning(venv: Path) -> None:
    """As an unprivileged user (root reads any file): the hook and its cached bytecode unreadable."""
    site = Interpreter(venv).site_packages()
    hidden = [site / "_ta_compat_hook.py", *(site / "__pycache__").glob("_ta_compat_hook.*.pyc")]
    modes = {path: path.stat().st_mode for path in hidden}
    for path in hidden:
        path.chmod(0)
    try:
        result = report(
            Path("/usr/bin/setpriv"),
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            str(venv),
            "-c",
            "import torchaudio; print('{}')",
            cwd=venv.parents[2],
        )
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    lines = warnings_of(result)
    assert len(lines) == 1 and "the shims are off" in lines[0] and "PermissionError" in lines[0], result["stderr"]


def test_unknown_disable_names_warn_once_at_fire_time(venv: Path, tmp_path: Path) -> None:
    env = {"TA_COMPAT_DISABLE": "load;save,info,x" + "y" * 200}
    startup = report(venv, "-c", "print('{}')", cwd=tmp_path, **env)
    assert startup["stderr"] == ""  # nothing at start-up: the names are checked when a target fires
    result = report(
        venv, "-c", "import torchaudio, importlib; importlib.reload(torchaudio); print('{}')", cwd=tmp_path, **env
    )
    lines = [line for line in str(result["stderr"]).splitlines() if "TA_COMPAT_DISABLE" in line]
    assert len(lines) == 1, lines
    assert "'load;save'" in lines[0] and "'info'" not in lines[0]
    assert "audiometadata, backends, info, load, save" in lines[0]
    assert "y" * 40 not in lines[0]  # a long value is cut to 40 characters, not echoed whole
