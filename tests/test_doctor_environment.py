"""What ``ta-compat doctor`` says no shim can fix, on real venvs: the modern stack as it is, the
modern stack with pyopenjtalk-dict 0.3.4.dev2 (built for numpy 1) under numpy 2, and with it
swapped for the doctor's fix; pyannote.audio 4 with a torchcodec that cannot load FFmpeg, one
that decodes, and one built for another torch. The GPU rules against torch's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from support import Interpreter, result_of, system_ffmpeg

#: The only release of pyopenjtalk-dict (Style-Bert-VITS2's requirement), built against numpy 1.
PYOPENJTALK_DICT = "pyopenjtalk-dict==0.3.4.dev2"


def environment_of(stack: Interpreter, *options: str, status: int = 0) -> Dict[str, Any]:
    """``ta-compat doctor --json`` (``options`` added) in ``stack``: its JSON, after checking that it
    exited with ``status``."""
    result = stack.run_args("-m", "ta_compat", "doctor", "--json", *options)
    assert result.returncode == status, result.stdout + result.stderr
    return dict(json.loads(result.stdout))


def test_nothing_unfixable_on_the_modern_stack(modern_python: Path) -> None:
    checked = environment_of(Interpreter(modern_python), "--environment-only")["environment"]
    assert checked["findings"] == []
    numpy_line, gpu_line, codec_line = checked["checked"]
    assert numpy_line.startswith("numpy ABI: numpy 2.") and numpy_line.endswith(", 0 modules built for numpy 1")
    assert gpu_line.startswith("GPU: torch 2.14.1")
    assert codec_line == "torchcodec: not installed"


def test_gpu_rules_agree_with_torchs_own(modern_python: Path) -> None:
    result = result_of(Interpreter(modern_python).run("gpu_rules"))
    assert result["pairs"] > 200 and result["disagree"] == [], result


@pytest.mark.slow
def test_pyopenjtalk_dict_under_numpy_2_is_named_with_its_fix(fresh_venv: Callable[..., Path], wheel: Path) -> None:
    """The doctor names the package, the module, numpy's own error and the swap; after the swap
    the finding is gone and Japanese g2p runs on numpy 2."""
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", PYOPENJTALK_DICT)
    Interpreter(python).pip("install", "-q", "--no-deps", str(wheel))
    stack = Interpreter(python)
    report = environment_of(stack, status=4)  # families fine, the environment is not
    assert all(v["working"] for v in report["families"] if v["verdict"] == "needed"), report["families"]
    (finding,) = report["environment"]["findings"]
    assert (finding["check"], finding["subject"], finding["blocking"]) == (
        "numpy-abi",
        "pyopenjtalk-dict 0.3.4.dev2",
        True,
    )
    assert finding["problem"].startswith("pyopenjtalk.htsengine (and 1 more) was built for numpy 1 and cannot load")
    assert "(ValueError: numpy.dtype size changed, may indicate binary incompatibility." in finding["problem"]
    assert finding["fix"].startswith(
        "python -m pip uninstall -y pyopenjtalk-dict && python -m pip install pyopenjtalk-plus"
    )
    text = stack.run_args("-m", "ta_compat", "doctor", "--environment-only")
    assert text.returncode == 4
    assert text.stdout.splitlines()[:2] == [
        "no shim can fix (1):",
        f"  ERROR: pyopenjtalk-dict 0.3.4.dev2: {finding['problem']}; fix: {finding['fix']}",
    ]

    Interpreter(python).pip("uninstall", "-y", "-q", "pyopenjtalk-dict")
    Interpreter(python).pip("install", "-q", "pyopenjtalk-plus")
    assert environment_of(stack, "--environment-only")["environment"]["findings"] == []
    g2p = Interpreter(python).run_code("import pyopenjtalk; print(pyopenjtalk.g2p('こんにちは'))")
    assert g2p.returncode == 0 and g2p.stdout.splitlines()[-1] == "k o N n i ch i w a", g2p.stdout + g2p.stderr


def test_torchcodec_without_ffmpeg_is_a_note_with_the_fix(pyannote4: Dict[str, Interpreter]) -> None:
    """A note, not an error: the doctor exits 0 (the torchcodec-fallback family serves torchaudio
    and pyannote there); torchcodec's own callers still fail, and the line says what to install."""
    (finding,) = environment_of(pyannote4["broken-ffmpeg"], "--environment-only")["environment"]["findings"]
    assert finding["check"] == "torchcodec" and not finding["blocking"]
    assert finding["subject"].startswith("torchcodec 0.17.")
    assert finding["problem"].startswith("cannot load FFmpeg's libraries (RuntimeError: Could not load libtorchcodec.")
    assert finding["fix"].startswith("install FFmpeg's shared libraries (apt-get install ffmpeg")


def test_a_torchcodec_that_decodes_is_no_finding(pyannote4: Dict[str, Interpreter]) -> None:
    checked = environment_of(pyannote4["torchcodec"], "--environment-only")["environment"]
    assert checked["findings"] == []
    assert checked["checked"][2].startswith("torchcodec: 0.17.") and checked["checked"][2].endswith(" decodes")


def test_a_torchcodec_built_for_another_torch_names_the_release_to_install(pyannote4: Dict[str, Interpreter]) -> None:
    if not system_ffmpeg():
        pytest.skip("without FFmpeg's libraries the doctor rightly names those first (`apt-get install ffmpeg`)")
    (finding,) = environment_of(pyannote4["torchcodec-0.7"], "--environment-only")["environment"]["findings"]
    assert finding["subject"] == "torchcodec 0.7.0"
    assert finding["problem"].startswith("cannot load with torch 2.14.1")
    assert finding["fix"].startswith("install the torchcodec release made for torch 2.14.1")
