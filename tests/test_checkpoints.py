"""Issue 4: pyannote checkpoints of every era load through ``Model.from_pretrained`` and
``Pipeline.from_pretrained`` on torch >= 2.6 with ``weights_only`` on, and nothing else is widened.

Each check runs in a fresh interpreter of the modern stack (torch 2.14, lightning 2.6.6, pyannote
3.4.0) with the wheel installed; the shims come from its ``.pth``. The user code under test never
imports ta_compat (only the fixture builders do). Checkpoints are built from pyannote's own
classes with random weights (``pyannote_checkpoints`` in conftest): a WeSpeaker conversion, a
powerset PyanNet written by ``Trainer.save_checkpoint`` and a pre-3.0 hydra-trained one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from conftest import clean_env, pip, run_python

KINDS = ("wespeaker", "segmentation", "hydra")

#: The first "Unsupported global" of each kind without the shim (spec section 5.2).
FIRST_GLOBAL = {
    "wespeaker": "torch.torch_version.TorchVersion",
    "segmentation": "torch.torch_version.TorchVersion",
    "hydra": "omegaconf.listconfig.ListConfig",
}

#: The names pyannote's loading adds (spec 5.2), none of which a plain torch.load may gain.
PYANNOTE_NAMES = {
    "torch.torch_version.TorchVersion",
    "pyannote.audio.core.task.Specifications",
    "pyannote.audio.core.task.Problem",
    "pyannote.audio.core.task.Resolution",
    "pyannote.audio.core.model.Introspection",
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


def result_of(process: Any) -> Dict[str, Any]:
    """The ``RESULT {json}`` line a script printed (pyannote prints version notes on stdout too)."""
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    return json.loads(lines[-1][len("RESULT ") :])


# Shared prologue: helpers for the scripts below (user code: no ta_compat import).
PROLOGUE = """
import json, sys, warnings
warnings.simplefilter("ignore")
import torch

def names():
    found = set()
    for entry in torch.serialization.get_safe_globals():
        found.add(entry[1] if isinstance(entry, tuple) else f"{entry.__module__}.{entry.__qualname__}")
    return found

def key_line(exc):
    text = f"{type(exc).__name__}: {exc}"
    for line in text.splitlines():
        if "Unsupported global" in line:
            return line[line.index("Unsupported global"):].strip()
        if "blocked" in line:
            return line.strip()
    return text.splitlines()[0][:300]

WAVE = {"waveform": torch.randn(1, 16000 * 12, generator=torch.Generator().manual_seed(0)) * 0.1, "sample_rate": 16000}
"""

# One interpreter per configuration runs everything below and prints one RESULT line:
#  1. each kind through Model.from_pretrained + Inference, noting what is allowed mid-load;
#  2. Pipeline.from_pretrained of local pipeline directories (config.yaml naming local checkpoints):
#     speaker-diarization-3.1's config on the segmentation + WeSpeaker checkpoints, and voice
#     activity detection on the hydra checkpoint (as whisperX uses it);
#  3. two from_pretrained calls overlapping in two threads: A blocks in its first torch.load until
#     B is inside its own, then finishes (leaving pyannote's loading) while B still loads;
#  4. the user's own process-wide allowlist (the field note's fix, TorchVersion only), then a
#     from_pretrained call, then plain torch.load calls outside pyannote's loading.
LOAD_SCRIPT = (
    PROLOGUE
    + """
import os, threading
from pathlib import Path
import numpy as np
paths, folder = json.loads(sys.argv[1]), sys.argv[2]
from pyannote.audio import Inference, Model, Pipeline
from pyannote.core import Annotation
out = {"kinds": {}, "pipelines": {}, "plain": {}}
baseline = names()

for kind, path in paths.items():
    seen = []
    def map_location(storage, location, seen=seen):  # torch.load calls it while unpickling
        if not seen:
            seen.append(sorted(names() - baseline))
        return storage
    try:
        model = Model.from_pretrained(path, map_location=map_location)
        inference = Inference(model, window="whole") if kind == "wespeaker" else Inference(model, step=2.5)
        output = inference(WAVE)
        data = np.asarray(output if kind == "wespeaker" else output.data)
        out["kinds"][kind] = {
            "class": type(model).__name__,
            "problem": model.specifications.problem.name,
            "powerset": bool(model.specifications.powerset),
            "classes": model.specifications.classes,
            "shape": list(data.shape),
            "finite": bool(np.isfinite(data).all()),
            "inside": seen[0] if seen else None,
        }
    except Exception as exc:
        out["kinds"][kind] = {"error": key_line(exc), "inside": seen[0] if seen else None}

configs = {
    "diarization": f'''
version: 3.1.0
pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    clustering: AgglomerativeClustering
    embedding: {paths["wespeaker"]}
    embedding_batch_size: 8
    embedding_exclude_overlap: true
    segmentation: {paths["segmentation"]}
    segmentation_batch_size: 8
params:
  clustering:
    method: centroid
    min_cluster_size: 12
    threshold: 0.7045654963945799
  segmentation:
    min_duration_off: 0.0
''',
    "vad": f'''
pipeline:
  name: pyannote.audio.pipelines.VoiceActivityDetection
  params:
    segmentation: {paths["hydra"]}
params:
  onset: 0.5
  offset: 0.5
  min_duration_on: 0.0
  min_duration_off: 0.0
''',
}
def models_of(pipeline):  # the pyannote models a pipeline holds (directly, in an Inference, an embedding)
    found = []
    for held in [*vars(pipeline).values(), *pipeline._inferences.values(), *pipeline._models.values()]:
        for candidate in (held, getattr(held, "model", None), getattr(held, "model_", None)):
            if isinstance(candidate, Model):
                found.append(type(candidate).__name__)
                break
    return sorted(found)
for name, config in configs.items():
    Path(folder, name).mkdir(exist_ok=True)
    Path(folder, name, "config.yaml").write_text(config)
    try:
        pipeline = Pipeline.from_pretrained(os.path.join(folder, name, "config.yaml"))
        out["pipelines"][name] = {
            "pipeline": type(pipeline).__name__,
            "models": models_of(pipeline),
            "annotation": isinstance(pipeline(WAVE), Annotation),
        }
    except Exception as exc:
        out["pipelines"][name] = {"error": key_line(exc)}

a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
threads = {}
def first_call_waits(set_event, wait_event):
    state = {"first": True}
    def map_location(storage, location):
        if state["first"]:
            state["first"] = False
            set_event.set()
            wait_event.wait(120)
        return storage
    return map_location
def run(name, map_location, before=None, after=None):
    try:
        if before is not None:
            before.wait(120)
        Model.from_pretrained(paths["hydra"], map_location=map_location)
        threads[name] = "ok"
    except Exception as exc:
        threads[name] = key_line(exc)
    finally:
        if after is not None:
            after.set()
a = threading.Thread(target=run, args=("a", first_call_waits(a_inside, b_inside)), kwargs={"after": a_done})
b = threading.Thread(target=run, args=("b", first_call_waits(b_inside, a_done)), kwargs={"before": a_inside})
a.start(); b.start(); a.join(300); b.join(300)
out["threads"] = threads
out["after_calls"] = sorted(names() - baseline)

from torch.torch_version import TorchVersion
torch.serialization.add_safe_globals([TorchVersion])
user = names()
try:
    Model.from_pretrained(paths["wespeaker"])
    out["user_then_pretrained"] = "ok"
except Exception as exc:
    out["user_then_pretrained"] = key_line(exc)
out["user_kept"] = names() == user
for kind, path in paths.items():
    try:
        torch.load(path)
        out["plain"][kind] = "loaded"
    except Exception as exc:
        out["plain"][kind] = str(exc)

import inspect, lightning_fabric, pytorch_lightning
from lightning_fabric.utilities import cloud_io
out["lightning"] = [pytorch_lightning.__version__, lightning_fabric.__version__]
out["pl_load_weights_only"] = inspect.signature(cloud_io._load).parameters["weights_only"].default
outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
out["state"] = {name: o.state for name, o in outcomes.items()}
print("RESULT " + json.dumps(out))
"""
)


def run_load_script(python: Path, checkpoints: Dict[str, Path], folder: Path, **env: str) -> Dict[str, Any]:
    folder.mkdir()
    paths = json.dumps({kind: os.fspath(checkpoints[kind]) for kind in KINDS})
    return result_of(run_python(python, LOAD_SCRIPT, paths, os.fspath(folder), env=clean_env(**env)))


@pytest.fixture(scope="module")
def loads(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """LOAD_SCRIPT with every shim on, and with only the checkpoint family off."""
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


@pytest.mark.parametrize("kind", KINDS)
def test_names_are_allowed_only_inside_pyannote_loading(loads: Dict[str, Any], kind: str) -> None:
    inside = set(loads["on"]["kinds"][kind]["inside"])
    assert inside == PYANNOTE_NAMES  # exactly these, while torch.load runs inside from_pretrained
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
    # without the shim, the user's TorchVersion alone gets one global further (spec 5.2 order)
    assert loads["off"]["user_then_pretrained"].startswith(
        "Unsupported global: GLOBAL pyannote.audio.core.task.Specifications"
    )
    assert loads["off"]["user_kept"] is True


@pytest.mark.parametrize("kind", KINDS)
def test_plain_torch_load_is_refused_exactly_as_without_ta_compat(loads: Dict[str, Any], kind: str) -> None:
    on, off = loads["on"]["plain"][kind], loads["off"]["plain"][kind]
    assert on == off  # the whole message: same global, same advice
    second = "pyannote.audio.core.task.Specifications" if kind != "hydra" else FIRST_GLOBAL["hydra"]
    assert f"Unsupported global: GLOBAL {second} was not an allowed global" in on


def test_lightning_2_6_passes_torchs_default_on(loads: Dict[str, Any]) -> None:
    """The modern stack's lightning leaves weights_only to torch (None: True on torch >= 2.6)."""
    assert loads["on"]["lightning"] == ["2.6.6", "2.6.6"]
    assert loads["on"]["pl_load_weights_only"] is None


def test_lightning_2_5_5_still_works(
    fresh_venv: Any, wheel: Path, pyannote_checkpoints: Dict[str, Path], tmp_path: Path
) -> None:
    """lightning 2.4-2.5 load with weights_only=False by default: the wrapper must not get in the way."""
    python = fresh_venv("modern")
    pip(python, "install", "-q", "lightning==2.5.5", "pytorch-lightning==2.5.5", os.fspath(wheel))
    data = run_load_script(python, pyannote_checkpoints, tmp_path / "run")
    assert data["lightning"] == ["2.5.5", "2.5.5"] and data["pl_load_weights_only"] is False
    for kind in KINDS:
        assert_loaded(data, kind)
    assert_pipelines_work(data)
    assert data["threads"] == {"a": "ok", "b": "ok"}
    assert data["after_calls"] == [] and data["user_kept"] is True and data["state"]["checkpoints"] == "applied"


# --- security: malicious pickles stay refused, inside pyannote's loading too ------------------

#: Builds the payloads. Each writes ``<markers>/<name>`` when it runs. ``Call(f, *args)`` pickles
#: as ``f(*args)`` (a REDUCE), and ``f`` may itself be a ``Call``: that is how chains are written.
#: ``plain/<name>.pt`` holds only the payload; ``pyannote/<name>.ckpt`` is the hydra checkpoint
#: (every allowlisted name in use) with the payload added, so only the payload can be refused.
PAYLOADS_BUILDER = """
import functools, operator, os, subprocess, sys, warnings
warnings.simplefilter("ignore")
import torch
from omegaconf import OmegaConf
from torch.torch_version import TorchVersion

markers, hydra, out = sys.argv[1:4]

class Call:
    def __init__(self, func, *args):
        self.func, self.args = func, args
    def __call__(self, *args):
        raise AssertionError("only pickled")
    def __reduce__(self):
        return (self.func, self.args)

def marker(name):
    return os.path.join(markers, name)

def touch(name):
    return f"touch {marker(name)}"

def opener(name):
    return f"open({marker(name)!r}, 'w').close()"

def omegaconf_callable(name):
    # a real ListConfig (the betas of a hydra checkpoint) whose first node's value is a call
    betas = OmegaConf.create([0.9, 0.999])
    betas._get_node(0).__dict__["_val"] = Call(exec, opener(name))
    return betas

payloads = {
    "os_system": Call(os.system, touch("os_system")),
    "eval": Call(eval, opener("eval")),
    "exec": Call(exec, opener("exec")),
    "subprocess_popen": Call(subprocess.Popen, ["touch", marker("subprocess_popen")]),
    "partial_os_system": Call(functools.partial(os.system, touch("partial_os_system"))),
    "partial_eval": Call(functools.partial(eval, opener("partial_eval"))),
    "partial_exec": Call(functools.partial(exec, opener("partial_exec"))),
    "partial_popen": Call(functools.partial(subprocess.Popen, ["touch", marker("partial_popen")])),
    # getattr(importlib.import_module("os"), "system")(cmd)
    "getattr_chain": Call(
        Call(getattr, Call(__import__("importlib").import_module, "os"), "system"), touch("getattr_chain")
    ),
    # TorchVersion._convert_to_version.__globals__["__builtins__"]["__import__"]("os").system(cmd):
    # a chain through an allowlisted class, with operator.attrgetter/itemgetter only
    "attrgetter_chain": Call(
        Call(
            operator.attrgetter("system"),
            Call(
                Call(
                    operator.itemgetter("__import__"),
                    Call(
                        operator.itemgetter("__builtins__"),
                        Call(operator.attrgetter("_convert_to_version.__globals__"), TorchVersion),
                    ),
                ),
                "os",
            ),
        ),
        touch("attrgetter_chain"),
    ),
    "omegaconf_callable": omegaconf_callable("omegaconf_callable"),
}

base = torch.load(hydra, weights_only=False)  # our own fixture, to add the payloads to
os.makedirs(os.path.join(out, "plain")); os.makedirs(os.path.join(out, "pyannote"))
for name, payload in payloads.items():
    torch.save({"state_dict": {"weight": torch.zeros(2)}, "payload": payload}, os.path.join(out, "plain", name + ".pt"))
    checkpoint = dict(base)
    if name.startswith("omegaconf"):  # where hydra put its ListConfig
        state = dict(checkpoint["optimizer_states"][0])
        state["param_groups"] = [dict(state["param_groups"][0], betas=payload)]
        checkpoint["optimizer_states"] = [state]
    else:
        checkpoint["pyannote.audio"] = dict(checkpoint["pyannote.audio"], payload=payload)
    torch.save(checkpoint, os.path.join(out, "pyannote", name + ".ckpt"))

# An interpolation: nothing to refuse, but a ListConfig value resolved later would call whatever
# resolver the process registered (``eval`` is a common one). Put where lightning reads a string.
checkpoint = dict(base)
checkpoint["pytorch-lightning_version"] = OmegaConf.create(["${ta_compat_probe:interpolation}"])
torch.save(checkpoint, os.path.join(out, "pyannote", "interpolation.ckpt"))
"""

PAYLOAD_NAMES = (
    "os_system",
    "eval",
    "exec",
    "subprocess_popen",
    "partial_os_system",
    "partial_eval",
    "partial_exec",
    "partial_popen",
    "getattr_chain",
    "attrgetter_chain",
    "omegaconf_callable",
)

#: What the weights-only unpickler names when it refuses each payload: outside pyannote's loading
#: (the omegaconf one is refused at ListConfig already) and inside it (everything else allowed).
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

RESOLVER = """
from omegaconf import OmegaConf
def ta_compat_probe(*args):
    open(os.path.join(markers, "interpolation"), "w").close()
    return "2.6.6"
OmegaConf.register_new_resolver("ta_compat_probe", ta_compat_probe)
"""

# Shims on: build the payload files (PAYLOADS_BUILDER), then plain torch.load and
# Model.from_pretrained of each, with a resolver registered for the interpolation.
REFUSALS_SCRIPT = (
    PROLOGUE
    + PAYLOADS_BUILDER
    + """
folder = out
from pyannote.audio import Model
"""
    + RESOLVER
    + """
out = {"plain": {}, "pyannote": {}, "after_build": sorted(os.listdir(markers))}
baseline = names()
for name in sorted(os.listdir(os.path.join(folder, "plain"))):
    try:
        torch.load(os.path.join(folder, "plain", name))
        out["plain"][name[:-3]] = "LOADED"
    except Exception as exc:
        out["plain"][name[:-3]] = key_line(exc)
for name in sorted(os.listdir(os.path.join(folder, "pyannote"))):
    try:
        Model.from_pretrained(os.path.join(folder, "pyannote", name))
        out["pyannote"][name[:-5]] = "LOADED"
    except Exception as exc:
        out["pyannote"][name[:-5]] = key_line(exc)
out["after"] = sorted(names() - baseline)
import time; time.sleep(1.0)  # a Popen that did run would have touched its file by now
out["markers"] = sorted(os.listdir(markers))
print("RESULT " + json.dumps(out))
"""
)

# The control, with ta-compat's checkpoint family off: the payloads are live under a plain
# pickle load, and the interpolation runs its resolver when omegaconf's real classes are allowed
# (what allowlisting them, as the field note does for its four classes, would give).
CONTROL_SCRIPT = (
    PROLOGUE
    + """
import os, time
folder, markers = sys.argv[1:3]
"""
    + RESOLVER
    + """
for name in sorted(os.listdir(os.path.join(folder, "plain"))):
    try:
        torch.load(os.path.join(folder, "plain", name), weights_only=False)
    except Exception:
        pass
import typing, collections
from omegaconf.base import ContainerMetadata, Metadata
from omegaconf.listconfig import ListConfig
from omegaconf.nodes import AnyNode
from pyannote.audio import Model
from pyannote.audio.core.model import Introspection
from pyannote.audio.core.task import Problem, Resolution, Specifications
from torch.torch_version import TorchVersion
real = [TorchVersion, Specifications, Problem, Resolution, Introspection, ListConfig, ContainerMetadata, Metadata,
        AnyNode, typing.Any, list, dict, int, collections.defaultdict]
with torch.serialization.safe_globals(real):
    try:
        Model.from_pretrained(os.path.join(folder, "pyannote", "interpolation.ckpt"))
    except Exception:
        pass
for _ in range(50):
    if "subprocess_popen" in os.listdir(markers) and "partial_popen" in os.listdir(markers):
        break
    time.sleep(0.1)
print("RESULT " + json.dumps({"markers": sorted(os.listdir(markers))}))
"""
)


@pytest.fixture(scope="module")
def refusals(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Any]:
    folder = tmp_path_factory.mktemp("payloads")
    markers, files = folder / "markers", folder / "files"
    markers.mkdir()
    hydra = os.fspath(pyannote_checkpoints["hydra"])
    refused = result_of(run_python(modern_python, REFUSALS_SCRIPT, os.fspath(markers), hydra, os.fspath(files)))
    assert refused["after_build"] == []  # building (pickling) ran no payload
    control = result_of(
        run_python(
            modern_python,
            CONTROL_SCRIPT,
            os.fspath(files),
            os.fspath(markers),
            env=clean_env(TA_COMPAT_DISABLE="checkpoints"),
        )
    )
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
def test_payload_is_live_under_an_unrestricted_load(refusals: Dict[str, Any], name: str) -> None:
    """The control: the same file runs its payload when unpickled without weights_only."""
    assert name in refusals["control"]["markers"]


def test_interpolation_is_never_resolved_inside_from_pretrained(refusals: Dict[str, Any]) -> None:
    assert "interpolation" not in refusals["refused"]["markers"]
    assert "Unsupported global" not in refusals["refused"]["pyannote"]["interpolation"]  # allowed, inert
    # control: with omegaconf's own classes allowed, the same checkpoint calls the resolver
    assert "interpolation" in refusals["control"]["markers"]


def test_refused_loads_leave_the_allowlist_as_it_was(refusals: Dict[str, Any]) -> None:
    assert refusals["refused"]["after"] == []
