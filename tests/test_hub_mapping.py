"""``ta_compat._shims.hub``: passing pyannote's ``use_auth_token`` on as ``token``.

Two small functions stand for ``hf_hub_download`` with the signatures of huggingface_hub 0.x
(``use_auth_token`` accepted: its ``smoothly_deprecate_use_auth_token`` maps it to ``token``,
``huggingface_hub/utils/_validators.py`` of 0.36) and of >= 1.0 (the keyword is gone). Where
huggingface_hub is installed, the real ``hf_hub_download`` is checked too, without any I/O.
"""

from __future__ import annotations

import types
from typing import Any, Dict, Optional

import pytest

from ta_compat._marker import is_ours
from ta_compat._shims import hub

REPO_TYPES = (None, "model", "dataset", "space")


def download_0x(
    repo_id: str,
    filename: str,
    *,
    repo_type: Optional[str] = None,
    token: Optional[str] = None,
    use_auth_token: Optional[str] = None,
    cache_dir: Optional[str] = None,
) -> Dict[str, Any]:
    """``hf_hub_download`` of huggingface_hub 0.x: ``use_auth_token`` maps to ``token`` unless a
    token is given; an invalid repo type is refused before any I/O."""
    if use_auth_token is not None and token is None:
        token = use_auth_token
    if repo_type not in REPO_TYPES:
        raise ValueError(f"Invalid repo type: {repo_type}")
    return {"repo_id": repo_id, "filename": filename, "token": token, "cache_dir": cache_dir}


def download_1x(
    repo_id: str,
    filename: str,
    *,
    repo_type: Optional[str] = None,
    token: Optional[str] = None,
    cache_dir: Optional[str] = None,
) -> Dict[str, Any]:
    """``hf_hub_download`` of huggingface_hub >= 1.0: no ``use_auth_token``."""
    if repo_type not in REPO_TYPES:
        raise ValueError(f"Invalid repo type: {repo_type}")
    return {"repo_id": repo_id, "filename": filename, "token": token, "cache_dir": cache_dir}


@pytest.fixture(autouse=True)
def fresh_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verdicts are cached by the function's ``id``: each test starts without any."""
    monkeypatch.setattr(hub, "_verdicts", {})


def _pyannote_module(download: Any) -> types.ModuleType:
    """A module that imported ``hf_hub_download``, as ``pyannote.audio.core.model`` does."""
    module = types.ModuleType("pyannote_like.core.model")
    module.hf_hub_download = download  # type: ignore[attr-defined]
    return module


def test_only_a_download_that_rejects_the_keyword_is_found_rejecting() -> None:
    assert hub.rejects_use_auth_token(download_1x) is True
    assert hub.rejects_use_auth_token(download_0x) is False


def test_other_type_errors_and_accepting_functions_are_not_rejections() -> None:
    def wrong_arity(repo_id: str) -> None:
        """Refuses the probe's arguments, but not for ``use_auth_token``."""

    def accepts_anything(*args: Any, **kwargs: Any) -> None:
        """Takes every keyword and returns."""

    assert hub.rejects_use_auth_token(wrong_arity) is False
    assert hub.rejects_use_auth_token(accepts_anything) is False


def test_the_verdict_is_cached_per_function() -> None:
    calls = []

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        raise TypeError("hf_hub_download() got an unexpected keyword argument 'use_auth_token'")

    assert hub.rejects_use_auth_token(counting) is True
    assert hub.rejects_use_auth_token(counting) is True
    assert len(calls) == 1
    assert calls[0]["repo_type"] == "ta-compat-probe"  # an invalid repo type: nothing is fetched


@pytest.mark.parametrize(
    ("kwargs", "token"),
    [
        ({"use_auth_token": "hf_user"}, "hf_user"),
        ({"use_auth_token": None}, None),  # None means "not given"
        ({}, None),
        ({"token": "hf_explicit", "use_auth_token": "hf_user"}, "hf_explicit"),  # an explicit token wins
        ({"token": None, "use_auth_token": "hf_user"}, "hf_user"),  # as 0.x: token=None is no token
        ({"token": "hf_explicit"}, "hf_explicit"),
    ],
)
def test_use_auth_token_is_passed_on_as_0x_did(kwargs: Dict[str, Any], token: Optional[str]) -> None:
    mapped = hub.token_for_use_auth_token(download_1x)
    received = mapped("pyannote/segmentation-3.0", "pytorch_model.bin", cache_dir="/cache", **kwargs)
    assert received == {
        "repo_id": "pyannote/segmentation-3.0",
        "filename": "pytorch_model.bin",
        "token": token,
        "cache_dir": "/cache",
    }
    assert download_0x("pyannote/segmentation-3.0", "pytorch_model.bin", cache_dir="/cache", **kwargs) == received


def test_the_wrapper_is_marked_and_keeps_the_original() -> None:
    mapped = hub.token_for_use_auth_token(download_1x)
    assert is_ours(mapped)
    assert mapped.__wrapped__ is download_1x  # type: ignore[attr-defined]
    assert mapped.__name__ == "download_1x"


def test_apply_rebinds_a_rejecting_download_once() -> None:
    module = _pyannote_module(download_1x)
    assert hub.apply(module) == ["pyannote_like.core.model.hf_hub_download"]
    mapped = module.hf_hub_download
    assert is_ours(mapped) and mapped.__wrapped__ is download_1x
    assert mapped("a/b", "c.bin", use_auth_token="hf_user")["token"] == "hf_user"
    assert hub.apply(module) == []  # importlib.reload, or a second target: not wrapped twice
    assert module.hf_hub_download is mapped


@pytest.mark.parametrize("download", [download_0x, None, "hf_hub_download"], ids=["0.x", "missing", "not-callable"])
def test_apply_leaves_other_modules_alone(download: Any) -> None:
    module = _pyannote_module(download)
    if download is None:
        del module.hf_hub_download
    assert hub.apply(module) == []
    assert getattr(module, "hf_hub_download", None) is download


def test_the_installed_huggingface_hub() -> None:
    huggingface_hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed here")
    download = huggingface_hub.hf_hub_download
    major = int(huggingface_hub.__version__.split(".")[0])
    assert hub.rejects_use_auth_token(download) is (major >= 1)
    # mapped, the keyword gets past argument binding to the repo type check: still no I/O
    with pytest.raises(ValueError, match="Invalid repo type"):
        hub.token_for_use_auth_token(download)("ta-compat/probe", "probe.bin", repo_type="x", use_auth_token="hf_x")
