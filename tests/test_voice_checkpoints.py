"""Coqui XTTS, demucs and fairseq checkpoints load through their libraries' own loaders on torch
2.14 with ``weights_only`` on, and nothing unsafe is allowed.

Each library is installed on a hard-link copy of the modern stack (``voice_stacks`` in conftest)
with the wheel; ``tests/scripts/voice_ckpt.py`` writes a checkpoint with the library's own save
path (tiny configs, random weights) and loads it with the library's own loader: with ta-compat,
and with the family off (``TA_COMPAT_DISABLE=<family>``), where the upstream error must come
back. Payloads (``os.system``, ``eval``, ``subprocess.Popen``, ``functools.partial`` of them, ...)
carried inside each library's own objects are refused by the loader and by a plain ``torch.load``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from support import SCRIPTS, Interpreter, result_of

#: family -> (the venv of ``voice_stacks``, the first global torch refuses without the family).
LIBRARIES: Dict[str, Tuple[str, str]] = {
    "xtts": ("xtts", "TTS.tts.configs.xtts_config.XttsConfig"),
    "demucs": ("demucs+fairseq", "demucs.htdemucs.HTDemucs"),
    "fairseq": ("demucs+fairseq", "argparse.Namespace"),
}

#: Where a payload's refusal must point: a global of the payload, never one of the library's.
PAYLOAD_GLOBALS = {
    "os_system": "posix.system",
    "eval": "GLOBAL eval",
    "exec": "GLOBAL exec",
    "subprocess_popen": "Popen",
    "partial_os_system": "functools.partial",
    "partial_eval": "functools.partial",
    "partial_exec": "functools.partial",
    "partial_popen": "functools.partial",
    "getattr_chain": "GLOBAL getattr",
    "attrgetter_chain": "operator.attrgetter",
    "omegaconf_callable": "omegaconf.listconfig.ListConfig",
}


def voice_run(stack: Interpreter, library: str, folder: Path, **env: str) -> Dict[str, Any]:
    """``voice_ckpt.py`` for ``library`` in ``stack``, in a fresh scratch and markers folder."""
    (folder / "scratch").mkdir(parents=True)
    (folder / "markers").mkdir()
    script = os.fspath(SCRIPTS / "voice_ckpt.py")
    return result_of(
        stack.run_args(script, library, os.fspath(folder / "scratch"), os.fspath(folder / "markers"), **env)
    )


@pytest.fixture(scope="module", params=sorted(LIBRARIES))
def runs(
    request: pytest.FixtureRequest, voice_stacks: Dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory
) -> Tuple[str, Dict[str, Dict[str, Any]]]:
    """Each library's run with ta-compat (``on``) and with its family off (``off``)."""
    family: str = request.param
    stack = voice_stacks[LIBRARIES[family][0]]
    folder = tmp_path_factory.mktemp(family)
    return family, {
        "on": voice_run(stack, family, folder / "on"),
        "off": voice_run(stack, family, folder / "off", TA_COMPAT_DISABLE=family),
    }


def test_the_library_loads_its_checkpoint(runs: Tuple[str, Dict[str, Dict[str, Any]]]) -> None:
    family, outcome = runs
    assert outcome["on"]["state"][family] == "applied"
    assert outcome["on"]["load"] == "ok"


def test_off_the_upstream_error_comes_back(runs: Tuple[str, Dict[str, Dict[str, Any]]]) -> None:
    family, outcome = runs
    assert outcome["off"]["state"][family] == "disabled"
    assert outcome["off"]["load"].startswith(f"Unsupported global: GLOBAL {LIBRARIES[family][1]} ")


def test_payloads_are_refused_by_the_loader_and_by_a_plain_load(runs: Tuple[str, Dict[str, Dict[str, Any]]]) -> None:
    _, outcome = runs
    payloads = outcome["on"]["payloads"]
    assert set(payloads) == set(PAYLOAD_GLOBALS)
    for name, (by_loader, by_plain_load) in payloads.items():
        assert PAYLOAD_GLOBALS[name] in by_loader, (name, by_loader)
        assert "GLOBAL" in by_plain_load, (name, by_plain_load)
    assert outcome["on"]["markers"] == [] and outcome["off"]["markers"] == []


def test_scoped_names_end_with_the_loader(runs: Tuple[str, Dict[str, Dict[str, Any]]]) -> None:
    """After the scoped loader returns, a plain ``torch.load`` refuses what only it may load; the
    XTTS config classes are inert and allowed for the process, so there a plain load works."""
    family, outcome = runs
    assert outcome["on"]["leaked"] == []
    if family == "xtts":
        assert outcome["on"]["plain_after"] == "ok"
    else:
        assert outcome["on"]["plain_after"].startswith(f"Unsupported global: GLOBAL {LIBRARIES[family][1]} ")


def test_demucs_4_1_loads_by_itself_and_the_family_stands_aside(
    voice_stacks: Dict[str, Interpreter], tmp_path: Path
) -> None:
    """demucs 4.1 passes ``weights_only=False`` itself: nothing to do, and nothing done."""
    outcome = voice_run(voice_stacks["demucs-4.1"], "demucs", tmp_path)
    assert outcome["state"]["demucs"] == "not needed"
    assert outcome["load"] == "ok"


@pytest.mark.parametrize("family", sorted(LIBRARIES))
def test_doctor_probe_fails_off_and_passes_on(voice_stacks: Dict[str, Interpreter], family: str) -> None:
    """The family's doctor probe (what ``ta-compat doctor`` judges it by), on and off."""
    stack = voice_stacks[LIBRARIES[family][0]]
    on = stack.run_args("-m", "ta_compat._probes", family)
    off = stack.run_args("-m", "ta_compat._probes", family, TA_COMPAT_DISABLE=family)
    assert on.returncode == 0 and off.returncode == 0, on.stderr[-3000:] + off.stderr[-3000:]
    assert json.loads(on.stdout.splitlines()[-1]) == {family: None}
    evidence = json.loads(off.stdout.splitlines()[-1])[family]
    assert evidence.startswith("UnpicklingError: Unsupported global: GLOBAL "), evidence
