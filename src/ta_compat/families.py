"""The registry of shim families: each entry says everything about one family.

A family is applied right after one of its target modules executes (``_ta_compat_bootstrap``
watches the targets; ``_dispatch`` applies the families). Its shim, named ``"module:function"``
as wrapt names its patch targets and imported only when a target fires, receives the target
module, patches only what is missing or broken and returns the names it patched (an empty list:
upstream works, nothing was needed). Its probe, named the same way, is what ``ta-compat doctor``
runs in a fresh interpreter with the family on and off: it raises where the family's job fails.

Adding a family means one entry here, its shim module, and its targets in the bootstrap's
``TARGETS`` (which the tests check against this registry). ``TA_COMPAT_DISABLE=load,save``
turns single families off by these names.
"""

from __future__ import annotations

import pkgutil
import sys
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

__all__ = ["FAMILIES", "Family", "by_name", "by_target", "names"]


@dataclass(frozen=True)
class Family:
    """One shim family."""

    #: The name ``TA_COMPAT_DISABLE``, ``status`` and ``doctor`` use.
    name: str
    #: Modules whose execution applies the family.
    targets: Tuple[str, ...]
    #: ``"module:function"``: called with the executed target module, returns what it patched.
    shim: str
    #: ``"module:function"``: called with a scratch folder in a child interpreter; raises where
    #: the family's job fails (an upstream error, or a result that differs from legacy).
    probe: str
    #: Modules the probe needs; a family without them is "not applicable" here.
    requires: Tuple[str, ...]
    #: Import name of the distribution whose ``__version__`` ``status`` shows for the family.
    package: str
    #: The legacy API the family restores, for ``status`` and the README.
    restores: str
    #: One line on what it does.
    summary: str
    #: ``"module:function"``, optional: called with the target module just before its code
    #: executes (for what the target's own body needs at import time); returns what it patched.
    prepare: Optional[str] = None

    def version(self) -> str:
        """The version of the family's package, as already imported (``"?"`` if it has none)."""
        return str(getattr(sys.modules.get(self.package), "__version__", "?"))

    def apply(self, module: Any) -> List[str]:
        """Run the shim on the executed ``module`` (imports the shim module)."""
        return list(pkgutil.resolve_name(self.shim)(module))

    def prepare_module(self, module: Any) -> List[str]:
        """Run the preparation, if any, on ``module`` before it executes."""
        return list(pkgutil.resolve_name(self.prepare)(module)) if self.prepare else []

    def run_probe(self, folder: str) -> None:
        """Run the probe in this interpreter (imports the probe's module)."""
        pkgutil.resolve_name(self.probe)(folder)


def _torchaudio(name: str, shim: str, restores: str, summary: str) -> Family:
    return Family(
        name,
        ("torchaudio",),
        f"ta_compat.shims.torchaudio_api:{shim}",
        f"ta_compat.probes:{name.replace('-', '_')}",
        ("torchaudio",),
        "torchaudio",
        restores,
        summary,
    )


FAMILIES: Tuple[Family, ...] = (
    _torchaudio(
        "audiometadata",
        "apply_audiometadata",
        "torchaudio.AudioMetaData",
        "the legacy info() result class (pyannote 3.3+ evaluates it at import)",
    ),
    _torchaudio(
        "backends",
        "apply_backends",
        "torchaudio.list_audio_backends, get_audio_backend, set_audio_backend",
        'backend queries: ["soundfile"], None, no-op',
    ),
    _torchaudio(
        "info",
        "apply_info",
        "torchaudio.info",
        "metadata through soundfile, legacy bits_per_sample/encoding tables",
    ),
    _torchaudio(
        "load",
        "apply_load",
        "torchaudio.load",
        "soundfile decoding with legacy dtypes, layout and seeking crops (replaces the torchcodec route)",
    ),
    _torchaudio(
        "save",
        "apply_save",
        "torchaudio.save",
        "soundfile encoding with the legacy subtype table; the kernel's permissions and links as legacy, "
        "atomic where a new file changes nothing else (replaces the torchcodec route)",
    ),
    _torchaudio(
        "backend-module",
        "apply_backend_module",
        "torchaudio.backend.common, torchaudio.backend.soundfile_backend",
        "the legacy module paths (pyannote 3.1.1 imports AudioMetaData from torchaudio.backend.common)",
    ),
    Family(
        "checkpoints",
        ("pyannote.audio.core.model",),
        "ta_compat.shims.checkpoints:apply",
        "ta_compat.probes:checkpoints",
        ("torch", "pyannote.audio"),
        "pyannote.audio",
        "pyannote 3.x checkpoints under torch.load(weights_only=True): torch.load, from_pretrained, "
        "load_from_checkpoint, Trainer(ckpt_path=)",
        "allowlists the inert pyannote names process-wide (enums as stand-ins), the generic ones (omegaconf's as "
        "inert stand-ins) only while a pyannote model loads",
    ),
    Family(
        "numpy-aliases",
        ("pyannote.audio.core.inference",),
        "ta_compat.shims.numpy_aliases:apply",
        "ta_compat.probes:numpy_aliases",
        ("numpy", "pyannote.audio"),
        "pyannote.audio",
        "numpy.NaN, numpy.NAN, numpy.string_ for pyannote.audio 3.x on numpy >= 2",
        "answers the removed names for pyannote's own modules only: hasattr(np, 'NaN') elsewhere stays False",
        prepare="ta_compat.shims.numpy_aliases:apply",
    ),
    Family(
        "hub",
        ("pyannote.audio.core.model", "pyannote.audio.core.pipeline"),
        "ta_compat.shims.hub:apply",
        "ta_compat.probes:hub",
        ("pyannote.audio", "huggingface_hub"),
        "pyannote.audio",
        "use_auth_token= in pyannote's Model/Pipeline.from_pretrained",
        "passes use_auth_token on as token where huggingface_hub >= 1.0 (pyannote 3.x) or pyannote 4.x rejects it",
    ),
    Family(
        "torchcodec-fallback",
        ("torchaudio", "pyannote.audio.core.io"),
        "ta_compat.shims.torchcodec_fallback:apply",
        "ta_compat.probes:torchcodec_fallback",
        ("torchaudio",),
        "torchcodec",
        "pyannote.audio 4.x audio decoding; torchaudio.load_with_torchcodec, save_with_torchcodec",
        "soundfile (PyAV where installed) where torchcodec is missing or cannot load FFmpeg, never over a working one",
        prepare="ta_compat.shims.torchcodec_fallback:prepare",
    ),
    Family(
        "pkg_resources",
        ("pkg_resources",),
        "ta_compat.shims.pkg_resources_subset:apply",
        "ta_compat.shims.pkg_resources_subset:probe",
        (),
        "setuptools",
        "pkg_resources (resource_filename/stream/string, get_distribution, require, parse_version, "
        "iter_entry_points) where setuptools >= 82 or a Python 3.12+ venv has none",
        "a stand-in module with the subset legacy audio packages use (librosa 0.9, resampy, pyopenjtalk, cn2an), "
        "only where no real pkg_resources can be imported",
        prepare="ta_compat.shims.pkg_resources_subset:prepare",
    ),
    Family(
        "onnx-export",
        ("torch.onnx",),
        "ta_compat.shims.onnx_export:apply",
        "ta_compat.shims.onnx_export:probe",
        ("torch", "onnx"),
        "torch",
        "torch.onnx.export's default dynamo=False (torch <= 2.8)",
        "a call that passes no dynamo= exports with the TorchScript exporter, as before torch 2.9; "
        "a call that passes it is untouched",
    ),
    Family(
        "sbv2-dtype",
        ("style_bert_vits2.nlp.bert_models",),
        "ta_compat.shims.sbv2_dtype:apply",
        "ta_compat.shims.sbv2_dtype:probe",
        ("torch", "transformers", "style_bert_vits2"),
        "transformers",
        "transformers 4's float32 default in Style-Bert-VITS2's from_pretrained calls on transformers >= 5",
        "Style-Bert-VITS2's own calls that pass no dtype load in torch's default dtype; every other caller keeps "
        "transformers 5's config dtype",
    ),
)

# The functions below read ``FAMILIES`` at each call, so a family added to it (a test's made-up
# one, say) is picked up by dispatch, ``status``, ``doctor`` and the README table alike.


def names() -> Tuple[str, ...]:
    """Every family name, in registry order."""
    return tuple(family.name for family in FAMILIES)


def by_target(target: str) -> Tuple[Family, ...]:
    """The families applied when ``target`` executes, in registry order."""
    return tuple(family for family in FAMILIES if target in family.targets)


def by_name(name: str) -> Family:
    """The family called ``name`` (``KeyError`` if there is none)."""
    for family in FAMILIES:
        if family.name == name:
            return family
    raise KeyError(name)
