"""Load every kind of pyannote checkpoint the ways pyannote users do; print one RESULT line.

Arguments: a JSON object {kind: checkpoint path} (``wespeaker``, ``segmentation``, ``hydra``) and a
scratch folder. In order:

1. a plain ``torch.load`` before pyannote is imported, then what importing pyannote allows;
2. each kind through ``Model.from_pretrained`` + ``Inference``, noting what is allowed mid-load;
3. ``Pipeline.from_pretrained`` of local pipeline directories (``config.yaml`` naming local
   checkpoints): speaker-diarization-3.1's config on the segmentation and WeSpeaker checkpoints,
   and voice activity detection on the hydra checkpoint (as whisperX uses it);
4. two ``from_pretrained`` calls overlapping in two threads: A blocks in its first ``torch.load``
   until B is inside its own, then finishes (leaving pyannote's loading) while B still loads;
5. the user's own process-wide allowlist (the usual hand-written fix, ``TorchVersion`` only),
   then a ``from_pretrained`` call, then plain ``torch.load`` calls outside pyannote's loading.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import torch
from ckpt_helpers import key_line, names, report, wave

paths, folder = json.loads(sys.argv[1]), sys.argv[2]
out: Dict[str, Any] = {"kinds": {}, "pipelines": {}, "plain": {}}
WAVE = wave()

try:
    torch.load(paths["segmentation"])
    out["plain_before_import"] = "loaded"
except Exception as exc:
    out["plain_before_import"] = key_line(exc)

import numpy as np  # noqa: E402
import pytorch_lightning  # noqa: E402  (it allowlists names of its own at import)

before = names()
from pyannote.audio import Inference, Model, Pipeline  # noqa: E402
from pyannote.core import Annotation  # noqa: E402

baseline = names()
out["process_wide"] = sorted(baseline - before)

for kind, path in paths.items():
    seen: List[List[str]] = []

    # torch.load calls it while unpickling
    def map_location(storage: Any, location: str, seen: List[List[str]] = seen) -> Any:
        """Note what is allowed the first time ``torch.load`` calls it (mid-load); keep ``storage``."""
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

CONFIGS = {
    "diarization": f"""
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
""",
    "vad": f"""
pipeline:
  name: pyannote.audio.pipelines.VoiceActivityDetection
  params:
    segmentation: {paths["hydra"]}
params:
  onset: 0.5
  offset: 0.5
  min_duration_on: 0.0
  min_duration_off: 0.0
""",
}


def models_of(pipeline: Any) -> List[str]:
    """The pyannote models a pipeline holds (directly, in an Inference, in an embedding)."""
    found: List[str] = []
    for held in [*vars(pipeline).values(), *pipeline._inferences.values(), *pipeline._models.values()]:
        for candidate in (held, getattr(held, "model", None), getattr(held, "model_", None)):
            if isinstance(candidate, Model):
                found.append(type(candidate).__name__)
                break
    return sorted(found)


for name, config in CONFIGS.items():
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
threads: Dict[str, str] = {}


def first_call_waits(set_event: threading.Event, wait_event: threading.Event) -> Callable[[Any, str], Any]:
    """A ``map_location`` whose first call sets ``set_event``, then waits for ``wait_event``."""
    state = {"first": True}

    def map_location(storage: Any, location: str) -> Any:
        """Hold the first ``torch.load`` of the call (see ``first_call_waits``); keep ``storage``."""
        if state["first"]:
            state["first"] = False
            set_event.set()
            wait_event.wait(120)
        return storage

    return map_location


def run(
    name: str,
    map_location: Callable[[Any, str], Any],
    before: Optional[threading.Event] = None,
    after: Optional[threading.Event] = None,
) -> None:
    """One thread's ``from_pretrained`` of the hydra checkpoint, after ``before``, setting ``after``."""
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
a.start()
b.start()
a.join(300)
b.join(300)
out["threads"] = threads
out["after_calls"] = sorted(names() - baseline)

from torch.torch_version import TorchVersion  # noqa: E402

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

import inspect  # noqa: E402

import lightning_fabric  # noqa: E402
from lightning_fabric.utilities import cloud_io  # noqa: E402

out["lightning"] = [pytorch_lightning.__version__, lightning_fabric.__version__]
out["pl_load_weights_only"] = inspect.signature(cloud_io._load).parameters["weights_only"].default
report(out)
