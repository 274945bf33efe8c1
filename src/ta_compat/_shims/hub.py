"""Let code written for pyannote.audio 3.x pass ``use_auth_token=`` to ``Model.from_pretrained``
and ``Pipeline.from_pretrained`` on huggingface_hub >= 1.0 and on pyannote.audio 4.x.

pyannote 3.x ``Model.from_pretrained`` and ``Pipeline.from_pretrained`` call
``hf_hub_download(..., use_auth_token=use_auth_token)``. huggingface_hub 0.x accepted that name
(a deprecated alias of ``token``); 1.0 removed it, so every Hub id (even one already in the cache)
fails with ``TypeError: hf_hub_download() got an unexpected keyword argument 'use_auth_token'``.

Only where the installed ``hf_hub_download`` rejects the keyword, the name ``hf_hub_download``
inside pyannote's calling modules (not huggingface_hub itself, not anyone else's import of it) is
rebound to a wrapper that passes ``use_auth_token`` on as ``token``, with 0.x's rules: ``None``
means "not given" and an explicit ``token`` wins. On huggingface_hub 0.x nothing is patched.

pyannote.audio 4.x renamed the keyword itself: its ``Model.from_pretrained`` and
``Pipeline.from_pretrained`` take ``token=``. Passed ``use_auth_token=``, ``Pipeline`` raises
``TypeError`` (pyannote/pyannote-audio#1866) and ``Model`` is worse: the keyword goes through
``**kwargs`` to lightning's ``load_from_checkpoint``, which drops it, so the token silently never
reaches the Hub. Where a ``from_pretrained`` takes ``token`` and not ``use_auth_token``, it is
wrapped to pass ``use_auth_token`` on as ``token`` (``None``: not given; both given: a
``TypeError`` that says which one to keep). One family covers both, as it is one legacy keyword:
pyannote 3.x passes it to the Hub itself and 4.x never does, so at most one of the two patches
applies on a stack, and the doctor's evidence names the layer that rejected it.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from typing import Any, Callable, Dict, List

from .._marker import is_ours, mark
from .._probes import expect

#: The probe's arguments: a valid repo id, an invalid repo type. huggingface_hub 0.x maps
#: ``use_auth_token`` and then raises ``ValueError("Invalid repo type ...")`` before any I/O;
#: >= 1.0 raises ``TypeError`` when binding the keyword. Either way nothing is read or fetched.
_PROBE_ARGS = ("ta-compat/probe", "probe.bin")
_PROBE_KWARGS = {"repo_type": "ta-compat-probe", "use_auth_token": None}

_verdicts: Dict[int, bool] = {}


def rejects_use_auth_token(download: Callable[..., Any]) -> bool:
    """True when calling ``download`` with ``use_auth_token=`` is a ``TypeError`` naming it."""
    key = id(download)
    if key not in _verdicts:
        try:
            download(*_PROBE_ARGS, **_PROBE_KWARGS)
        except TypeError as exc:
            _verdicts[key] = "use_auth_token" in str(exc)
        except Exception:  # accepted the keyword, then refused the repo type (0.x)
            _verdicts[key] = False
        else:
            _verdicts[key] = False
    return _verdicts[key]


def reset() -> None:
    """Forget which ``hf_hub_download`` functions were seen to reject ``use_auth_token``."""
    _verdicts.clear()


def token_for_use_auth_token(download: Callable[..., Any]) -> Callable[..., Any]:
    """``download`` that takes the legacy ``use_auth_token=`` keyword as ``token=``."""

    @functools.wraps(download)
    def hf_hub_download(*args: Any, **kwargs: Any) -> Any:
        if "use_auth_token" in kwargs:
            use_auth_token = kwargs.pop("use_auth_token")
            if use_auth_token is not None and kwargs.get("token") is None:
                kwargs["token"] = use_auth_token
        return download(*args, **kwargs)

    return mark(hf_hub_download)


def accepting_use_auth_token(function: Callable[..., Any], owner: str) -> Callable[..., Any]:
    """pyannote 4's ``function`` (which takes ``token=``) that also takes 3.x's ``use_auth_token=``:
    passed on as ``token`` (``None``: not given; both given: a ``TypeError`` naming the one to keep)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _token_from_use_auth_token(kwargs, owner)
        return function(*args, **kwargs)

    return mark(wrapper)


def inference_accepting_use_auth_token(init: Callable[..., Any], model_class: Any) -> Callable[..., Any]:
    """pyannote 4's ``Inference.__init__`` that also takes 3.x's ``use_auth_token=`` and, as 3.x
    did, a Hub id or a path for ``model``, loaded with ``Model.from_pretrained(model,
    map_location=device, strict=False, token=...)`` (4.x takes a loaded ``Model`` only)."""

    @functools.wraps(init)
    def __init__(self: Any, model: Any, *args: Any, **kwargs: Any) -> None:
        token = kwargs.pop("use_auth_token", None)
        if not isinstance(model, model_class) and isinstance(model, (str, os.PathLike)):
            device = kwargs.get("device", args[6] if len(args) > 6 else None)
            model = model_class.from_pretrained(model, map_location=device, strict=False, token=token)
        init(self, model, *args, **kwargs)

    return mark(__init__)


def _token_from_use_auth_token(kwargs: Dict[str, Any], owner: str) -> None:
    """Move ``use_auth_token`` to ``token`` in ``kwargs``, with huggingface_hub 0.x's rules."""
    if "use_auth_token" not in kwargs:
        return
    use_auth_token = kwargs.pop("use_auth_token")
    if use_auth_token is not None and kwargs.get("token") is not None:
        raise TypeError(
            f"{owner}() got both use_auth_token= (the pyannote.audio 3.x name) "
            "and token=: pass the token once, as token="
        )
    if use_auth_token is not None:
        kwargs["token"] = use_auth_token


def apply(module: Any) -> List[str]:
    """Rebind ``module.hf_hub_download`` (pyannote 3's own import of it) where the Hub rejects
    ``use_auth_token``, and, where pyannote itself no longer takes it (4.x), wrap what 3.x let
    take it: ``Model``/``Pipeline.from_pretrained``, every pipeline's constructor, ``Inference``
    and ``get_model``; returns what was patched."""
    return (
        _rebind_hf_hub_download(module)
        + _accept_use_auth_token(module)
        + _accept_in_pipeline_constructors(module)
        + _accept_in_inference(module)
        + _accept_in_get_model(module)
    )


def _rebind_hf_hub_download(module: Any) -> List[str]:
    download = getattr(module, "hf_hub_download", None)
    if not callable(download) or is_ours(download):
        return []
    if not rejects_use_auth_token(download):
        return []
    module.hf_hub_download = token_for_use_auth_token(download)
    return [f"{module.__name__}.hf_hub_download"]


def _accept_use_auth_token(module: Any) -> List[str]:
    patched = []
    for owner in ("Model", "Pipeline"):
        cls = module.__dict__.get(owner)
        method = getattr(cls, "__dict__", {}).get("from_pretrained")
        function = getattr(method, "__func__", None)
        if function is None or is_ours(function):
            continue
        parameters = inspect.signature(function).parameters
        if "use_auth_token" in parameters or "token" not in parameters:
            continue  # pyannote 3.x: it takes use_auth_token itself
        cls.from_pretrained = classmethod(accepting_use_auth_token(function, f"{owner}.from_pretrained"))
        patched.append(f"{module.__name__}.{owner}.from_pretrained")
    return patched


def _takes_token_only(function: Any) -> bool:
    """Whether ``function`` takes pyannote 4's ``token`` and not 3.x's ``use_auth_token``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "token" in parameters and "use_auth_token" not in parameters


def _accept_in_pipeline_constructors(module: Any) -> List[str]:
    """pyannote 4's pipelines (``SpeakerDiarization``, ``VoiceActivityDetection``, ...) take
    ``token=``; 3.x's took ``use_auth_token=``, which 4.x rejects or, through ``**kwargs``, hands to
    ``Inference`` and loses. Each subclass of ``Pipeline`` defined from now on gets a constructor
    that passes it on as ``token``."""
    pipeline = module.__dict__.get("Pipeline") if module.__name__.endswith(".pipeline") else None
    if pipeline is None or is_ours(getattr(pipeline.__dict__.get("__init_subclass__"), "__func__", None)):
        return []
    if not _takes_token_only(getattr(pipeline.__dict__.get("from_pretrained"), "__func__", None)):
        return []  # pyannote 3.x: its pipelines take use_auth_token themselves

    def __init_subclass__(cls: Any, /, **kwargs: Any) -> None:
        super(pipeline, cls).__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not is_ours(init) and _takes_token_only(init):
            cls.__init__ = accepting_use_auth_token(init, cls.__name__)

    pipeline.__init_subclass__ = classmethod(mark(__init_subclass__))
    return [f"{module.__name__}.Pipeline.__init_subclass__"]


def _accept_in_inference(module: Any) -> List[str]:
    inference, model = module.__dict__.get("Inference"), getattr(module, "Model", None)
    init = getattr(inference, "__dict__", {}).get("__init__")
    if init is None or model is None or is_ours(init) or "use_auth_token" in inspect.signature(init).parameters:
        return []
    if not _takes_token_only(getattr(model, "from_pretrained", None)):
        return []  # pyannote 3.x: Inference takes use_auth_token itself
    inference.__init__ = inference_accepting_use_auth_token(init, model)
    return [f"{module.__name__}.Inference.__init__"]


def _accept_in_get_model(module: Any) -> List[str]:
    get_model = module.__dict__.get("get_model")
    if get_model is None or is_ours(get_model) or not _takes_token_only(get_model):
        return []
    module.get_model = accepting_use_auth_token(get_model, "get_model")
    return [f"{module.__name__}.get_model"]


# --- the doctor's probe ----------------------------------------------------------------------


class _TokenSeen(Exception):
    """Raised by the hub probe's stand-in for pyannote 4's download: the token it was given."""


def probe(folder: str) -> None:
    """``from_pretrained(use_auth_token=...)`` reaches the Hub with the token as ``token``."""
    from pyannote.audio import Model, Pipeline

    token = "hf_ta_compat_doctor_probe"
    # pyannote 4 downloads through pyannote.audio.utils.hf_hub: record the token that reaches it.
    hf_hub = sys.modules.get("pyannote.audio.utils.hf_hub")
    download = getattr(hf_hub, "hf_hub_download", None)

    def seen(*args: object, **kwargs: object) -> None:
        raise _TokenSeen(kwargs.get("token"))

    if hf_hub is not None:
        hf_hub.hf_hub_download = seen  # type: ignore[attr-defined]
    try:
        for loader in (Model, Pipeline):
            try:  # a Hub id, resolved offline in an empty cache: pyannote's own hf_hub_download call
                loader.from_pretrained("ta-compat/doctor-probe", use_auth_token=token, cache_dir=folder)
            except TypeError as exc:
                if "use_auth_token" in str(exc):
                    raise
            except _TokenSeen as exc:
                received = exc.args[0]
                expect(
                    received == token,
                    f"{loader.__name__}.from_pretrained(use_auth_token=...) passed token={received!r} to the Hub",
                )
            except Exception:
                pass  # the call was accepted; the (offline, empty) cache had nothing, as expected
    finally:
        if hf_hub is not None:
            hf_hub.hf_hub_download = download  # type: ignore[attr-defined]
