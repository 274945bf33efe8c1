"""pyannote.audio 3.x calls on pyannote.audio 4:
``python codec_hub.py TOKEN MODEL OTHER_MODEL EMBEDDING PIPELINE WAV``.

Hub ids resolved through ``HF_ENDPOINT`` (a local server in the tests): ``Model.from_pretrained``
and ``Pipeline.from_pretrained`` with 3.x's ``use_auth_token=`` (OTHER_MODEL: given both
``use_auth_token=`` and ``token=``, so its requests tell that call apart), an embedding of WAV by
``Inference(window="whole")`` and of a crop of it, and the voice activity detection pipeline on it.
Prints one ``RESULT`` line of JSON: each call as ``["ok", value]`` or ``["error", class, message]``.
Never imports ta_compat itself.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any, Callable, List

warnings.simplefilter("ignore")

from pyannote.audio import Inference, Model, Pipeline  # noqa: E402
from pyannote.core import Segment  # noqa: E402

token, model_id, other_model_id, embedding_id, pipeline_id, wav = sys.argv[1:7]


def attempt(call: Callable[[], Any]) -> List[Any]:
    try:
        return ["ok", call()]
    except Exception as exc:
        return ["error", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""]


def embeddings() -> List[List[float]]:
    inference = Inference(Model.from_pretrained(embedding_id, use_auth_token=token), window="whole")
    return [inference(wav).tolist(), inference.crop(wav, Segment(2.0, 7.0)).tolist()]


def voice_activity() -> List[Any]:
    pipeline = Pipeline.from_pretrained(pipeline_id, use_auth_token=token)
    scores = pipeline._segmentation(wav)
    speech = pipeline(wav)
    return [type(pipeline).__name__, list(scores.data.shape), scores.data.tolist(), speech.uri, str(speech)]


result = {
    "model": attempt(lambda: type(Model.from_pretrained(model_id, use_auth_token=token)).__name__),
    "model without token": attempt(lambda: type(Model.from_pretrained(model_id, use_auth_token=None)).__name__),
    "both": attempt(lambda: type(Model.from_pretrained(other_model_id, use_auth_token=token, token=token)).__name__),
    "embeddings": attempt(embeddings),
    "voice activity": attempt(voice_activity),
}
print("RESULT " + json.dumps(result))
