"""Small real inputs for the demo, the tests and the doctor: generated audio, and pyannote,
speechbrain, bark and asteroid checkpoints built from the libraries' own model classes with random
weights (nothing is downloaded).

Checkpoints are saved the way each library's own tools save them (or, for bark, which ships no
save path, laid out as its released files), so the same globals are pickled.
"""

from __future__ import annotations

import os
import pickle
from importlib import import_module
from typing import Any, Dict, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

#: The files of each subset of ``write_diarization_protocol``'s protocol: (key, extension).


def write_speechlike_wav(path: PathLike, seconds: float = 3.0, sample_rate: int = 16000, channels: int = 1) -> str:
    """A deterministic, speech-like (harmonics with a syllable envelope, plus noise) PCM_16 WAV."""
    import numpy as np
    import soundfile

    t = np.arange(int(seconds * sample_rate)) / sample_rate
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t))
    voice = sum(np.sin(2 * np.pi * 140.0 * k * t) / k for k in range(1, 6))
    noise = np.random.default_rng(0).normal(0, 0.05, t.shape)
    mono = 0.3 * envelope * voice + noise
    data = np.stack([mono * (0.9**c) for c in range(channels)], axis=1)
    soundfile.write(os.fspath(path), np.clip(data, -1, 1), sample_rate, subtype="PCM_16")
    return os.fspath(path)


def write_wespeaker_checkpoint(path: PathLike) -> str:
    """A WeSpeaker ResNet34 embedding checkpoint saved exactly like pyannote's ``wespeaker/convert.py``
    (how ``pyannote/wespeaker-voxceleb-resnet34-LM`` was made), with random weights."""
    import pytorch_lightning as pl
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding.wespeaker import WeSpeakerResNet34

    torch.manual_seed(0)
    model: Any = WeSpeakerResNet34()
    model.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=5.0)
    checkpoint = {"state_dict": model.state_dict()}
    model.on_save_checkpoint(checkpoint)
    checkpoint["pytorch-lightning_version"] = pl.__version__
    torch.save(checkpoint, os.fspath(path))
    return os.fspath(path)


def small_pyannet(specifications: Any) -> Any:
    """A small PyanNet (segmentation-3.0's SincNet front end, a narrower LSTM) built for ``specifications``."""
    import torch
    from pyannote.audio.models.segmentation import PyanNet

    torch.manual_seed(0)
    model: Any = PyanNet(
        sincnet={"stride": 10},
        lstm={"hidden_size": 32, "num_layers": 2, "bidirectional": True, "monolithic": True},
        linear={"hidden_size": 32, "num_layers": 2},
    )
    model.specifications = specifications
    model.setup()  # adds the task-dependent classifier, as Model.on_load_checkpoint will
    return model


def one_optimizer_step(model: Any, optimizer: Any) -> None:
    """One real Adam step, so the checkpoint carries real optimizer state (exp_avg, exp_avg_sq, step)."""
    import torch

    model(torch.randn(2, 1, 16000)).sum().backward()
    optimizer.step()
    optimizer.zero_grad()


def attached_trainer(model: Any, optimizer: Any) -> Any:
    """A lightning Trainer holding ``model`` and ``optimizer``, as during ``fit``, without fitting."""
    import pytorch_lightning as pl

    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.strategy.connect(model)
    trainer.strategy.optimizers = [optimizer]
    return trainer


def segmentation_model(duration: float = 10.0) -> Any:
    """A segmentation-3.0-like PyanNet (powerset ``Specifications``: 3 speakers, at most 2 at a
    time, ``duration`` s chunks; a narrower LSTM) with random weights, ready for inference."""
    from pyannote.audio.core.task import Problem, Resolution, Specifications

    specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=duration,
        min_duration=None,
        warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    return small_pyannet(specifications)


def write_segmentation_checkpoint(path: PathLike) -> str:
    """A ``segmentation_model()`` checkpoint written by a real ``Trainer.save_checkpoint`` (random
    weights, one Adam step), so it has lightning's keys (``epoch, global_step,
    pytorch-lightning_version, state_dict, loops, callbacks, optimizer_states, lr_schedulers,
    hparams_name, hyper_parameters``) plus pyannote's own."""
    model = segmentation_model()
    optimizer = model.configure_optimizers()
    one_optimizer_step(model, optimizer)
    attached_trainer(model, optimizer).save_checkpoint(os.fspath(path))
    return os.fspath(path)


def populate_hf_cache(cache_dir: PathLike, repo_id: str, files: Dict[str, PathLike], commit: str = "0" * 40) -> str:
    """Put ``files`` ({name in the repo: local file}) into a Hugging Face cache as ``repo_id``'s
    ``main`` revision, in huggingface_hub's layout (``models--org--name/{blobs,refs,snapshots}``),
    so ``hf_hub_download(repo_id, name, cache_dir=cache_dir)`` resolves them offline. Returns the
    snapshot folder. ``cache_dir`` is what pyannote passes: ``PYANNOTE_CACHE``, or ``HF_HUB_CACHE``."""
    import hashlib
    import shutil

    repo = os.path.join(os.fspath(cache_dir), "models--" + repo_id.replace("/", "--"))
    snapshot = os.path.join(repo, "snapshots", commit)
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    os.makedirs(snapshot, exist_ok=True)
    for name, source in files.items():
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        blob = os.path.join(repo, "blobs", digest)
        shutil.copyfile(source, blob)
        link = os.path.join(snapshot, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.relpath(blob, os.path.dirname(link)), link)
    with open(os.path.join(repo, "refs", "main"), "w") as handle:
        handle.write(commit)
    return snapshot


#: A speechbrain ``EncoderClassifier`` repo as speechbrain's Hub models lay it out (an ECAPA-TDNN,
#: as pyannote's default speechbrain embedding), shrunk to a few thousand weights.
_SPEECHBRAIN_ECAPA = {
    "input_size": 8,
    "channels": [16, 16, 16, 16, 48],
    "kernel_sizes": [5, 3, 3, 3, 1],
    "dilations": [1, 2, 3, 4, 1],
    "attention_channels": 8,
    "lin_neurons": 12,
}
_SPEECHBRAIN_HYPERPARAMS = """\
sample_rate: 16000
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: 8
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
{ecapa}
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
"""


def write_speechbrain_repo(folder: PathLike) -> str:
    """A speechbrain model repo (``hyperparams.yaml``, ``embedding_model.ckpt`` saved as speechbrain's
    checkpointer saves a module: its ``state_dict``) in ``folder``, random weights; returns ``folder``."""
    import torch
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

    os.makedirs(folder, exist_ok=True)
    ecapa = "\n".join(f"    {key}: {value}" for key, value in _SPEECHBRAIN_ECAPA.items())
    with open(os.path.join(folder, "hyperparams.yaml"), "w") as handle:
        handle.write(_SPEECHBRAIN_HYPERPARAMS.format(ecapa=ecapa))
    torch.manual_seed(0)
    torch.save(ECAPA_TDNN(**_SPEECHBRAIN_ECAPA).state_dict(), os.path.join(folder, "embedding_model.ckpt"))
    return os.fspath(folder)


#: pickle's pure-Python pickler, whose ``save_global``, ``write`` and ``memoize`` typeshed leaves out.
_PurePythonPickler: Any = pickle._Pickler


class _Numpy1Pickler(_PurePythonPickler):  # type: ignore[misc]
    """The pure-Python pickler writing numpy's scalar reconstructor under its numpy-1 name,
    ``numpy.core.multiarray.scalar``, as bark's released checkpoints have it. numpy 2's object
    calls itself ``numpy._core.multiarray.scalar``; pickle writes a function as a ``GLOBAL`` opcode
    of its own ``__module__`` and name, so this pickler writes that opcode itself (protocol 2, as
    ``torch.save``; everything else is pickled as usual). numpy 2 still loads the old name."""

    def save_global(self, obj: Any, name: Any = None) -> None:
        """The numpy-1 name for numpy's scalar reconstructor, pickle's own for everything else."""
        import numpy

        multiarray: Any = import_module(
            "numpy._core.multiarray" if hasattr(numpy, "_core") else "numpy.core.multiarray"
        )
        if obj is multiarray.scalar:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\nscalar\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


#: A tiny bark GPT (bark.model.GPTConfig fields); bark's own are 12 layers of 768.
_BARK_GPT = {
    "block_size": 16,
    "input_vocab_size": 32,
    "output_vocab_size": 32,
    "n_layer": 1,
    "n_head": 2,
    "n_embd": 8,
    "dropout": 0.0,
    "bias": False,
}


def write_bark_checkpoint(path: PathLike, config: Optional[Dict[str, Any]] = None) -> str:
    """A bark GPT checkpoint laid out as bark's released ``coarse_2.pt`` (``model``, ``model_args``,
    ``iter_num``, ``best_val_loss`` as a numpy ``float64``, ``config``: the training run's, here
    ``config`` or a placeholder), pickled with the numpy-1 name of the scalar (``_Numpy1Pickler``);
    random weights."""
    import types

    import numpy
    import torch
    from bark.model import GPT, GPTConfig

    torch.manual_seed(0)
    checkpoint = {
        "model": GPT(GPTConfig(**_BARK_GPT)).state_dict(),
        "model_args": dict(_BARK_GPT),
        "iter_num": 10,
        "best_val_loss": numpy.float64(1.25),
        "config": {"batch_size": 1} if config is None else config,
    }
    numpy1 = types.ModuleType("numpy1_pickle")
    numpy1.Pickler = _Numpy1Pickler  # type: ignore[attr-defined]
    torch.save(checkpoint, os.fspath(path), pickle_module=numpy1)
    return os.fspath(path)


def write_asteroid_package(path: PathLike, infos: Optional[Dict[str, Any]] = None) -> str:
    """A ConvTasNet package as asteroid's ``BaseModel.serialize`` writes it (``model_name``,
    ``state_dict``, ``model_args``, ``infos`` with the software versions, plus ``infos``), tiny,
    random weights."""
    import torch
    from asteroid.models import ConvTasNet

    torch.manual_seed(0)
    model = ConvTasNet(
        n_src=2,
        n_blocks=1,
        n_repeats=1,
        bn_chan=8,
        hid_chan=8,
        skip_chan=8,
        n_filters=16,
        kernel_size=16,
        stride=8,
        sample_rate=8000,
    )
    package = model.serialize()
    package["infos"].update(infos or {})
    torch.save(package, os.fspath(path))
    return os.fspath(path)


#: The characters the tiny Japanese BERT's tokenizer knows (one token each, as the real one's).
TINY_BERT_CHARACTERS = "今日はいい天気ですね。こんにちは、世界！アイウエオカキクケコ"


def write_tiny_deberta(folder: PathLike, hidden_size: int = 1024) -> str:
    """A two-layer DeBERTa-v2 masked LM with random weights and a character tokenizer, saved in
    float16 like ``ku-nlp/deberta-v2-large-japanese-char-wwm`` (whose config says float16) at
    ``<folder>/tiny-deberta``; ``hidden_size`` 1024 is what Style-Bert-VITS2's ``bert_proj`` takes."""
    import torch
    from transformers import BertJapaneseTokenizer, DebertaV2Config, DebertaV2ForMaskedLM

    path = os.path.join(os.fspath(folder), "tiny-deberta")
    os.makedirs(path, exist_ok=True)
    vocab = os.path.join(path, "vocab.txt")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    with open(vocab, "w", encoding="utf-8") as file:
        file.write("\n".join(specials + sorted(set(TINY_BERT_CHARACTERS))) + "\n")
    tokenizer = BertJapaneseTokenizer(vocab, word_tokenizer_type="basic", subword_tokenizer_type="character")
    torch.manual_seed(0)
    config = DebertaV2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=0,
    )
    DebertaV2ForMaskedLM(config).half().save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
