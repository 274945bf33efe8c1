"""speechbrain 1.0.3 and 1.1 on huggingface_hub 2.x, and pyannote.audio 3.x's speechbrain embedding.

A tiny ``EncoderClassifier`` repo (``ta_compat._fixtures.write_speechbrain_repo``) is served by a
local Hub on 127.0.0.1 (``HF_ENDPOINT``), with and without the optional ``custom.py``, and resolved
offline from a populated cache. speechbrain 1.0.3 lives in a hard-link copy of the modern stack
(``speechbrain10``); the modern stack itself has speechbrain 1.1. Every check runs in a fresh
interpreter of a venv with the wheel installed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of
from support.hub import COMMIT, hub_environment, running_hub

TOKEN = "hf_ta_compat_speechbrain_token"
#: speechbrain's own Hub ids look like this; pyannote picks its speechbrain loader by the name.
REPO_ID = "speechbrain-test/ecapa-tiny"
CUSTOM_REPO_ID = "speechbrain-test/ecapa-tiny-custom"
TYPE_ERROR_1_0 = "TypeError: hf_hub_download() got an unexpected keyword argument 'use_auth_token'"
TYPE_ERROR_1_1 = "TypeError: Pretrained.__init__() got an unexpected keyword argument 'use_auth_token'"


@pytest.fixture(scope="module")
def repo_files(modern_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Path]]:
    """{repo id: {file name: local file}}: the tiny model, and the same with a ``custom.py``."""
    folder = tmp_path_factory.mktemp("speechbrain-repo")
    made = Interpreter(modern_python).run_code(
        "import sys; from ta_compat._fixtures import write_speechbrain_repo; write_speechbrain_repo(sys.argv[1])",
        os.fspath(folder / "model"),
    )
    assert made.returncode == 0, made.stderr
    custom = folder / "custom.py"
    custom.write_text('"""A model repo\'s own interface module, fetched beside its hyperparams."""\n')
    model = {path.name: path for path in (folder / "model").iterdir()}
    return {REPO_ID: model, CUSTOM_REPO_ID: {**model, "custom.py": custom}}


def fetch_report(python: Path, repo: str, env: Dict[str, str], tmp_path: Path) -> Dict[str, Any]:
    """What ``speechbrain_fetch`` reports for ``repo``, pyannote's cache and speechbrain's savedir in ``tmp_path``."""
    env = {**env, "HF_HOME": os.fspath(tmp_path / "hf-home"), "PYANNOTE_CACHE": os.fspath(tmp_path / "pyannote")}
    return result_of(Interpreter(python).run("speechbrain_fetch", repo, os.fspath(tmp_path / "saved"), TOKEN, env=env))


@pytest.fixture(params=["1.0.3", "1.1"])
def speechbrain_python(request: pytest.FixtureRequest, modern_python: Path) -> Path:
    """The interpreter of a venv with that speechbrain (and pyannote.audio 3.4.0, the wheel)."""
    return Path(request.getfixturevalue("speechbrain10")) if request.param == "1.0.3" else modern_python


# --- online: the local Hub ---------------------------------------------------------------------


@pytest.mark.parametrize("repo", [REPO_ID, CUSTOM_REPO_ID], ids=["without-custom.py", "with-custom.py"])
def test_from_hparams_of_a_hub_id_loads_and_sends_the_token(
    speechbrain_python: Path, repo_files: Dict[str, Dict[str, Path]], repo: str, tmp_path: Path
) -> None:
    with running_hub(repo_files) as (endpoint, requests):
        data = fetch_report(speechbrain_python, repo, hub_environment(endpoint), tmp_path)
    assert data["hub"].split(".")[0] == "2"
    assert data["from_hparams"] == {"ok": [1, 1, 12]}, data
    assert data["pyannote"] == {"ok": 12}, data
    # speechbrain 1.0 skips an absent custom.py (and fetches a present one); 1.1 never asks for it
    asked_custom = any(path.endswith("/custom.py") for _, path, _ in requests)
    assert data["custom_fetched"] == (repo == CUSTOM_REPO_ID and data["speechbrain"].startswith("1.0"))
    assert asked_custom == data["speechbrain"].startswith("1.0")
    weights = {auth for _, path, auth in requests if path.endswith("/embedding_model.ckpt")}
    assert weights == {f"Bearer {TOKEN}"}  # from_hparams' token and pyannote's use_auth_token alike
    # a file the repo lacks: speechbrain's own "not found" error, as on huggingface_hub 0.x
    assert data["missing"] == {"error": "ValueError: File not found on HF hub"}
    assert data["state"]["speechbrain"][0] == "applied"
    assert data["hub_is_the_module"] is False


def test_speechbrain_1_0_fails_on_the_hub_keyword_without_the_family(
    speechbrain10: Path, repo_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    with running_hub(repo_files) as (endpoint, _):
        data = fetch_report(
            speechbrain10, REPO_ID, hub_environment(endpoint, TA_COMPAT_DISABLE="speechbrain"), tmp_path
        )
    assert data["from_hparams"] == {"error": TYPE_ERROR_1_0}
    assert data["pyannote"] == {"error": TYPE_ERROR_1_0}
    assert data["missing"]["error"].startswith("TypeError: hf_hub_download()")
    assert data["state"]["speechbrain"][0] == "disabled"
    assert data["hub_is_the_module"] is True


def test_speechbrain_1_1_under_pyannote_and_on_missing_files_fails_without_the_family(
    modern_python: Path, repo_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    with running_hub(repo_files) as (endpoint, _):
        data = fetch_report(
            modern_python, REPO_ID, hub_environment(endpoint, TA_COMPAT_DISABLE="speechbrain"), tmp_path
        )
    assert data["from_hparams"] == {"ok": [1, 1, 12]}  # 1.1's own call works on hub 2.x
    assert data["pyannote"] == {"error": TYPE_ERROR_1_1}
    assert data["missing"]["error"].startswith("RemoteEntryNotFoundError: 404 Client Error.")


def test_nothing_is_patched_on_hub_0(
    fresh_venv: Any, wheel: Path, repo_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    """speechbrain 1.0.3 was written for huggingface_hub 0.x: there it works as it is."""
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "--no-deps", "speechbrain==1.0.3", "huggingface_hub<1.0", os.fspath(wheel))
    with running_hub(repo_files) as (endpoint, _):
        data = fetch_report(python, REPO_ID, hub_environment(endpoint), tmp_path)
    assert data["hub"].split(".")[0] == "0"
    assert data["state"]["speechbrain"] == ["not needed", []]
    assert data["hub_is_the_module"] is True
    assert data["from_hparams"] == {"ok": [1, 1, 12]}, data
    assert data["missing"] == {"error": "ValueError: File not found on HF hub"}


# --- offline: a populated Hub cache --------------------------------------------------------------


def offline_env(python: Path, files: Dict[str, Dict[str, Path]], tmp_path: Path, **extra: str) -> Dict[str, str]:
    """``HF_HUB_OFFLINE=1`` with ``files`` in the Hub cache (``HF_HUB_CACHE``)."""
    cache = tmp_path / "hub-cache"
    spec = json.dumps(
        {repo: {name: os.fspath(path) for name, path in entries.items()} for repo, entries in files.items()}
    )
    populated = Interpreter(python).run("populate_hub_cache", os.fspath(cache), spec, COMMIT)
    assert populated.returncode == 0, populated.stderr
    return clean_env(HF_HUB_OFFLINE="1", HF_HUB_CACHE=os.fspath(cache), **extra)


def test_offline_from_hparams_skips_the_absent_custom_py(
    speechbrain_python: Path, repo_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    data = fetch_report(speechbrain_python, REPO_ID, offline_env(speechbrain_python, repo_files, tmp_path), tmp_path)
    assert data["from_hparams"] == {"ok": [1, 1, 12]}, data
    assert data["pyannote"] == {"ok": 12}, data
    assert data["missing"]["error"].startswith("LocalEntryNotFoundError: "), data  # 0.x's: re-raised by speechbrain


def test_offline_speechbrain_1_0_fails_without_the_family(
    speechbrain10: Path, repo_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    env = offline_env(speechbrain10, repo_files, tmp_path, TA_COMPAT_DISABLE="speechbrain")
    assert fetch_report(speechbrain10, REPO_ID, env, tmp_path)["from_hparams"] == {"error": TYPE_ERROR_1_0}


# --- the doctor --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("venv", "upstream_error"),
    [("speechbrain10", TYPE_ERROR_1_0), ("modern_python", "LocalEntryNotFoundError: ")],
    ids=["1.0.3", "1.1"],
)
def test_the_doctor_probe_passes_with_the_family_and_fails_without(
    request: pytest.FixtureRequest, modern_python: Path, venv: str, upstream_error: str
) -> None:
    python = Path(request.getfixturevalue(venv))
    code = "import json; from ta_compat._probes import run; print(json.dumps(run(['speechbrain'])))"
    on = Interpreter(python).run_code(code, env=clean_env(HF_HUB_OFFLINE="1"))
    off = Interpreter(python).run_code(code, env=clean_env(HF_HUB_OFFLINE="1", TA_COMPAT_DISABLE="speechbrain"))
    assert json.loads(on.stdout.splitlines()[-1]) == {"speechbrain": None}, on.stderr[-3000:]
    failure = json.loads(off.stdout.splitlines()[-1])["speechbrain"]
    assert failure.startswith(upstream_error), failure
