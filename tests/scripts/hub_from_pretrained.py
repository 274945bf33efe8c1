"""``Model.from_pretrained`` and ``Pipeline.from_pretrained`` of Hub ids, with and without a token,
as pyannote 3.x user code calls them (the cache folder is pyannote's own, ``PYANNOTE_CACHE``,
which pyannote passes to ``hf_hub_download``).

Usage: ``python hub_from_pretrained.py TOKEN MODEL_ID PIPELINE_ID``
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Callable, Dict

warnings.simplefilter("ignore")
import huggingface_hub  # noqa: E402
import pyannote.audio.core.model as model_module  # noqa: E402
import pyannote.audio.core.pipeline as pipeline_module  # noqa: E402
import torch  # noqa: E402
from hook_report import emit  # noqa: E402
from pyannote.audio import Inference, Model, Pipeline  # noqa: E402
from pyannote.core import Annotation  # noqa: E402

token, model_id, pipeline_id = sys.argv[1:4]


def attempt(call: Callable[[], Any]) -> Dict[str, Any]:
    """``{"ok": result}``, or ``{"error": first line of the error}``."""
    try:
        return {"ok": call()}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}


wave = {"waveform": torch.randn(1, 16000 * 12) * 0.1, "sample_rate": 16000}
outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
emit(
    {
        "hub": huggingface_hub.__version__,
        "model": attempt(lambda: type(Model.from_pretrained(model_id, use_auth_token=None)).__name__),
        "model_token": attempt(lambda: type(Model.from_pretrained(model_id + "@main", use_auth_token=token)).__name__),
        "inference": attempt(lambda: list(Inference(model_id, use_auth_token=token)(wave).data.shape)),
        "pipeline": attempt(
            lambda: isinstance(Pipeline.from_pretrained(pipeline_id, use_auth_token=token)(wave), Annotation)
        ),
        "unpatched": {
            module.__name__: module.hf_hub_download is huggingface_hub.hf_hub_download
            for module in (model_module, pipeline_module)
        },
        "state": {name: [str(o.state), o.patched] for name, o in outcomes.items() if name == "hub"},
    }
)
