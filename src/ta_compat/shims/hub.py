"""Let pyannote 3.x download from (or resolve in the cache of) the Hugging Face Hub on
huggingface_hub >= 1.0.

pyannote 3.x ``Model.from_pretrained`` and ``Pipeline.from_pretrained`` call
``hf_hub_download(..., use_auth_token=use_auth_token)``. huggingface_hub 0.x accepted that name
(a deprecated alias of ``token``); 1.0 removed it, so every Hub id (even one already in the cache)
fails with ``TypeError: hf_hub_download() got an unexpected keyword argument 'use_auth_token'``.

Only where the installed ``hf_hub_download`` rejects the keyword, the name ``hf_hub_download``
inside pyannote's calling modules (not huggingface_hub itself, not anyone else's import of it) is
rebound to a wrapper that passes ``use_auth_token`` on as ``token``, with 0.x's rules: ``None``
means "not given" and an explicit ``token`` wins. On huggingface_hub 0.x nothing is patched.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List

from ..marker import is_ours, mark

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


def apply(module: Any) -> List[str]:
    """Rebind ``module.hf_hub_download`` (pyannote's own import of it) where the Hub rejects
    ``use_auth_token``; returns what was patched (nothing on huggingface_hub 0.x)."""
    download = getattr(module, "hf_hub_download", None)
    if not callable(download) or is_ours(download):
        return []
    if not rejects_use_auth_token(download):
        return []
    module.hf_hub_download = token_for_use_auth_token(download)
    return [f"{module.__name__}.hf_hub_download"]
