"""pyannote.audio 3.x on numpy 2, the way its users run it: import, Inference, a speaker
diarization pipeline, the Resegmentation pipeline, one training step of the segmentation task,
and pyannote.metrics' report. Each step's outcome goes into one ``RESULT {json}`` line.

Arguments: a JSON object of checkpoint paths (``segmentation``, ``wespeaker``) and a scratch folder.
User code: it never imports ta_compat itself (only ``ta_compat._fixtures``, through
``pyannote_inputs``, to build inputs).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from typing import Any, Callable, Dict, NoReturn

warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
import torch  # noqa: E402

paths, folder = json.loads(sys.argv[1]), sys.argv[2]
WAVE = {
    "waveform": torch.randn(1, 16000 * 12, generator=torch.Generator().manual_seed(0)) * 0.1,
    "sample_rate": 16000,
    "uri": "wave",
}
out: Dict[str, Any] = {"numpy": np.__version__, "outside_has_NaN": hasattr(np, "NaN"), "steps": {}}


def step(name: str) -> Callable[[Callable[[], Any]], None]:
    """Run the decorated function now; record its result, or the one-line error it raised."""

    def run(function: Callable[[], Any]) -> None:
        """Run ``function`` and record its outcome under ``name``."""
        try:
            out["steps"][name] = function()
        except Exception as exc:
            out["steps"][name] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}

    return run


def finish() -> NoReturn:
    """Print the RESULT line, with each shim family's state, and exit (early when pyannote fails to import)."""
    outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
    out["state"] = {name: outcome.state for name, outcome in outcomes.items()}
    out["getattr_is_numpys"] = getattr(np.__getattr__, "__module__", None) == "numpy"
    print("RESULT " + json.dumps(out))
    sys.exit(0)


try:
    import pyannote.audio
    from pyannote.audio import Inference, Model
except Exception as exc:
    out["import"] = f"{type(exc).__name__}: {exc}"
    finish()
out["import"] = pyannote.audio.__version__
out["outside_has_NaN_after"] = hasattr(np, "NaN")


@step("inference")
def _() -> Dict[str, Any]:
    """Inference with the segmentation model, and whether 3.1.x's ``np.NaN`` default is there."""
    default = Inference.aggregate.__defaults__  # 3.1.x: (..., missing=np.NaN, ...) at import
    output = Inference(Model.from_pretrained(paths["segmentation"]), step=2.5)(WAVE)
    return {
        "shape": list(output.data.shape),
        "finite": bool(np.isfinite(output.data).all()),
        "nan_default": any(isinstance(value, float) and np.isnan(value) for value in default or ()),
    }


@step("diarization")
def _() -> Dict[str, Any]:
    """The speaker diarization pipeline on the segmentation and WeSpeaker checkpoints."""
    from pyannote.audio.pipelines import SpeakerDiarization

    # The embedding as a model: 3.1.x picks an ONNX backend for any path naming "wespeaker".
    embedding = Model.from_pretrained(paths["wespeaker"])
    pipeline = SpeakerDiarization(segmentation=paths["segmentation"], embedding=embedding)
    pipeline.instantiate(
        {
            "clustering": {"method": "centroid", "min_cluster_size": 1, "threshold": 0.7},
            "segmentation": {"min_duration_off": 0.0},
        }
    )
    annotation = pipeline(WAVE)
    return {"annotation": type(annotation).__name__}


@step("resegmentation")
def _() -> Dict[str, Any]:
    """The Resegmentation pipeline on a two-speaker diarization."""
    from pyannote.audio.pipelines import Resegmentation
    from pyannote.core import Annotation, Segment

    pipeline = Resegmentation(segmentation=paths["segmentation"])
    pipeline.instantiate(
        {"warm_up": 0.05, "onset": 0.5, "offset": 0.5, "min_duration_on": 0.0, "min_duration_off": 0.0}
    )
    diarization = Annotation(uri="wave")
    diarization[Segment(0.5, 4.0)] = "A"
    diarization[Segment(5.0, 11.0)] = "B"
    return {"annotation": type(pipeline(WAVE, diarization=diarization)).__name__}


@step("training")
def _() -> Dict[str, Any]:
    """One training step (``fast_dev_run``) of a small PyanNet on the tiny protocol."""
    import pytorch_lightning as pl
    from pyannote.audio.models.segmentation import PyanNet
    from pyannote.audio.tasks import SpeakerDiarization
    from pyannote.database import FileFinder, registry
    from pyannote_inputs import write_diarization_protocol

    registry.load_database(write_diarization_protocol(os.path.join(folder, "protocol")))
    protocol = registry.get_protocol("Tiny.SpeakerDiarization.Tiny", preprocessors={"audio": FileFinder()})
    task = SpeakerDiarization(
        protocol, duration=2.0, batch_size=2, max_speakers_per_chunk=2, max_speakers_per_frame=2, num_workers=0
    )
    model = PyanNet(
        sincnet={"stride": 10}, lstm={"hidden_size": 16, "num_layers": 1}, linear={"num_layers": 1}, task=task
    )
    trainer = pl.Trainer(accelerator="cpu", fast_dev_run=True, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model)
    return {"global_step": trainer.global_step}


@step("metrics_report")
def _() -> Dict[str, Any]:
    """pyannote.metrics' report, where numpy 2 meets its NaN percentages."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = Annotation(uri="silent")
    hypothesis[Segment(0.0, 1.0)] = "A"
    metric = DiarizationErrorRate()
    metric(Annotation(uri="silent"), hypothesis)  # nothing to find: the report's percentages are NaN
    return {"rows": metric.report(display=False).shape[0]}


finish()
