"""Code written for pyannote.audio 3.x on pyannote.audio 4.0.7: ``use_auth_token=`` reaches the Hub
(the hub family), and models, ``Inference`` and a pipeline run on audio files where torchcodec is
not installed (the torchcodec-fallback family), giving what they give on a working torchcodec.

The Hub is a local server (``HF_ENDPOINT``) serving checkpoints built here with random weights;
nothing is downloaded. Every call runs in a fresh interpreter of a pyannote 4 venv with the wheel.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest

from support import SCRIPTS, Interpreter
from support.hub import COMMIT, Requests, running_hub

TOKEN = "hf_ta_compat_pyannote4_token"
MODEL_ID, OTHER_MODEL_ID = "ta-compat-org/segmentation-4", "ta-compat-org/segmentation-4-copy"
EMBEDDING_ID, PIPELINE_ID = "ta-compat-org/embedding-4", "ta-compat-org/vad-4"
#: One segmentation model per other 3.x call that takes ``use_auth_token=``, so its requests tell it apart.
CALL_MODEL_IDS = {
    "get_model": "ta-compat-org/segmentation-get-model",
    "inference": "ta-compat-org/segmentation-inference",
    "vad constructor": "ta-compat-org/segmentation-vad",
    "diarization constructor": "ta-compat-org/segmentation-diarization",
}

PIPELINE_CONFIG = f"""
pipeline:
  name: pyannote.audio.pipelines.VoiceActivityDetection
  params:
    segmentation: {MODEL_ID}
params:
  min_duration_on: 0.0
  min_duration_off: 0.0
"""


@pytest.fixture(scope="module")
def hub_files(
    pyannote4: Dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Path]]:
    """Checkpoints built by pyannote.audio 4 itself (``ta_compat._fixtures``), a pipeline using one of
    them by its Hub id, and a 10 s speech-like WAV."""
    folder = tmp_path_factory.mktemp("pyannote4-hub")
    built = pyannote4["no-torchcodec"].run_args(
        "-c",
        "import sys; from ta_compat import _fixtures as f; "
        "f.write_segmentation_checkpoint(sys.argv[1]); f.write_wespeaker_checkpoint(sys.argv[2]); "
        "f.write_speechlike_wav(sys.argv[3], seconds=10.0)",
        str(folder / "segmentation.ckpt"),
        str(folder / "embedding.bin"),
        str(folder / "speech.wav"),
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (folder / "config.yaml").write_text(PIPELINE_CONFIG)
    return {
        MODEL_ID: {"pytorch_model.bin": folder / "segmentation.ckpt"},
        OTHER_MODEL_ID: {"pytorch_model.bin": folder / "segmentation.ckpt"},
        **{repo: {"pytorch_model.bin": folder / "segmentation.ckpt"} for repo in CALL_MODEL_IDS.values()},
        EMBEDDING_ID: {"pytorch_model.bin": folder / "embedding.bin"},
        PIPELINE_ID: {"config.yaml": folder / "config.yaml"},
        "wav": {"speech.wav": folder / "speech.wav"},
    }


@pytest.fixture
def hub(hub_files: Dict[str, Dict[str, Path]]) -> Iterator[Tuple[str, Requests]]:
    """A local server answering the Hub's resolve requests; yields its URL and the requests seen."""
    with running_hub(hub_files) as served:
        yield served


def run(stack: Interpreter, endpoint: str, files: Dict[str, Dict[str, Path]], tmp: Path, **env: str) -> Dict[str, Any]:
    process = stack.run_args(
        str(SCRIPTS / "codec_hub.py"),
        TOKEN,
        MODEL_ID,
        OTHER_MODEL_ID,
        EMBEDDING_ID,
        PIPELINE_ID,
        str(files["wav"]["speech.wav"]),
        *CALL_MODEL_IDS.values(),
        HF_ENDPOINT=endpoint,
        HF_HOME=os.fspath(tmp / "hf-home"),  # no stored token, an empty cache
        HF_HUB_DISABLE_TELEMETRY="1",
        PYANNOTE_METRICS_ENABLED="0",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        **env,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    result: Dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def authorizations(requests: Requests, repo: str, name: str) -> List[str]:
    return [auth for method, path, auth in requests if path.startswith(f"/{repo}/") and path.endswith(f"/{name}")]


def test_use_auth_token_reaches_the_hub_and_audio_is_read_without_torchcodec(
    pyannote4: Dict[str, Interpreter], hub: Tuple[str, Requests], hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    endpoint, requests = hub
    data = run(pyannote4["no-torchcodec"], endpoint, hub_files, tmp_path)
    assert data["model"] == data["model without token"] == ["ok", "PyanNet"]
    # Model.from_pretrained(use_auth_token=TOKEN) sent it; use_auth_token=None sent none.
    assert set(authorizations(requests, MODEL_ID, "pytorch_model.bin")) == {f"Bearer {TOKEN}", ""}
    assert set(authorizations(requests, EMBEDDING_ID, "pytorch_model.bin")) == {f"Bearer {TOKEN}"}
    assert set(authorizations(requests, PIPELINE_ID, "config.yaml")) == {f"Bearer {TOKEN}"}
    assert data["both"] == [
        "error",
        "TypeError",
        "Model.from_pretrained() got both use_auth_token= (the pyannote.audio 3.x name) and token=: "
        "pass the token once, as token=",
    ]
    whole, crop = data["embeddings"][1]
    assert len(whole) == len(crop) == 256
    name, shape, _, uri, _ = data["voice activity"][1]
    assert name == "VoiceActivityDetection" and uri == "speech"
    assert shape[0] >= 589 and shape[1] == 1  # the whole 10 s (589 frames a 10 s chunk), max over speakers
    assert (tmp_path / "hf-home" / "hub" / ("models--" + MODEL_ID.replace("/", "--")) / "snapshots" / COMMIT).is_dir()


def test_use_auth_token_is_passed_on_as_token_by_every_call_pyannote_3_took_it_in(
    pyannote4: Dict[str, Interpreter], hub: Tuple[str, Requests], hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    """get_model, Inference("org/model", ...) and the pipeline constructors, as pyannote 3.x took them."""
    endpoint, requests = hub
    data = run(pyannote4["no-torchcodec"], endpoint, hub_files, tmp_path)
    assert data["get_model"] == data["vad constructor"] == ["ok", "PyanNet"]
    # SpeakerDiarization loads its segmentation (with the token), then fails on plda=None: no PLDA here.
    assert "PLDA" in data["diarization constructor"][2] and "use_auth_token" not in data["diarization constructor"][2]
    assert data["inference"][0] == "ok" and len(data["inference"][1]) == 3  # (chunks, frames, classes)
    for call, repo in CALL_MODEL_IDS.items():
        assert set(authorizations(requests, repo, "pytorch_model.bin")) == {f"Bearer {TOKEN}"}, call


def test_without_the_hub_family_pyannote_4_rejects_the_other_calls_or_drops_their_token(
    pyannote4: Dict[str, Interpreter], hub: Tuple[str, Requests], hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    endpoint, requests = hub
    data = run(pyannote4["no-torchcodec"], endpoint, hub_files, tmp_path, TA_COMPAT_DISABLE="hub")
    for call in ("get_model", "inference", "diarization constructor"):
        assert data[call][:2] == ["error", "TypeError"] and "use_auth_token" in data[call][2], (call, data[call])
    # VoiceActivityDetection hands it to Inference through **inference_kwargs: rejected or lost, never sent.
    assert set(authorizations(requests, CALL_MODEL_IDS["vad constructor"], "pytorch_model.bin")) <= {""}


def test_without_the_hub_family_pyannote_4_rejects_or_drops_the_token(
    pyannote4: Dict[str, Interpreter], hub: Tuple[str, Requests], hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    endpoint, requests = hub
    data = run(pyannote4["no-torchcodec"], endpoint, hub_files, tmp_path, TA_COMPAT_DISABLE="hub")
    # Model.from_pretrained takes it through **kwargs and lightning drops it: no token was sent.
    assert data["model"] == data["both"] == ["ok", "PyanNet"]
    assert set(authorizations(requests, MODEL_ID, "pytorch_model.bin")) == {""}
    assert set(authorizations(requests, OTHER_MODEL_ID, "pytorch_model.bin")) == {f"Bearer {TOKEN}"}  # token=
    assert data["voice activity"] == [
        "error",
        "TypeError",
        "Pipeline.from_pretrained() got an unexpected keyword argument 'use_auth_token'",
    ]


def test_models_and_pipelines_give_what_they_give_on_torchcodec(
    pyannote4: Dict[str, Interpreter], hub: Tuple[str, Requests], hub_files: Dict[str, Dict[str, Path]], tmp_path: Path
) -> None:
    """On a 16-bit WAV both decoders give the same samples, so the models give the same outputs."""
    endpoint, _ = hub
    theirs = run(pyannote4["torchcodec"], endpoint, hub_files, tmp_path / "torchcodec")
    ours = run(pyannote4["no-torchcodec"], endpoint, hub_files, tmp_path / "soundfile")
    for call in ("embeddings", "voice activity"):
        assert theirs[call][0] == ours[call][0] == "ok", (theirs[call], ours[call])
    assert np.array_equal(np.array(theirs["embeddings"][1]), np.array(ours["embeddings"][1]))
    assert theirs["voice activity"][1][:2] == ours["voice activity"][1][:2]
    assert np.array_equal(np.array(theirs["voice activity"][1][2]), np.array(ours["voice activity"][1][2]))
    assert theirs["voice activity"][1][3:] == ours["voice activity"][1][3:]
