"""Issue 4, the hub half: pyannote 3.x passes ``use_auth_token=`` to ``hf_hub_download``, which
huggingface_hub >= 1.0 removed. With the ``hub`` family, Hub ids resolve from the cache (offline)
and from the Hub (here a local server speaking the Hub's resolve protocol, via ``HF_ENDPOINT``) on
huggingface_hub 2.x; on 0.x nothing is patched.

Every check runs in a fresh interpreter of a venv with the wheel installed; the code under test
never imports ta_compat (only the fixture builders do).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List, Tuple

import pytest

from conftest import clean_env, pip, run_python

COMMIT = "1234567890abcdef1234567890abcdef12345678"
TOKEN = "hf_ta_compat_test_token"

#: The Hub ids pyannote resolves, each is only known to the populated cache / the local server.
MODEL_ID, PIPELINE_ID = "ta-compat-org/segmentation", "ta-compat-org/vad"

PIPELINE_CONFIG = f"""
pipeline:
  name: pyannote.audio.pipelines.VoiceActivityDetection
  params:
    segmentation: {MODEL_ID}
params:
  min_duration_on: 0.0
  min_duration_off: 0.0
"""


def test_the_hub_family_applies_to_both_pyannote_modules() -> None:
    """pyannote calls hf_hub_download from its model module and from its pipeline module."""
    from ta_compat.families import by_target

    assert [family.name for family in by_target("pyannote.audio.core.pipeline")] == ["hub"]
    assert "hub" in [family.name for family in by_target("pyannote.audio.core.model")]


def result_of(process: Any) -> Dict[str, Any]:
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    return json.loads(lines[-1][len("RESULT ") :])


# Model.from_pretrained and Pipeline.from_pretrained of Hub ids (the cache dir is pyannote's own,
# PYANNOTE_CACHE, which it passes to hf_hub_download), with and without a token.
SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import torch
token, MODEL, PIPELINE = sys.argv[1:4]
from pyannote.audio import Inference, Model, Pipeline
from pyannote.core import Annotation
import huggingface_hub
import pyannote.audio.core.model as model_module
import pyannote.audio.core.pipeline as pipeline_module

def attempt(call):
    try:
        return {"ok": call()}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}

wave = {"waveform": torch.randn(1, 16000 * 12) * 0.1, "sample_rate": 16000}
out = {
    "hub": huggingface_hub.__version__,
    "model": attempt(lambda: type(Model.from_pretrained(MODEL, use_auth_token=None)).__name__),
    "model_token": attempt(lambda: type(Model.from_pretrained(MODEL + "@main", use_auth_token=token)).__name__),
    "inference": attempt(lambda: list(Inference(MODEL, use_auth_token=token)(wave).data.shape)),
    "pipeline": attempt(lambda: isinstance(Pipeline.from_pretrained(PIPELINE, use_auth_token=token)(wave), Annotation)),
    "unpatched": {
        module.__name__: module.hf_hub_download is huggingface_hub.hf_hub_download
        for module in (model_module, pipeline_module)
    },
}
outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
out["state"] = {name: [o.state, o.patched] for name, o in outcomes.items() if name == "hub"}
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def hub_files(
    tmp_path_factory: pytest.TempPathFactory, pyannote_checkpoints: Dict[str, Path]
) -> Dict[str, Dict[str, Path]]:
    """{repo id: {file name: local file}}: the segmentation checkpoint and a pipeline using it by id."""
    folder = tmp_path_factory.mktemp("hub-files")
    config = folder / "config.yaml"
    config.write_text(PIPELINE_CONFIG)
    return {MODEL_ID: {"pytorch_model.bin": pyannote_checkpoints["segmentation"]}, PIPELINE_ID: {"config.yaml": config}}


def populated_cache(python: Path, cache: Path, files: Dict[str, Dict[str, Path]]) -> None:
    """The Hub cache layout (blobs, refs/main, snapshots/<commit>), written by ``ta_compat.fixtures``."""
    spec = json.dumps(
        {repo: {name: os.fspath(path) for name, path in entries.items()} for repo, entries in files.items()}
    )
    result = run_python(
        python,
        """
        import json, sys
        from ta_compat.fixtures import populate_hf_cache
        for repo, entries in json.loads(sys.argv[2]).items():
            populate_hf_cache(sys.argv[1], repo, entries, commit=sys.argv[3])
        """,
        os.fspath(cache),
        spec,
        COMMIT,
    )
    assert result.returncode == 0, result.stderr


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
    """SCRIPT offline from a populated pyannote cache: with the hub family, and with it off."""
    tmp = tmp_path_factory.mktemp("offline")
    populated_cache(modern_python, tmp / "pyannote-cache", hub_files)
    on = result_of(run_python(modern_python, SCRIPT, TOKEN, MODEL_ID, PIPELINE_ID, env=offline_env(tmp)))
    off = result_of(
        run_python(modern_python, SCRIPT, TOKEN, MODEL_ID, PIPELINE_ID, env=offline_env(tmp, TA_COMPAT_DISABLE="hub"))
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


class FakeHub(BaseHTTPRequestHandler):
    """``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` as huggingface.co answers them (commit,
    etag and size headers), from ``files``; records each request's Authorization header."""

    files: ClassVar[Dict[str, Dict[str, Path]]] = {}
    requests: ClassVar[List[Tuple[str, str, str]]] = []

    def _answer(self, body: bool) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if len(parts) >= 5 and parts[2] == "resolve":
            repo, name = "/".join(parts[:2]), "/".join(parts[4:])
            source = self.files.get(repo, {}).get(name)
            if source is not None:
                data = Path(source).read_bytes()
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
        self.send_response(404)
        self.send_header("X-Error-Code", "EntryNotFound")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_hub(hub_files: Dict[str, Dict[str, Path]]) -> Iterator[Tuple[str, List[Tuple[str, str, str]]]]:
    requests: List[Tuple[str, str, str]] = []
    handler = type("Handler", (FakeHub,), {"files": hub_files, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_online_downloads_pass_the_token_on_hub_2(modern_python: Path, fake_hub: Any, tmp_path: Path) -> None:
    endpoint, requests = fake_hub
    env = clean_env(
        HF_ENDPOINT=endpoint,
        HF_HOME=os.fspath(tmp_path / "hf-home"),
        PYANNOTE_CACHE=os.fspath(tmp_path / "pyannote-cache"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    data = result_of(run_python(modern_python, SCRIPT, TOKEN, MODEL_ID, PIPELINE_ID, env=env))
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
    pip(python, "install", "-q", "huggingface_hub<1.0", os.fspath(wheel))
    populated_cache(python, tmp_path / "pyannote-cache", hub_files)
    data = result_of(run_python(python, SCRIPT, TOKEN, MODEL_ID, PIPELINE_ID, env=offline_env(tmp_path)))
    assert data["hub"].split(".")[0] == "0"
    assert data["unpatched"] == {"pyannote.audio.core.model": True, "pyannote.audio.core.pipeline": True}
    assert data["state"]["hub"] == ["not needed", []]
    for call in ("model", "model_token", "inference", "pipeline"):
        assert "error" not in data[call], (call, data[call])  # 0.x takes use_auth_token itself
