"""The shim families: what each restores, on which module, and how it is switched off.

A family is applied right after its target module executes (see ``_ta_compat_bootstrap``).
Its shim function receives the target module, patches only what is missing or broken and
returns the names it patched (an empty list: upstream works, nothing was needed).
``TA_COMPAT_DISABLE=load,save`` turns single families off by these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Family:
    name: str
    targets: Tuple[str, ...]
    shim: str  # "module:function", imported only when a target fires
    legacy_names: str
    summary: str


_TORCHAUDIO = ("torchaudio",)
_PYANNOTE = ("pyannote.audio.core.model", "pyannote.audio.core.pipeline")

FAMILIES: Tuple[Family, ...] = (
    Family(
        "audiometadata",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_audiometadata",
        "torchaudio.AudioMetaData",
        "the legacy info() result class (pyannote 3.3+ evaluates it at import)",
    ),
    Family(
        "backends",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_backends",
        "torchaudio.list_audio_backends, get_audio_backend, set_audio_backend",
        'backend queries: ["soundfile"], None, no-op',
    ),
    Family(
        "info",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_info",
        "torchaudio.info",
        "metadata through soundfile, legacy bits_per_sample/encoding tables",
    ),
    Family(
        "load",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_load",
        "torchaudio.load",
        "soundfile decoding with legacy dtypes, layout and seeking crops (replaces the torchcodec route)",
    ),
    Family(
        "save",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_save",
        "torchaudio.save",
        "soundfile encoding with the legacy subtype table, atomic writes (replaces the torchcodec route)",
    ),
    Family(
        "backend-module",
        _TORCHAUDIO,
        "ta_compat.shims.torchaudio_api:apply_backend_module",
        "torchaudio.backend.common, torchaudio.backend.soundfile_backend",
        "the legacy module paths (pyannote 3.1.1 imports AudioMetaData from torchaudio.backend.common)",
    ),
    Family(
        "checkpoints",
        _PYANNOTE[:1],
        "ta_compat.shims.checkpoints:apply",
        "Model.from_pretrained under torch.load(weights_only=True)",
        "allowlists the exact names pyannote checkpoints pickle (omegaconf's as inert stand-ins) while pyannote loads",
    ),
    Family(
        "hub",
        _PYANNOTE,
        "ta_compat.shims.hub:apply",
        "hf_hub_download(use_auth_token=) in pyannote's Model/Pipeline.from_pretrained",
        "passes pyannote's use_auth_token on as token, only where huggingface_hub >= 1.0 rejects it",
    ),
)

NAMES = tuple(family.name for family in FAMILIES)


def by_target(target: str) -> Tuple[Family, ...]:
    """The families applied when ``target`` executes."""
    return tuple(family for family in FAMILIES if target in family.targets)
