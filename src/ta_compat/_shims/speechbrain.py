"""Let speechbrain 1.0.x/1.1.x fetch models on huggingface_hub >= 1.0, and pyannote.audio 3.x load
speechbrain >= 1.1 embeddings with its ``use_auth_token=``.

speechbrain's fetcher (``speechbrain/utils/fetching.py``) calls ``huggingface_hub.hf_hub_download``
and was written for huggingface_hub 0.x, which broke it twice in 1.0:

* speechbrain 1.0.x passes ``use_auth_token=``, which 1.0 removed: every Hub id fails with
  ``TypeError: hf_hub_download() got an unexpected keyword argument 'use_auth_token'``
  (speechbrain/speechbrain#2991). It is passed on as ``token``, with 0.x's rules (``hub.py``).
* The fetcher turns a missing file into ``ValueError("File not found on HF hub")`` by catching
  ``requests.exceptions.HTTPError`` with "404 Client Error" in its message; that is how
  ``from_hparams`` skips the optional ``custom.py`` of a model repo. On 0.x every Hub HTTP error
  was a ``requests`` ``HTTPError``, and the offline "not in the cache" error
  (``LocalEntryNotFoundError``) was one and a ``ValueError`` too. hub >= 1.0 derives them from
  httpx, so they pass speechbrain's ``except`` and ``from_hparams`` of a repo without
  ``custom.py`` fails, online and offline. Raised through speechbrain's fetcher, those errors are
  given 0.x's bases again (still the hub's classes, so every ``except`` that caught them still
  does), and speechbrain's own rule decides what they become.

Both are done by binding the name ``huggingface_hub`` inside the fetcher module only to a view of
the real module whose ``hf_hub_download`` does the above; huggingface_hub itself and everyone
else's import of it stay as they are.

pyannote.audio 3.x builds speechbrain embeddings with ``EncoderClassifier.from_hparams(...,
use_auth_token=..., revision=...)``. speechbrain 1.1 moved both into ``fetch_config=FetchConfig(
token=..., revision=...)``, so the call fails with ``TypeError: Pretrained.__init__() got an
unexpected keyword argument 'use_auth_token'`` (pyannote/pyannote-audio#1980). Only where the
installed ``from_hparams`` takes no ``use_auth_token``, the name ``SpeechBrain_EncoderClassifier``
inside pyannote's speaker verification module is bound to a subclass whose ``from_hparams`` passes
them on in a ``FetchConfig`` (and a ``torch.device`` in ``run_opts`` as the name 1.1 parses:
``TypeError: argument of type 'torch.device' is not iterable`` otherwise).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._marker import is_ours, mark
from .hub import rejects_use_auth_token, token_for_use_auth_token

FETCHING = "speechbrain.utils.fetching"
SPEAKER_VERIFICATION = "pyannote.audio.pipelines.speaker_verification"

_legacy_classes: Dict[type, type] = {}


def apply(module: Any) -> List[str]:
    """The fetcher's Hub calls, or pyannote's speechbrain call, as ``module`` needs; returns what
    was patched (nothing on huggingface_hub 0.x and on speechbrain 1.0.x under pyannote)."""
    if module.__name__ == FETCHING:
        return _patch_fetcher(module)
    if module.__name__ == SPEAKER_VERIFICATION:
        return _patch_pyannote_embedding(module)
    return []


# --- speechbrain's fetcher on huggingface_hub >= 1.0 ---------------------------------------------


def legacy_bases(error: type, hub: Any, http_error: type) -> Tuple[type, ...]:
    """The bases huggingface_hub 0.x gave the error class ``error`` that speechbrain's ``except``
    clauses look for and hub >= 1.0 dropped: ``requests``' ``HTTPError`` for the Hub's HTTP errors
    and its offline not-in-cache error, ``ValueError`` too for the latter."""
    errors = getattr(hub, "errors", None)  # huggingface_hub < 0.23 kept them elsewhere, all requests' already
    if errors is None:
        return ()
    if issubclass(error, errors.LocalEntryNotFoundError):
        wanted: Tuple[type, ...] = (http_error, ValueError)
    elif issubclass(error, errors.HfHubHTTPError):
        wanted = (http_error,)
    else:
        return ()
    return tuple(base for base in wanted if not issubclass(error, base))


def as_legacy_error(exc: BaseException, hub: Any, http_error: type) -> None:
    """Give ``exc`` (raised by the Hub) the bases 0.x gave it, in place: same object, message,
    attributes and traceback; its class is a marked subclass of its own, named as its own."""
    error = type(exc)
    try:
        if error not in _legacy_classes:
            bases = legacy_bases(error, hub, http_error)
            if not bases:
                return
            legacy = type(error.__name__, (error, *bases), {"__module__": error.__module__})
            legacy.__qualname__ = error.__qualname__
            _legacy_classes[error] = mark(legacy)
        exc.__class__ = _legacy_classes[error]
    except TypeError:  # a layout or base order Python refuses: the Hub's error goes on as it is
        pass


def legacy_hub_download(hub: Any, http_error: type, map_keyword: bool) -> Callable[..., Any]:
    """``hub.hf_hub_download`` as 0.x behaved for speechbrain: ``use_auth_token`` taken as
    ``token`` (where ``map_keyword``), errors with 0.x's bases."""
    download = hub.hf_hub_download
    call = token_for_use_auth_token(download) if map_keyword else download

    @functools.wraps(download)
    def hf_hub_download(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            as_legacy_error(exc, hub, http_error)
            raise

    return mark(hf_hub_download)


def hub_view(hub: types.ModuleType, download: Callable[..., Any]) -> types.ModuleType:
    """A module object that answers every name as ``hub`` does, except ``hf_hub_download``."""
    view = types.ModuleType(hub.__name__, hub.__doc__)

    def __getattr__(name: str) -> Any:  # PEP 562: asked for every name the view does not hold
        return getattr(hub, name)

    view.__getattr__ = __getattr__  # type: ignore[method-assign]
    view.hf_hub_download = download  # type: ignore[attr-defined]
    return mark(view)


def _patch_fetcher(fetching: Any) -> List[str]:
    hub = getattr(fetching, "huggingface_hub", None)
    http_error = getattr(fetching, "HTTPError", None)
    if not isinstance(hub, types.ModuleType) or is_ours(hub) or not isinstance(http_error, type):
        return []
    map_keyword = rejects_use_auth_token(hub.hf_hub_download)
    errors = getattr(hub, "errors", None)
    map_errors = errors is not None and bool(legacy_bases(errors.HfHubHTTPError, hub, http_error))
    if not (map_keyword or map_errors):
        return []  # huggingface_hub 0.x: speechbrain works as written
    fetching.huggingface_hub = hub_view(hub, legacy_hub_download(hub, http_error, map_keyword))
    return [f"{fetching.__name__}.huggingface_hub.hf_hub_download"]


# --- pyannote.audio 3.x calling speechbrain >= 1.1 ------------------------------------------------


def keywords_for_speechbrain_1_1(kwargs: Dict[str, Any], fetch_config: type) -> Dict[str, Any]:
    """pyannote 3.x's ``from_hparams`` keywords, written for speechbrain 1.0, as 1.1 takes them:
    ``use_auth_token=``/``revision=`` in ``fetch_config=FetchConfig(token=..., revision=...)``
    (``None`` passes on as in 1.0: the stored token, the main revision), and a ``torch.device`` in
    ``run_opts`` as its name (1.0 moved modules with either; 1.1 parses the name)."""
    mapped = dict(kwargs)
    if "fetch_config" not in mapped and {"use_auth_token", "revision"} & set(mapped):
        token, revision = mapped.pop("use_auth_token", None), mapped.pop("revision", None)
        mapped["fetch_config"] = fetch_config(token=token, revision=revision)
    run_opts = mapped.get("run_opts")
    device = run_opts.get("device") if isinstance(run_opts, dict) else None
    if device is not None and type(device).__name__ == "device" and type(device).__module__ == "torch":
        mapped["run_opts"] = {**run_opts, "device": str(device)}  # type: ignore[dict-item]
    return mapped


def _patch_pyannote_embedding(module: Any) -> List[str]:
    found = getattr(module, "SpeechBrain_EncoderClassifier", None)
    config = _fetch_config()
    if not isinstance(found, type) or is_ours(found) or config is None:
        return []
    classifier: Any = found
    fetch_config: type = config
    if "use_auth_token" in inspect.signature(classifier.from_hparams).parameters:
        return []  # speechbrain 1.0.x takes use_auth_token and revision itself

    class EncoderClassifier(classifier):  # type: ignore[misc]
        """speechbrain's ``EncoderClassifier`` as pyannote.audio 3.x calls it (see the module)."""

        @classmethod
        def from_hparams(cls, *args: Any, **kwargs: Any) -> Any:
            """speechbrain's, taking pyannote 3.x's keywords (``keywords_for_speechbrain_1_1``)."""
            return super().from_hparams(*args, **keywords_for_speechbrain_1_1(kwargs, fetch_config))

    EncoderClassifier.__module__ = classifier.__module__
    module.SpeechBrain_EncoderClassifier = mark(EncoderClassifier)
    return [f"{module.__name__}.SpeechBrain_EncoderClassifier.from_hparams"]


def _fetch_config() -> Optional[type]:
    try:
        from speechbrain.utils.fetching import FetchConfig
    except ImportError:
        return None
    return FetchConfig if isinstance(FetchConfig, type) else None


# --- the doctor's probe --------------------------------------------------------------------------


def probe(folder: str) -> None:
    """``from_hparams`` of a tiny model repo (no ``custom.py``) from an offline Hub cache, and a
    fetch of the absent file, as speechbrain code does them; and pyannote 3.x's speechbrain
    embedding, where installed."""
    import huggingface_hub.constants
    from speechbrain.inference import EncoderClassifier
    from speechbrain.utils.fetching import fetch

    from .._fixtures import populate_hf_cache, write_speechbrain_repo

    repo = write_speechbrain_repo(os.path.join(folder, "repo"))
    cache = os.path.join(folder, "hub-cache")
    populate_hf_cache(
        cache, "ta-compat/speechbrain-probe", {name: os.path.join(repo, name) for name in os.listdir(repo)}
    )
    # speechbrain 1.0.x gives its pretrainer no cache folder: point the Hub's default at the probe's
    default_cache, huggingface_hub.constants.HF_HUB_CACHE = huggingface_hub.constants.HF_HUB_CACHE, cache
    try:
        EncoderClassifier.from_hparams(source="ta-compat/speechbrain-probe", savedir=os.path.join(folder, "saved"))
        # the absent custom.py: "not there" is the ValueError speechbrain's callers expect
        with contextlib.suppress(ValueError):
            fetch("custom.py", "ta-compat/speechbrain-probe", os.path.join(folder, "saved"))
    finally:
        huggingface_hub.constants.HF_HUB_CACHE = default_cache
    try:
        import pyannote.audio
        from pyannote.audio.pipelines import speaker_verification
    except ImportError:
        return
    if str(pyannote.audio.__version__).startswith("3."):  # pyannote 4 passes token= itself
        speaker_verification.CACHE_DIR = folder  # pyannote's savedir: the probe writes only here
        speaker_verification.SpeechBrainPretrainedSpeakerEmbedding(repo, use_auth_token=None)
