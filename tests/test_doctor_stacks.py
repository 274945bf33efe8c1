"""The doctor's verdicts on the stacks users move between: the modern stack plus torchcodec
(upstream ``load`` works there, without legacy semantics) and pyannote.audio 4.x, with a torchcodec
that decodes and with one that cannot load FFmpeg."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from conftest import Stack, clean_env, pip


def doctor(python: Path) -> Dict[str, Any]:
    result = subprocess.run(
        [str(python), "-m", "ta_compat", "doctor", "--json"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {v["family"]: v for v in json.loads(result.stdout)["families"]}


def stack_doctor(stack: Stack) -> Dict[str, Any]:
    result = stack.run("-m", "ta_compat", "doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return {v["family"]: v for v in json.loads(result.stdout)["families"]}


def ffmpeg_libraries() -> bool:
    return subprocess.run("ldconfig -p | grep -q libavcodec", shell=True).returncode == 0


@pytest.mark.skipif(not ffmpeg_libraries(), reason="torchcodec needs FFmpeg's shared libraries (nox installs them)")
def test_doctor_with_torchcodec(fresh_venv: Callable[..., Path], wheel: Path) -> None:
    python = fresh_venv("modern")
    pip(python, "install", "-q", "torchcodec==0.17.*", "--no-deps")
    pip(python, "install", "-q", "--no-deps", str(wheel))
    verdicts = doctor(python)
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


def test_doctor_with_pyannote_4_and_a_working_torchcodec(pyannote4: Dict[str, Stack]) -> None:
    """pyannote.audio 4.x loads with weights_only=False itself and decodes with torchcodec, but
    takes the Hub token as token= only."""
    verdicts = stack_doctor(pyannote4["torchcodec"])
    assert verdicts["checkpoints"]["verdict"] == "not needed", verdicts["checkpoints"]
    assert verdicts["torchcodec-fallback"]["verdict"] == "not needed", verdicts["torchcodec-fallback"]
    assert verdicts["hub"]["verdict"] == "needed" and verdicts["hub"]["working"], verdicts["hub"]
    assert verdicts["hub"]["evidence"] == (
        "ProbeFailure: Model.from_pretrained(use_auth_token=...) passed token=None to the Hub"
    )


def test_doctor_with_pyannote_4_and_a_torchcodec_without_ffmpeg(pyannote4: Dict[str, Stack]) -> None:
    """torchcodec imports but cannot load FFmpeg: the family is needed, and the evidence is the
    loading error (pyannote itself believes torchcodec works there)."""
    verdict = stack_doctor(pyannote4["broken-ffmpeg"])["torchcodec-fallback"]
    assert verdict["verdict"] == "needed" and verdict["working"], verdict
    assert verdict["evidence"] == (
        "ProbeFailure: torchcodec cannot decode here: RuntimeError: Could not load libtorchcodec."
    )
