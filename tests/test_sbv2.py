"""Style-Bert-VITS2 2.5.0 (its PyPI package, unchanged) on the modern stack with its requirements
adjusted (transformers 5, librosa 0.9.2, setuptools >= 82, onnx/onnxscript/onnxruntime): each step
of its workflow that the package holds, with ta-compat and with the family it needs off (the
upstream error back). Random weights, nothing downloaded (``scripts/sbv2_workflow.py``).

The repository's scripts (``resample.py``, ``bert_gen.py``, ``convert_onnx.py``, ...) are not on
PyPI and CI cannot reach GitHub: each step here does what the script does through the package's
modules, ``convert_onnx.py``'s export call copied as the script makes it.

The families' logic that needs no stack (which transformers loads in the config's dtype, which
``export`` defaults to dynamo) is checked in the fast layer at the end.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of
from support.neighbours import Sbv2

#: What Style-Bert-VITS2's JP-Extra model raises on float16 BERT features (``bert_proj``).
HALF_FEATURES = "RuntimeError: Input type (c10::Half) and bias type (float) should be the same"


def test_librosa_0_9_2_imports_and_resamples(sbv2: Sbv2) -> None:
    """``resample.py`` and ``mel_processing.py`` import librosa 0.9.2, which imports
    ``pkg_resources``; its resampling reads resampy's filter through ``resource_filename``."""
    assert sbv2.step("librosa") == {"librosa": "0.9.2", "resampled": 22050}
    assert sbv2.step("librosa", disable="pkg_resources") == {
        "error": "ModuleNotFoundError: No module named 'pkg_resources'"
    }


def test_the_stand_in_answers_as_setuptools_own_pkg_resources(sbv2: Sbv2) -> None:
    """Every call legacy audio packages make gives what setuptools 81's ``pkg_resources`` gives
    (paths, bytes, versions, ``require``'s resolution, exceptions and their messages), and an
    installed ``pkg_resources`` is the one imported: the stand-in never shadows it."""
    ours = result_of(Interpreter(sbv2.python).run("pkg_resources_calls"))
    real = Interpreter(sbv2.real_setuptools).run("pkg_resources_calls", env=clean_env(TA_COMPAT_DEBUG="1"))
    assert Path(result_of(real)["module"]).parts[-2:] == ("pkg_resources", "__init__.py")
    assert re.search(r"^ta-compat: pkg_resources \S+: pkg_resources not needed", real.stderr, re.M), real.stderr
    assert ours["module"] is None
    assert ours["results"] == result_of(real)["results"]
    assert ours["results"]["librosa registry"] == os.path.join("librosa", "util", "example_data", "registry.txt")
    assert ours["results"]["require conflict"]["raised"] == "VersionConflict"


def test_bert_features_of_style_bert_vits2_load_in_float32(sbv2: Sbv2) -> None:
    """``bert_gen.py``'s features: float32 as with transformers 4; a plain script's ``from_pretrained``
    of the same float16 model keeps transformers 5's default."""
    on = sbv2.step("bert")
    assert on["sbv2_model"] == on["feature"] == "torch.float32"
    assert on["plain_script"] == "torch.float16"
    assert on["feature_shape"][0] == 1024
    off = sbv2.step("bert", disable="sbv2-dtype")
    assert off["sbv2_model"] == off["feature"] == off["plain_script"] == "torch.float16"


def test_tts_model_infers(sbv2: Sbv2) -> None:
    """``TTSModel.infer``, as the app, the editor and ``server_fastapi.py``'s ``/voice`` call it."""
    on = sbv2.step("tts")
    assert on["rate"] == 44100 and on["dtype"] == "int16" and on["samples"] > 0 and on["finite"]
    assert sbv2.step("tts", disable="sbv2-dtype") == {"error": HALF_FEATURES}


def test_convert_onnx_exports_a_model_onnxruntime_runs(sbv2: Sbv2) -> None:
    """``convert_onnx.py``'s export: ``onnx.checker`` accepts the file and onnxruntime synthesizes;
    off, torch 2.14's dynamo exporter fails on the same call."""
    on = sbv2.step("onnx")
    assert on["onnx_bytes"] > 0
    assert on["output_shape"][:2] == [1, 1] and on["output_shape"][2] > 0
    off = sbv2.step("onnx", disable="onnx-export")
    assert set(off) == {"error"}, off


def test_export_calls_that_pass_dynamo_are_untouched(sbv2: Sbv2, tmp_path: Path) -> None:
    """Only a call without ``dynamo=`` changes exporter; the signature shows the legacy default."""
    on = result_of(Interpreter(sbv2.python).run("onnx_export_calls", os.fspath(tmp_path)))
    assert on == {
        "exporters": {"no dynamo=": "torchscript", "dynamo=False": "torchscript", "dynamo=True": "dynamo"},
        "signature default": False,
    }
    off_env = clean_env(TA_COMPAT_DISABLE="onnx-export")
    off = result_of(Interpreter(sbv2.python).run("onnx_export_calls", os.fspath(tmp_path), env=off_env))
    assert off["exporters"]["no dynamo="] == "dynamo" and off["signature default"] is True


def test_onnx_export_changes_nothing_on_torch_2_8(legacy_python: Path) -> None:
    """torch 2.8 exports with the TorchScript exporter by default: nothing to restore."""
    result = Interpreter(legacy_python).run_code("import torch.onnx", env=clean_env(TA_COMPAT_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert re.search(r"^ta-compat: torch\.onnx \S+: onnx-export not needed$", result.stderr, re.M), result.stderr


def test_the_doctor_probes_tell_each_family_needed(sbv2: Sbv2) -> None:
    """The probes ``ta-compat doctor`` runs for the three families (``python -m ta_compat._probes``,
    as the doctor calls it): they work with ta-compat, and each fails with its family off."""
    names = "pkg_resources,onnx-export,sbv2-dtype"

    def probes(disable: str = "") -> Dict[str, Any]:
        env = clean_env(TA_COMPAT_DISABLE=disable) if disable else clean_env()
        result = Interpreter(sbv2.python).run_code("from ta_compat._probes import main; main()", names, env=env)
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout.splitlines()[-1]))

    assert probes() == dict.fromkeys(names.split(","))
    off = probes(disable=names)
    assert off["pkg_resources"] == "ModuleNotFoundError: No module named 'pkg_resources'"
    assert off["onnx-export"].startswith("TorchExportError: "), off
    assert off["sbv2-dtype"] == (
        "ProbeFailure: style_bert_vits2's load_model() loaded the BERT in torch.float16, legacy: torch.float32"
    )


# -- the families' logic, without a stack ----------------------------------------------------------


@pytest.mark.parametrize(("version", "config_dtype"), [("4.57.1", False), ("5.0.0", True), ("5.25.0", True)])
def test_which_transformers_loads_in_the_config_dtype(version: str, config_dtype: bool) -> None:
    from ta_compat._shims.sbv2_dtype import loads_in_config_dtype

    assert loads_in_config_dtype(SimpleNamespace(__version__=version)) is config_dtype


def _export_2_8(model: Any, args: Any = (), f: Any = None, *, dynamo: bool = False) -> Dict[str, Any]:
    return {"dynamo": dynamo}


def _export_2_9(model: Any, args: Any = (), f: Any = None, *, dynamo: bool = True) -> Dict[str, Any]:
    return {"dynamo": dynamo}


def test_onnx_export_is_rebound_only_where_it_defaults_to_dynamo() -> None:
    from ta_compat._shims import onnx_export

    legacy = SimpleNamespace(__name__="torch.onnx", export=_export_2_8)
    assert onnx_export.apply(legacy) == [] and legacy.export is _export_2_8
    modern = SimpleNamespace(__name__="torch.onnx", export=_export_2_9)
    assert onnx_export.apply(modern) == ["torch.onnx.export"]
    assert modern.export(None) == {"dynamo": False}
    assert modern.export(None, dynamo=True) == {"dynamo": True}
    assert onnx_export.apply(modern) == []  # a second import (importlib.reload) wraps nothing again
