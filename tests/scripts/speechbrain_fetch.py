"""speechbrain's ``from_hparams`` of a Hub id as code written for the installed speechbrain calls it
(1.0.x: ``use_auth_token=``; 1.1: ``fetch_config=FetchConfig(token=...)``), its fetcher on a file
the repo lacks, and pyannote 3.x's speechbrain embedding of the same id (``use_auth_token=``).

Usage: ``python speechbrain_fetch.py REPO_ID SAVEDIR TOKEN`` (pyannote's own savedir is under
``PYANNOTE_CACHE``).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Dict

warnings.simplefilter("ignore")
import huggingface_hub  # noqa: E402
import speechbrain  # noqa: E402
import torch  # noqa: E402
from hook_report import emit  # noqa: E402
from speechbrain.inference import EncoderClassifier  # noqa: E402
from speechbrain.utils import fetching  # noqa: E402

repo_id, savedir, token = sys.argv[1:4]


def attempt(call: Callable[[], Any]) -> Dict[str, Any]:
    """``{"ok": result}``, or ``{"error": "Class: first line"}`` (with the class's bases' names)."""
    try:
        return {"ok": call()}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}


def from_hparams() -> Any:
    """As code written for this speechbrain passes a token."""
    if hasattr(fetching, "FetchConfig"):
        classifier = EncoderClassifier.from_hparams(
            source=repo_id, savedir=savedir, fetch_config=fetching.FetchConfig(token=token)
        )
    else:
        classifier = EncoderClassifier.from_hparams(source=repo_id, savedir=savedir, use_auth_token=token)
    return list(classifier.encode_batch(torch.rand(1, 16000)).shape)


def pyannote_embedding() -> Any:
    from pyannote.audio.pipelines.speaker_verification import SpeechBrainPretrainedSpeakerEmbedding

    return SpeechBrainPretrainedSpeakerEmbedding(repo_id, use_auth_token=token).dimension


outcomes = getattr(sys.modules.get("ta_compat._dispatch"), "OUTCOMES", {})
result = {
    "speechbrain": speechbrain.__version__,
    "hub": huggingface_hub.__version__,
    "from_hparams": attempt(from_hparams),
    "custom_fetched": os.path.exists(os.path.join(savedir, "custom.py")),
    "missing": attempt(lambda: str(fetching.fetch("missing.bin", repo_id, os.path.join(savedir, "missing")))),
    "pyannote": attempt(pyannote_embedding),
    "hub_is_the_module": fetching.huggingface_hub is huggingface_hub,
}
result["state"] = {name: [str(o.state), o.patched] for name, o in outcomes.items() if name == "speechbrain"}
emit(result)
