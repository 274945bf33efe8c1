"""Installed into the modern stack, unmodified pyannote 3.x code runs; with
``TA_COMPAT_DISABLE=1`` the original errors come back; on the legacy stack nothing changes.

Every check runs in a fresh interpreter of a venv with the wheel installed, and the code under
test never imports ta_compat: the shims must come from ``compat_autoload.pth``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import Interpreter, clean_env, result_of
from support.startup import HEAVY, IMPORTED_BY_NAMESPACE_PTH

DISABLED = clean_env(TA_COMPAT_DISABLE="1")


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory, modern_python: Path) -> dict:
    """A generated WAV and FLAC, and a WeSpeaker checkpoint built from pyannote's own class."""
    folder = tmp_path_factory.mktemp("assets")
    result = Interpreter(modern_python).run("make_audio_assets", str(folder))
    assert result.returncode == 0, result.stderr
    return {"wav": folder / "speech.wav", "flac": folder / "speech.flac", "checkpoint": folder / "pytorch_model.bin"}


def test_bare_start_imports_nothing_heavy(modern_python: Path) -> None:
    state = result_of(Interpreter(modern_python).run("startup_modules", env=clean_env(unmeasured=True)))
    assert "_ta_compat_bootstrap" in state["modules"]
    # the stack's namespace-package .pth files import the others themselves: see the next test
    assert not (set(HEAVY) - IMPORTED_BY_NAMESPACE_PTH) & set(state["modules"])
    assert state["finders"].count("_ta_compat_bootstrap") == 1  # despite the venv running .pth twice


def test_bare_start_adds_only_the_bootstrap_module(modern_python: Path) -> None:
    enabled = set(
        result_of(Interpreter(modern_python).run("startup_modules", env=clean_env(unmeasured=True)))["modules"]
    )
    # The same interpreter with our .pth line turned into a no-op: disabled still imports the
    # bootstrap, so compare against -S plus the site work done by hand without our file.
    without = Interpreter(modern_python).run("startup_without_our_pth", flags=("-S",), env=clean_env(unmeasured=True))
    baseline = set(result_of(without)["modules"])
    assert enabled - baseline == {"_ta_compat_bootstrap"}


def test_pyannote_imports(modern_python: Path) -> None:
    result = Interpreter(modern_python).run_code("from pyannote.audio import Inference, Model; print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_disabled_reproduces_the_original_import_error(modern_python: Path) -> None:
    result = Interpreter(modern_python).run_code("from pyannote.audio import Inference, Model", env=DISABLED)
    assert result.returncode != 0
    assert "AttributeError: module 'torchaudio' has no attribute 'AudioMetaData'" in result.stderr


@pytest.mark.parametrize("name", ["list_audio_backends", "info", "get_audio_backend", "set_audio_backend"])
def test_disabled_legacy_names_are_missing(modern_python: Path, name: str) -> None:
    result = Interpreter(modern_python).run_code(f"import torchaudio; torchaudio.{name}", env=DISABLED)
    assert f"AttributeError: module 'torchaudio' has no attribute '{name}'" in result.stderr


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_load_reads_without_torchcodec(modern_python: Path, assets: dict, kind: str) -> None:
    result = Interpreter(modern_python).run("load_without_torchcodec", str(assets[kind]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["32000", "16000", "FLAC" if kind == "flac" else "PCM_S"]


def test_disabled_load_needs_torchcodec(modern_python: Path, assets: dict) -> None:
    result = Interpreter(modern_python).run_code(
        "import sys, torchaudio; torchaudio.load(sys.argv[1])", str(assets["wav"]), env=DISABLED
    )
    assert "ImportError: TorchCodec is required for load_with_torchcodec" in result.stderr


def test_checkpoint_loads_and_inference_runs(modern_python: Path, assets: dict) -> None:
    result = Interpreter(modern_python).run("embedding_inference", str(assets["checkpoint"]), str(assets["wav"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "WeSpeakerResNet34 (256,)"


def test_checkpoint_family_disabled_reproduces_unsupported_global(modern_python: Path, assets: dict) -> None:
    env = clean_env(TA_COMPAT_DISABLE="checkpoints")
    result = Interpreter(modern_python).run(
        "embedding_inference", str(assets["checkpoint"]), str(assets["wav"]), env=env
    )
    assert result.returncode != 0
    assert "Unsupported global: GLOBAL torch.torch_version.TorchVersion" in result.stderr


def test_disabled_plain_torch_load_still_refuses(modern_python: Path, assets: dict) -> None:
    result = Interpreter(modern_python).run_code(
        "import sys, torch; torch.load(sys.argv[1])", str(assets["checkpoint"]), env=DISABLED
    )
    assert "Unsupported global: GLOBAL torch.torch_version.TorchVersion" in result.stderr


def test_explicit_install_without_site(modern_python: Path, assets: dict) -> None:
    """``python -S`` runs no .pth: ``ta_compat.install()`` applies the same shims by hand."""
    paths = (
        Interpreter(modern_python).run_code("import sys; print('\\n'.join(p for p in sys.path if p))").stdout.split()
    )
    result = Interpreter(modern_python).run("install_without_site", str(assets["wav"]), *paths, flags=("-S",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "32000"


def test_legacy_stack_is_left_alone(legacy_python: Path) -> None:
    """torchaudio 2.8 still has the legacy API: the same objects with and without ta-compat."""
    shimmed = Interpreter(legacy_python).run("legacy_api_objects")
    plain = Interpreter(legacy_python).run("legacy_api_objects", env=DISABLED)
    assert shimmed.returncode == plain.returncode == 0, shimmed.stderr + plain.stderr
    assert shimmed.stdout == plain.stdout
    assert result_of(shimmed)["objects"]["load"][0] == "torchaudio._backend.utils"
    status = Interpreter(legacy_python).run_code("from ta_compat._cli import main; main(['status', '--json'])")
    states = {row["family"]: row["state"] for row in json.loads(status.stdout)["families"]}
    assert {states[name] for name in ("audiometadata", "backends", "info", "load", "save", "backend-module")} == {
        "not needed"
    }
