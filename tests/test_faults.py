"""Fault injection on the real modern stack: missing dependencies, a shim that raises,
a read-only site-packages, 32 threads, multiprocessing workers and ``importlib.reload``.

Every case is a fresh interpreter of the test venv (the modern stack with the wheel installed);
faults are injected from outside the package: a directory placed first on ``PYTHONPATH`` shadows
``soundfile`` or ``numpy``, a fresh venv gets a broken install of ``ta_compat`` (its own modules
always come from where they are installed), or a mount namespace makes site-packages read-only.
With ``TA_COMPAT_DEBUG=1`` each application of a shim family prints one
``ta-compat: <target> <version>: <family> <state>`` line, which is how firings are counted.
"""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path
from typing import Callable, List, Tuple

import pytest

from support import Interpreter, clean_env, fires, ours, result_of, run_command
from ta_compat._families import FAMILIES


@pytest.fixture(scope="module")
def torchaudio_families(modern_python: Path) -> List[str]:
    return list(result_of(Interpreter(modern_python).run("target_families", "torchaudio"))["targets"]["torchaudio"])


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0.1 s 16-bit mono WAV, written with the standard library (no soundfile needed)."""
    path = tmp_path_factory.mktemp("audio") / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x10" * 1600)
    return path


def missing(tmp_path: Path, *names: str) -> str:
    """A directory whose modules ``names`` raise ModuleNotFoundError, as if not installed."""
    folder = tmp_path / "missing"
    for name in names:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError({f'No module named {name!r}'!r}, name={name!r})\n"
        )
    return str(folder)


# -- soundfile or numpy missing ---------------------------------------------------------------


def test_soundfile_missing_gives_the_legacy_no_backend_errors(modern_python: Path, wav: Path, tmp_path: Path) -> None:
    env = clean_env(PYTHONPATH=missing(tmp_path, "soundfile"))
    result = Interpreter(modern_python).run("backend_calls", str(wav), str(tmp_path / "out.wav"), env=env)
    data = result_of(result)
    assert data["backends"] == []
    no_backend = ["RuntimeError", f"Couldn't find appropriate backend to handle uri {wav} and format None."]
    assert data["load"] == data["info"] == no_backend
    assert data["save"] == [
        "RuntimeError",
        f"Couldn't find appropriate backend to handle uri {tmp_path / 'out.wav'} and format None.",
    ]
    assert data["load(backend='soundfile')"][0] == "ValueError"
    assert data["written"] is False
    assert ours(result.stderr) == [] and "Traceback" not in result.stderr


@pytest.mark.legacy
def test_soundfile_missing_matches_legacy_torchaudio(
    modern_python: Path, legacy_python: Path, wav: Path, tmp_path: Path
) -> None:
    env = clean_env(PYTHONPATH=missing(tmp_path, "soundfile"))
    modern = Interpreter(modern_python).run("backend_calls", str(wav), str(tmp_path / "out.wav"), env=env)
    # torchaudio 2.8 would also find FFmpeg when its libraries are installed: keep it to soundfile
    legacy_env = dict(env, TORIO_USE_FFMPEG_VERSION="0")
    legacy = Interpreter(legacy_python).run(
        "backend_calls", str(wav), str(tmp_path / "out.wav"), env=legacy_env, flags=("-W", "ignore")
    )
    assert result_of(modern) == result_of(legacy)


def test_numpy_missing(modern_python: Path, wav: Path, tmp_path: Path) -> None:
    """torch runs without numpy (it warns itself); soundfile needs numpy, so there is no backend."""
    env = clean_env(PYTHONPATH=missing(tmp_path, "numpy"))
    result = Interpreter(modern_python).run("backend_calls", str(wav), str(tmp_path / "out.wav"), env=env)
    data = result_of(result)
    assert data["backends"] == []
    assert data["load"] == ["RuntimeError", f"Couldn't find appropriate backend to handle uri {wav} and format None."]
    assert data["written"] is False
    assert ours(result.stderr) == [] and "Traceback" not in result.stderr


# -- a shim that raises -----------------------------------------------------------------------


def rewrite(path: Path, text: str) -> None:
    """Replace ``path``'s content by a new file (never writing through a hard link into a cached stack)."""
    path.unlink()
    path.write_text(text)


@pytest.fixture
def broken_install(fresh_venv: Callable[..., Path], wheel: Path) -> Tuple[Path, Path]:
    """A fresh modern venv with the wheel installed, whose installed ``ta_compat._legacy_io`` raises on
    import; returns its python and its ``ta_compat`` folder. ta-compat's own modules always come from
    where they are installed, so the fault goes there."""
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "--no-deps", os.fspath(wheel))
    package = Interpreter(python).site_packages() / "ta_compat"
    rewrite(package / "_legacy_io.py", 'raise RuntimeError("fault injected: legacy_io is broken")\n')
    return python, package


@pytest.mark.parametrize("flags", [(), ("-W", "error")], ids=["default", "-W error"])
def test_a_raising_shim_is_one_warning_and_the_import_succeeds(broken_install: Tuple[Path, Path], flags: tuple) -> None:
    python, package = broken_install
    result = Interpreter(python).run("import_targets", "torchaudio", flags=flags)
    data = result_of(result)
    assert data["package"].startswith(os.fspath(package))  # the broken install was the one used
    # every family whose shim is built on legacy_io; the others (torchcodec-fallback) still apply
    on_legacy_io = {family.name for family in FAMILIES if family.module == "ta_compat._shims.torchaudio_api"}
    assert {name for name, state in data["outcomes"].items() if state == "failed"} == on_legacy_io
    assert data["patched"] is False  # upstream's load is left as it was
    messages = ours(result.stderr)
    assert len(messages) == 1, result.stderr  # one warning for all the families of the target
    assert "fault injected: legacy_io is broken" in messages[0]
    assert "Traceback" not in result.stderr


def test_a_package_that_cannot_import_its_own_dependency_is_one_warning(broken_install: Tuple[Path, Path]) -> None:
    """ImportError for another module inside ``ta_compat`` (not a missing ta_compat): reported."""
    python, package = broken_install
    dispatch = package / "_dispatch.py"
    rewrite(dispatch, dispatch.read_text() + "\nimport a_dependency_that_is_not_installed\n")
    code = "import json, torchaudio; print(json.dumps(hasattr(torchaudio, 'info')))"
    result = Interpreter(python).run_code(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "false"  # torchaudio 2.11 as it ships
    messages = ours(result.stderr)
    assert len(messages) == 1 and "a_dependency_that_is_not_installed" in messages[0], result.stderr
    assert "RuntimeWarning" in messages[0] and "Traceback" not in result.stderr


# -- read-only site-packages ------------------------------------------------------------------


def _mount_namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    return run_command(["unshare", "-m", "mount", "--bind", "-o", "ro", "/tmp", "/tmp"]).returncode == 0


def test_read_only_site_packages(fresh_venv, wheel: Path, tmp_path: Path) -> None:
    """A read-only mount (chmod does not stop root): nothing is written, shims apply, no noise."""
    if not _mount_namespaces():
        pytest.skip("no mount namespaces here (unshare -m): a read-only site-packages cannot be made for root")
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "--no-deps", str(wheel))
    site = Interpreter(python).site_packages()
    before = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    env = clean_env(unmeasured=True)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let Python try to write bytecode: it must fail silently
    read_only = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$1" "$1" && shift && exec "$@"', "sh", site]
    result = Interpreter(python).run("read_only_site", site, prefix=read_only, env=env)
    data = result_of(result)
    assert data["read_only"] is True
    assert data["patched"] is True and "failed" not in data["outcomes"].values()
    assert ours(result.stderr) == [] and "Traceback" not in result.stderr
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == before


# -- threads, processes, reload ---------------------------------------------------------------


def test_32_threads_import_torchaudio_at_once(modern_python: Path, torchaudio_families: List[str]) -> None:
    result = Interpreter(modern_python).run("import_in_threads", env=clean_env(TA_COMPAT_DEBUG="1"))
    data = result_of(result)
    assert data["errors"] == [] and data["loads"] == 32 and data["same"] and data["patched"]
    assert data["outcomes"] == {family: "applied" for family in torchaudio_families}
    assert fires(result.stderr) == {family: 1 for family in torchaudio_families}  # shims applied exactly once


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_multiprocessing_workers_see_the_shims(modern_python: Path, method: str) -> None:
    result = Interpreter(modern_python).run("mp_parent", method)
    assert result_of(result) == {"patched": True, "AudioMetaData": True, "load": "applied"}


def test_reload_of_torchaudio_reapplies_the_shims(modern_python: Path, torchaudio_families: List[str]) -> None:
    result = Interpreter(modern_python).run("reload_torchaudio", env=clean_env(TA_COMPAT_DEBUG="1"))
    data = result_of(result)
    # reload re-runs torchaudio's body, which binds the torchcodec-routed load again; the finder
    # fires again and the shim puts the legacy one back (the very same function object)
    assert data["patched"] and data["same"] and data["AudioMetaData"] and data["backends"] == ["soundfile"]
    assert data["outcomes"] == {family: "applied" for family in torchaudio_families}
    assert fires(result.stderr) == {family: 2 for family in torchaudio_families}
