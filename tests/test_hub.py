"""pyannote 3.x passes ``use_auth_token=`` to ``hf_hub_download``, which
huggingface_hub >= 1.0 removed. With the ``hub`` family, Hub ids resolve from the cache (offline)
and from the Hub (here a local server speaking the Hub's resolve protocol, via ``HF_ENDPOINT``) on
huggingface_hub 2.x; on 0.x nothing is patched.

Every check runs in a fresh interpreter of a venv with the wheel installed; the code under test
never imports ta_compat (only the fixture builders do).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from support import SCRIPTS, Interpreter, clean_env, result_of
from support.hub import COMMIT, Requests, hub_environment, running_hub

COMMIT = COMMIT
TOKEN = "hf_ta_compat_test_token"

#: The Hub ids pyannote resolves, each is only known to the populated cache / the local server.
MODEL_ID, PIPELINE_ID = "ta-compat-org/segmentation", "ta-compat-org/vad"

#: A voice activity detection pipeline whose segmentation model is ``MODEL_ID``.
PIPELINE_CONFIG = SCRIPTS / "vad_pipeline.yaml"


def test_the_hub_family_applies_to_both_pyannote_modules() -> None:
    """pyannote calls hf_hub_download from its model module and from its pipeline module."""
    from ta_compat._families import by_target

    assert [family.name for family in by_target("pyannote.audio.core.pipeline")] == ["hub"]
    assert "hub" in [family.name for family in by_target("pyannote.audio.core.model")]


@pytest.fixture(scope="module")
def hub_files(pyannote_checkpoints: Dict[str, Path]) -> Dict[str, Dict[str, Path]]:
    """{repo id: {file name: local file}}: the segmentation checkpoint and a pipeline using it by id."""
    assert f"segmentation: {MODEL_ID}\n" in PIPELINE_CONFIG.read_text()
    return {
        MODEL_ID: {"pytorch_model.bin": pyannote_checkpoints["segmentation"]},
        PIPELINE_ID: {"config.yaml": PIPELINE_CONFIG},
    }


def populated_cache(python: Path, cache: Path, files: Dict[str, Dict[str, Path]]) -> None:
    """The Hub cache layout (blobs, refs/main, snapshots/<commit>), written by ``ta_compat._fixtures``."""
    spec = json.dumps(
        {repo: {name: os.fspath(path) for name, path in entries.items()} for repo, entries in files.items()}
    )
    result = Interpreter(python).run("populate_hub_cache", os.fspath(cache), spec, COMMIT)
    assert result.returncode == 0, result.stderr


def from_pretrained(python: Path, env: Dict[str, str]) -> Dict[str, Any]:
    """What ``hub_from_pretrained`` reports for the test's Hub ids and token."""
    return result_of(Interpreter(python).run("hub_from_pretrained", TOKEN, MODEL_ID, PIPELINE_ID, env=env))


def offline_env(tmp_path: Path, **extra: str) -> Dict[str, str]:
    return clean_env(
        HF_HUB_OFFLINE="1",
        HF_HOME=os.fspath(tmp_path / "hf-home"),  # no stored token, no stray cache
        PYANNOTE_CACHE=os.fspath(tmp_path / "pyannote-cache"),
        **extra,
    )


@pytest.fixture(scope="module")
def offline(
    modern_python: Path, hub_files: Dict[str, Dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Any]:
    """``hub_from_pretrained`` offline from a populated pyannote cache: with the hub family, and with it off."""
    tmp = tmp_path_factory.mktemp("offline")
    populated_cache(modern_python, tmp / "pyannote-cache", hub_files)
    on = from_pretrained(modern_python, offline_env(tmp))
    off = from_pretrained(
        modern_python,
        offline_env(tmp, TA_COMPAT_DISABLE="hub"),
    )
    return {"on": on, "off": off}


@pytest.mark.parametrize("call", ["model", "model_token", "inference", "pipeline"])
def test_offline_hub_ids_resolve_from_the_cache_on_hub_2(offline: Dict[str, Any], call: str) -> None:
    data = offline["on"]
    assert data["hub"].split(".")[0] == "2"
    assert "error" not in data[call], data[call]
    expected = {"model": "PyanNet", "model_token": "PyanNet", "pipeline": True}
    if call in expected:
        assert data[call]["ok"] == expected[call]
    else:
        assert data[call]["ok"][0] == 3 and data[call]["ok"][2] == 3  # 10 s chunks every 1 s over 12 s; 3 speakers
    assert data["unpatched"] == {"pyannote.audio.core.model": False, "pyannote.audio.core.pipeline": False}
    assert data["state"]["hub"][0] == "applied"


@pytest.mark.parametrize("call", ["model", "model_token", "inference", "pipeline"])
def test_offline_hub_ids_fail_without_the_hub_family(offline: Dict[str, Any], call: str) -> None:
    error = offline["off"][call].get("error", "")
    assert error == "TypeError: hf_hub_download() got an unexpected keyword argument 'use_auth_token'", offline["off"][
        call
    ]
    assert offline["off"]["state"]["hub"][0] == "disabled"


# --- online: a local server answering the Hub's resolve requests -------------------------------


@pytest.fixture
def fake_hub(hub_files: Dict[str, Dict[str, Path]]) -> Iterator[Tuple[str, Requests]]:
    with running_hub(hub_files) as served:
        yield served


def test_online_downloads_pass_the_token_on_hub_2(modern_python: Path, fake_hub: Any, tmp_path: Path) -> None:
    endpoint, requests = fake_hub
    env = hub_environment(
        endpoint, HF_HOME=os.fspath(tmp_path / "hf-home"), PYANNOTE_CACHE=os.fspath(tmp_path / "pyannote-cache")
    )
    data = from_pretrained(modern_python, env)
    for call in ("model", "model_token", "inference", "pipeline"):
        assert "error" not in data[call], (call, data[call])
    weights = [auth for method, path, auth in requests if path.endswith("/pytorch_model.bin")]
    # use_auth_token=None: no credential; use_auth_token=TOKEN: sent as the Bearer token
    assert "" in weights and f"Bearer {TOKEN}" in weights
    config = [
        auth for method, path, auth in requests if path.startswith(f"/{PIPELINE_ID}/") and path.endswith("/config.yaml")
    ]
    assert config and set(config) == {f"Bearer {TOKEN}"}
    assert (tmp_path / "pyannote-cache" / ("models--" + MODEL_ID.replace("/", "--")) / "snapshots" / COMMIT).is_dir()


# --- huggingface_hub 0.x: nothing is patched ----------------------------------------------------


def test_nothing_is_patched_on_hub_0(
    fresh_venv: Any, wheel: Path, hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "huggingface_hub<1.0", os.fspath(wheel))
    populated_cache(python, tmp_path / "pyannote-cache", hub_files)
    data = from_pretrained(python, offline_env(tmp_path))
    assert data["hub"].split(".")[0] == "0"
    assert data["unpatched"] == {"pyannote.audio.core.model": True, "pyannote.audio.core.pipeline": True}
    assert data["state"]["hub"] == ["not needed", []]
    for call in ("model", "model_token", "inference", "pipeline"):
        assert "error" not in data[call], (call, data[call])  # 0.x takes use_auth_token itself
