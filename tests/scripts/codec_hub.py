"""pyannote.audio 3.x calls on pyannote.audio 4:
``python codec_hub.py TOKEN MODEL OTHER_MODEL EMBEDDING PIPELINE WAV GET_MODEL INFERENCE VAD DIARIZATION``.

Hub ids resolved through ``HF_ENDPOINT`` (a local server in the tests): ``Model.from_pretrained``
and ``Pipeline.from_pretrained`` with 3.x's ``use_auth_token=`` (OTHER_MODEL: given both
``use_auth_token=`` and ``token=``, so its requests tell that call apart), an embedding of WAV by
``Inference(window="whole")`` and of a crop of it, and the voice activity detection pipeline on it;
then 3.x's other ``use_auth_token=`` calls, each on its own Hub id: ``get_model``,
``Inference("org/model", ...)`` and the ``VoiceActivityDetection``/``SpeakerDiarization`` constructors.
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
get_model_id, inference_id, vad_id, diarization_id = sys.argv[7:11]


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


def get_model_call() -> str:
    from pyannote.audio.pipelines.utils import get_model

    return type(get_model(get_model_id, use_auth_token=token)).__name__


def inference_call() -> List[int]:
    return list(Inference(inference_id, use_auth_token=token)(wav).data.shape)


def vad_constructor() -> str:
    from pyannote.audio.pipelines import VoiceActivityDetection

    return type(VoiceActivityDetection(segmentation=vad_id, use_auth_token=token)._segmentation.model).__name__


def diarization_constructor() -> str:
    """Loads the segmentation model first, then fails on ``plda=None`` (no PLDA on this Hub)."""
    from pyannote.audio.pipelines import SpeakerDiarization

    pipeline = SpeakerDiarization(
        segmentation=diarization_id,
        embedding=embedding_id,
        plda=None,
        clustering="AgglomerativeClustering",
        use_auth_token=token,
    )
    return type(pipeline._segmentation.model).__name__


result = {
    "model": attempt(lambda: type(Model.from_pretrained(model_id, use_auth_token=token)).__name__),
    "model without token": attempt(lambda: type(Model.from_pretrained(model_id, use_auth_token=None)).__name__),
    "both": attempt(lambda: type(Model.from_pretrained(other_model_id, use_auth_token=token, token=token)).__name__),
    "embeddings": attempt(embeddings),
    "voice activity": attempt(voice_activity),
    "get_model": attempt(get_model_call),
    "inference": attempt(inference_call),
    "vad constructor": attempt(vad_constructor),
    "diarization constructor": attempt(diarization_constructor),
}
print("RESULT " + json.dumps(result))
