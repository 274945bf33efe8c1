"""pyannote checkpoints of every era load through ``Model.from_pretrained`` and
``Pipeline.from_pretrained`` on torch >= 2.6 with ``weights_only`` on, and nothing unsafe is allowed.

Each check runs a script of ``tests/scripts`` in a fresh interpreter of the modern stack (torch
2.14, lightning 2.6.6, pyannote 3.4.0) with the wheel installed; the shims come from its ``.pth``.
The user code under test never imports ta_compat (only the fixture builders do). Checkpoints are
built from pyannote's own classes with random weights (``pyannote_checkpoints`` in conftest): a
WeSpeaker conversion, a powerset PyanNet written by ``Trainer.save_checkpoint`` and a pre-3.0
hydra-trained one. Lightning's own loading is tested in ``test_checkpoints_lightning``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of
from support.checkpoints import PAYLOAD_NAMES

KINDS = ("wespeaker", "segmentation", "hydra")

#: The first "Unsupported global" of each kind without the shim.
FIRST_GLOBAL = {
    "wespeaker": "torch.torch_version.TorchVersion",
    "segmentation": "torch.torch_version.TorchVersion",
    "hydra": "omegaconf.listconfig.ListConfig",
}

#: The pyannote names, allowed for the whole process once pyannote's model module is imported.
PROCESS_WIDE = {
    "torch.torch_version.TorchVersion",
    "pyannote.audio.core.task.Specifications",
    "pyannote.audio.core.task.Problem",
    "pyannote.audio.core.task.Resolution",
    "pyannote.audio.core.model.Introspection",
}

#: The generic names of hydra-era checkpoints, allowed only while pyannote loads one.
SCOPED = {
    "omegaconf.listconfig.ListConfig",
    "omegaconf.base.ContainerMetadata",
    "omegaconf.base.Metadata",
    "omegaconf.nodes.AnyNode",
    "typing.Any",
    "builtins.list",
    "builtins.dict",
    "builtins.int",
    "collections.defaultdict",
}


def run_load_script(python: Path, checkpoints: Dict[str, Path], folder: Path, **env: str) -> Dict[str, Any]:
    folder.mkdir()
    paths = json.dumps({kind: os.fspath(checkpoints[kind]) for kind in KINDS})
    return result_of(Interpreter(python).run("ckpt_load", paths, os.fspath(folder), env=clean_env(**env)))


@pytest.fixture(scope="module")
def loads(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """ckpt_load.py with every shim on, and with only the checkpoint family off."""
    folder = tmp_path_factory.mktemp("loads")
    return {
        "on": run_load_script(modern_python, pyannote_checkpoints, folder / "on"),
        "off": run_load_script(modern_python, pyannote_checkpoints, folder / "off", TA_COMPAT_DISABLE="checkpoints"),
    }


EXPECTED = {
    "wespeaker": {"class": "WeSpeakerResNet34", "problem": "REPRESENTATION", "powerset": False, "shape": [256]},
    "segmentation": {"class": "PyanNet", "problem": "MONO_LABEL_CLASSIFICATION", "powerset": True},
    "hydra": {"class": "PyanNet", "problem": "MULTI_LABEL_CLASSIFICATION", "powerset": False},
}


def assert_loaded(data: Dict[str, Any], kind: str) -> None:
    got = data["kinds"][kind]
    assert "error" not in got, got
    assert {key: got[key] for key in EXPECTED[kind]} == EXPECTED[kind]
    assert got["finite"]
    if kind != "wespeaker":
        assert got["classes"] == ["speaker#1", "speaker#2", "speaker#3"]
        chunks, frames, classes = got["shape"]
        # 12 s of audio, a chunk every 2.5 s: 10 s chunks (powerset output converted to 3
        # speakers) for segmentation-3.0, 5 s ones for the 2.x model
        assert (chunks, classes) == ((2, 3) if kind == "segmentation" else (4, 3)) and frames > 100


def assert_pipelines_work(data: Dict[str, Any]) -> None:
    assert data["pipelines"]["diarization"] == {
        "pipeline": "SpeakerDiarization",
        "models": ["PyanNet", "WeSpeakerResNet34"],
        "annotation": True,
    }
    assert data["pipelines"]["vad"] == {"pipeline": "VoiceActivityDetection", "models": ["PyanNet"], "annotation": True}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_loads_and_runs_inference(loads: Dict[str, Any], kind: str) -> None:
    assert_loaded(loads["on"], kind)
    assert loads["on"]["state"]["checkpoints"] == "applied"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_fails_with_the_recorded_global_when_disabled(loads: Dict[str, Any], kind: str) -> None:
    got = loads["off"]["kinds"][kind]
    assert got.get("error", "").startswith(
        f"Unsupported global: GLOBAL {FIRST_GLOBAL[kind]} was not an allowed global"
    ), got
    assert loads["off"]["state"]["checkpoints"] == "disabled"


def test_importing_pyannote_allows_exactly_the_inert_names(loads: Dict[str, Any]) -> None:
    """Before pyannote's model module is imported nothing is allowed; then only the five inert names."""
    for config in ("on", "off"):
        assert loads[config]["plain_before_import"].startswith(
            "Unsupported global: GLOBAL torch.torch_version.TorchVersion"
        )
    assert set(loads["on"]["process_wide"]) == PROCESS_WIDE
    assert loads["off"]["process_wide"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_generic_names_are_allowed_only_inside_pyannote_loading(loads: Dict[str, Any], kind: str) -> None:
    inside = set(loads["on"]["kinds"][kind]["inside"])
    assert inside == SCOPED  # exactly these, while torch.load runs inside from_pretrained
    assert loads["on"]["after_calls"] == []  # and nothing once every call returned
    assert not loads["off"]["kinds"][kind]["inside"]  # off: nothing added (or no tensor reached)


def test_pipeline_from_pretrained_with_local_checkpoints(loads: Dict[str, Any]) -> None:
    """Pipeline.from_pretrained loads its models through get_model -> Model.from_pretrained: no wrapper of its own."""
    assert_pipelines_work(loads["on"])


def test_pipeline_from_pretrained_fails_without_the_shim(loads: Dict[str, Any]) -> None:
    pipelines = loads["off"]["pipelines"]
    assert pipelines["diarization"]["error"].startswith("Unsupported global: GLOBAL torch.torch_version.TorchVersion")
    assert pipelines["vad"]["error"].startswith("Unsupported global: GLOBAL omegaconf.listconfig.ListConfig")


def test_overlapping_calls_in_threads_keep_the_allowlist_until_the_last_returns(loads: Dict[str, Any]) -> None:
    assert loads["on"]["threads"] == {"a": "ok", "b": "ok"}
    assert loads["on"]["after_calls"] == []


def test_user_allowlist_survives_from_pretrained(loads: Dict[str, Any]) -> None:
    assert loads["on"]["user_then_pretrained"] == "ok"
    assert loads["on"]["user_kept"] is True
    # without the shim, the user's TorchVersion alone gets one global further
    assert loads["off"]["user_then_pretrained"].startswith(
        "Unsupported global: GLOBAL pyannote.audio.core.task.Specifications"
    )
    assert loads["off"]["user_kept"] is True


@pytest.mark.parametrize("kind", ("wespeaker", "segmentation"))
def test_plain_torch_load_loads_pyannote_3_checkpoints(loads: Dict[str, Any], kind: str) -> None:
    """Once pyannote is imported, a plain torch.load needs only the inert names; without ta-compat
    the user's TorchVersion alone gets one global further."""
    assert loads["on"]["plain"][kind] == "loaded"
    assert "Unsupported global: GLOBAL pyannote.audio.core.task.Specifications was not" in loads["off"]["plain"][kind]


def test_plain_torch_load_refuses_hydra_content_exactly_as_without_ta_compat(loads: Dict[str, Any]) -> None:
    """The generic names a hydra checkpoint needs stay scoped to pyannote's loading."""
    on, off = loads["on"]["plain"]["hydra"], loads["off"]["plain"]["hydra"]
    assert on == off  # the whole message: same global, same advice
    assert f"Unsupported global: GLOBAL {FIRST_GLOBAL['hydra']} was not an allowed global" in on


def test_lightning_2_6_passes_torchs_default_on(loads: Dict[str, Any]) -> None:
    """The modern stack's lightning leaves weights_only to torch (None: True on torch >= 2.6)."""
    assert loads["on"]["lightning"] == ["2.6.6", "2.6.6"]
    assert loads["on"]["pl_load_weights_only"] is None


def test_lightning_2_5_5_still_works(
    fresh_venv: Any, wheel: Path, pyannote_checkpoints: Dict[str, Path], tmp_path: Path
) -> None:
    """lightning 2.4-2.5 load with weights_only=False by default: the wrappers must not get in the way."""
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "lightning==2.5.5", "pytorch-lightning==2.5.5", os.fspath(wheel))
    data = run_load_script(python, pyannote_checkpoints, tmp_path / "run")
    assert data["lightning"] == ["2.5.5", "2.5.5"] and data["pl_load_weights_only"] is False
    for kind in KINDS:
        assert_loaded(data, kind)
    assert_pipelines_work(data)
    assert data["threads"] == {"a": "ok", "b": "ok"}
    assert data["after_calls"] == [] and data["user_kept"] is True and data["state"]["checkpoints"] == "applied"


# --- security: malicious pickles stay refused, inside pyannote's and lightning's loading too -----

#: What the weights-only unpickler names when it refuses each payload: by a plain torch.load (the
#: omegaconf one is refused at ListConfig already) and inside pyannote's or lightning's loading
#: (everything else allowed).
REFUSED_AT = {
    "os_system": ("posix.system whose module posix is blocked",) * 2,
    "eval": ("GLOBAL eval was not",) * 2,
    "exec": ("GLOBAL exec was not",) * 2,
    "subprocess_popen": ("Popen was not an allowed global",) * 2,  # pickled as commands.Popen (py2 name)
    "partial_os_system": ("GLOBAL functools.partial was not",) * 2,
    "partial_eval": ("GLOBAL functools.partial was not",) * 2,
    "partial_exec": ("GLOBAL functools.partial was not",) * 2,
    "partial_popen": ("GLOBAL functools.partial was not",) * 2,
    "getattr_chain": ("GLOBAL getattr was not",) * 2,
    "attrgetter_chain": ("GLOBAL operator.attrgetter was not",) * 2,
    "omegaconf_callable": ("GLOBAL omegaconf.listconfig.ListConfig was not", "GLOBAL exec was not"),
}


@pytest.fixture(scope="module")
def refusals(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Any]:
    """ckpt_refusals.py (shims on), then ckpt_control.py on the same files (checkpoint family off)."""
    folder = tmp_path_factory.mktemp("payloads")
    markers, files = folder / "markers", folder / "files"
    markers.mkdir()
    hydra = os.fspath(pyannote_checkpoints["hydra"])
    refused = result_of(Interpreter(modern_python).run("ckpt_refusals", os.fspath(markers), hydra, os.fspath(files)))
    assert refused["after_build"] == []  # building (pickling) ran no payload
    env = clean_env(TA_COMPAT_DISABLE="checkpoints")
    control = result_of(Interpreter(modern_python).run("ckpt_control", os.fspath(files), os.fspath(markers), env=env))
    return {"refused": refused, "control": control}


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_payload_is_refused_by_plain_torch_load(refusals: Dict[str, Any], name: str) -> None:
    error = refusals["refused"]["plain"][name]
    assert REFUSED_AT[name][0] in error, error
    assert name not in refusals["refused"]["markers"]


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_payload_is_refused_inside_model_from_pretrained(refusals: Dict[str, Any], name: str) -> None:
    error = refusals["refused"]["pyannote"][name]
    assert REFUSED_AT[name][1] in error, error
    assert name not in refusals["refused"]["markers"]


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_payload_is_refused_inside_load_from_checkpoint(refusals: Dict[str, Any], name: str) -> None:
    error = refusals["refused"]["lightning"][name]
    assert REFUSED_AT[name][1] in error, error
    assert name not in refusals["refused"]["markers"]


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_payload_is_live_under_an_unrestricted_load(refusals: Dict[str, Any], name: str) -> None:
    """The control: the same file runs its payload when unpickled without weights_only."""
    assert name in refusals["control"]["markers"]


def test_interpolation_is_never_resolved_inside_pyannote_or_lightning_loading(refusals: Dict[str, Any]) -> None:
    assert "interpolation" not in refusals["refused"]["markers"]
    for loader in ("pyannote", "lightning"):
        assert "Unsupported global" not in refusals["refused"][loader]["interpolation"]  # allowed, inert
    # control: with omegaconf's own classes allowed, the same checkpoint calls the resolver
    assert "interpolation" in refusals["control"]["markers"]


def test_refused_loads_leave_the_allowlist_as_it_was(refusals: Dict[str, Any]) -> None:
    assert refusals["refused"]["after"] == []
