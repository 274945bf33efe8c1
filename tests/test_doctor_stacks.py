"""The doctor's verdicts on the stacks users move between: the modern stack plus torchcodec
(upstream ``load`` works there, without legacy semantics) and pyannote.audio 4.x, with a torchcodec
that decodes and with one that cannot load FFmpeg."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from support import Interpreter, system_ffmpeg


def doctor(python: Interpreter) -> Dict[str, Any]:
    result = python.run_args("-m", "ta_compat", "doctor", "--json", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return {v["family"]: v for v in json.loads(result.stdout)["families"]}


@pytest.mark.skipif(not system_ffmpeg(), reason="torchcodec needs FFmpeg's shared libraries (nox installs them)")
def test_doctor_with_torchcodec(fresh_venv: Callable[..., Path], wheel: Path) -> None:
    python = fresh_venv("modern")
    Interpreter(python).pip("install", "-q", "torchcodec==0.17.*", "--no-deps")
    Interpreter(python).pip("install", "-q", "--no-deps", str(wheel))
    verdicts = doctor(Interpreter(python))
    # torchcodec makes upstream load/save run, but not with legacy semantics: the verdict says how.
    assert verdicts["load"]["verdict"] == "needed" and verdicts["load"]["working"]
    assert verdicts["load"]["evidence"] == (
        "ProbeFailure: load(normalize=False) returned torch.float32 for a PCM_16 WAV, legacy: torch.int16"
    )
    assert verdicts["save"]["verdict"] == "needed" and verdicts["save"]["working"]
    assert verdicts["save"]["evidence"].endswith("legacy writes them unchanged"), verdicts["save"]
    # The names torchaudio removed stay removed with torchcodec installed.
    assert verdicts["info"]["verdict"] == verdicts["audiometadata"]["verdict"] == "needed"
    assert verdicts["torchcodec-fallback"]["verdict"] == "not needed", verdicts["torchcodec-fallback"]


def test_doctor_with_pyannote_4_and_a_working_torchcodec(pyannote4: Dict[str, Interpreter]) -> None:
    """pyannote.audio 4.x loads with weights_only=False itself and decodes with torchcodec, but
    takes the Hub token as token= only."""
    verdicts = doctor(pyannote4["torchcodec"])
    assert verdicts["checkpoints"]["verdict"] == "not needed", verdicts["checkpoints"]
    assert verdicts["torchcodec-fallback"]["verdict"] == "not needed", verdicts["torchcodec-fallback"]
    assert verdicts["hub"]["verdict"] == "needed" and verdicts["hub"]["working"], verdicts["hub"]
    assert verdicts["hub"]["evidence"] == (
        "ProbeFailure: Model.from_pretrained(use_auth_token=...) passed token=None to the Hub"
    )


def test_doctor_with_pyannote_4_and_a_torchcodec_without_ffmpeg(pyannote4: Dict[str, Interpreter]) -> None:
    """torchcodec imports but cannot load FFmpeg: the family is needed, and the evidence is the
    loading error (pyannote itself believes torchcodec works there)."""
    verdict = doctor(pyannote4["broken-ffmpeg"])["torchcodec-fallback"]
    assert verdict["verdict"] == "needed" and verdict["working"], verdict
    assert verdict["evidence"] == (
        "ProbeFailure: torchcodec cannot decode here: RuntimeError: Could not load libtorchcodec."
    )
