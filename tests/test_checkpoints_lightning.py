"""pyannote 3.x checkpoints through lightning's own loading, and what no checkpoint can do.

``PyanNet.load_from_checkpoint`` and the ``Trainer`` (``fit``/``validate``/``test`` with
``ckpt_path``) load with torch's default ``weights_only=True`` on torch >= 2.6 (lightning 2.6
passes ``None``), and so does a plain ``torch.load``. Each check runs a script of
``tests/scripts`` in a fresh interpreter with the wheel installed: a small segmentation model is
trained for a step on a generated protocol and its ``ModelCheckpoint`` file reloaded and resumed;
the fixture checkpoints (``pyannote_checkpoints`` in conftest) are loaded the same ways. With the
checkpoint family off, the original errors come back.

Then: crafted checkpoints cannot rewrite pyannote's shared ``Enum`` members (they could with the
real classes allowed, as the usual hand-written fix does), and a ``KeyboardInterrupt`` landing
anywhere in ``Model.from_pretrained`` never leaves a name allowed or a signal handler replaced.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of
from support.checkpoints import ENUM_PAYLOAD_FILES

TORCH_VERSION_REFUSED = "Unsupported global: GLOBAL torch.torch_version.TorchVersion was not an allowed global"
LIST_CONFIG_REFUSED = "Unsupported global: GLOBAL omegaconf.listconfig.ListConfig was not an allowed global"
VALIDATION_METRICS = [
    "DiarizationErrorRate",
    "DiarizationErrorRate/Confusion",
    "DiarizationErrorRate/FalseAlarm",
    "DiarizationErrorRate/Miss",
    "loss/val",
    "loss/val/segmentation",
]


def lightning_run(python: Path, checkpoints: Dict[str, Path], folder: Path, **env: str) -> Dict[str, Any]:
    folder.mkdir()
    paths = json.dumps({kind: os.fspath(path) for kind, path in checkpoints.items()})
    return result_of(Interpreter(python).run("ckpt_lightning", paths, os.fspath(folder), env=clean_env(**env)))


@pytest.fixture(scope="module")
def modern(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """ckpt_lightning.py on the modern stack: with every shim on, and with the checkpoint family off."""
    folder = tmp_path_factory.mktemp("lightning")
    return {
        "on": lightning_run(modern_python, pyannote_checkpoints, folder / "on"),
        "off": lightning_run(modern_python, pyannote_checkpoints, folder / "off", TA_COMPAT_DISABLE="checkpoints"),
    }


@pytest.fixture(scope="module")
def legacy(
    legacy_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """ckpt_lightning.py on the legacy stack (torch 2.8 defaults to weights_only=True too), with
    ta-compat and without it at all (torchaudio 2.8 needs no other shim to import pyannote)."""
    folder = tmp_path_factory.mktemp("lightning-legacy")
    return {
        "on": lightning_run(legacy_python, pyannote_checkpoints, folder / "on"),
        "off": lightning_run(legacy_python, pyannote_checkpoints, folder / "off", TA_COMPAT_DISABLE="1"),
    }


@pytest.fixture(params=("modern", "legacy"))
def shimmed(request: pytest.FixtureRequest, modern: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """ckpt_lightning.py's result with ta-compat on, on each stack."""
    return modern["on"] if request.param == "modern" else request.getfixturevalue("legacy")["on"]


def test_model_checkpoint_file_reloads_resumes_and_tests(shimmed: Dict[str, Any]) -> None:
    trained = shimmed["trained"]
    assert trained["written"] == ["epoch=0-step=1.ckpt", "last.ckpt"] and trained["epoch_written"] == 1
    assert trained["torch.load"] == "ok"
    assert trained["load_from_checkpoint"] == ["PyanNet", "MONO_LABEL_CLASSIFICATION"]
    assert trained["resumed"] == [2, 2]  # resumed after epoch 1: one more epoch, one more step
    assert trained["validate"] == trained["test"] == trained["test_best"] == VALIDATION_METRICS
    assert shimmed["state"]["checkpoints"] == "applied"


def test_model_checkpoint_file_fails_without_the_family(modern: Dict[str, Any]) -> None:
    trained = modern["off"]["trained"]
    assert trained["written"] == ["epoch=0-step=1.ckpt", "last.ckpt"]  # saving never needed help
    for step in ("torch.load", "load_from_checkpoint", "resumed", "validate", "test"):
        assert trained[step].startswith(TORCH_VERSION_REFUSED), (step, trained[step])
    assert modern["off"]["state"]["checkpoints"] == "disabled"


def test_model_checkpoint_file_fails_on_the_legacy_stack_without_ta_compat(legacy: Dict[str, Any]) -> None:
    """``TA_COMPAT_DISABLE=1``: the errors torch 2.8 and lightning 2.6 give on their own."""
    off = legacy["off"]
    for step in ("torch.load", "load_from_checkpoint", "resumed", "validate", "test"):
        assert off["trained"][step].startswith(TORCH_VERSION_REFUSED), (step, off["trained"][step])
    for kind, first in (("wespeaker", TORCH_VERSION_REFUSED), ("hydra", LIST_CONFIG_REFUSED)):
        assert off["fixtures"][kind]["load_from_checkpoint"].startswith(first)
    assert off["state"] == {}  # nothing of ta-compat ran


@pytest.mark.parametrize("kind", ("wespeaker", "segmentation", "hydra"))
def test_fixture_checkpoints_through_load_from_checkpoint(
    shimmed: Dict[str, Any], modern: Dict[str, Any], kind: str
) -> None:
    assert shimmed["fixtures"][kind]["load_from_checkpoint"] == "ok"
    first = LIST_CONFIG_REFUSED if kind == "hydra" else TORCH_VERSION_REFUSED
    assert modern["off"]["fixtures"][kind]["load_from_checkpoint"].startswith(first)


@pytest.mark.parametrize("kind", ("wespeaker", "segmentation"))
def test_fixture_checkpoints_through_plain_torch_load(
    shimmed: Dict[str, Any], modern: Dict[str, Any], kind: str
) -> None:
    assert shimmed["fixtures"][kind]["torch.load"] == "ok"
    assert modern["off"]["fixtures"][kind]["torch.load"].startswith(TORCH_VERSION_REFUSED)


def test_hydra_content_stays_refused_by_a_plain_torch_load(shimmed: Dict[str, Any]) -> None:
    """Its generic names (omegaconf's, builtins) are allowed only while a pyannote model loads."""
    assert shimmed["fixtures"]["hydra"]["torch.load"].startswith(LIST_CONFIG_REFUSED)
    assert shimmed["left_allowed"] == []


def test_hydra_checkpoint_loads_in_the_trainer(shimmed: Dict[str, Any], modern: Dict[str, Any]) -> None:
    """The Trainer's checkpoint connector loads it (ListConfig and all) while it holds a pyannote
    model; lightning then wants the loop state a 1.5-era checkpoint never had, as it would with
    weights_only=False."""
    assert shimmed["fixtures"]["hydra"]["validate"] == "KeyError: 'validate_loop'"
    assert modern["off"]["fixtures"]["hydra"]["validate"].startswith(LIST_CONFIG_REFUSED)


# --- no checkpoint changes an object it did not create --------------------------------------------


@pytest.fixture(scope="module")
def enum_payloads(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    folder = tmp_path_factory.mktemp("enum-payloads") / "files"
    base = os.fspath(pyannote_checkpoints["segmentation"])
    result = Interpreter(modern_python).run("ckpt_enum_payloads", os.fspath(folder), base)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def test_crafted_checkpoints_leave_pyannotes_enum_members_alone(modern_python: Path, enum_payloads: Path) -> None:
    data = result_of(Interpreter(modern_python).run("ckpt_enum_loads", os.fspath(enum_payloads)))
    assert data["after"] == data["before"]  # every member: name, value, type and hash
    loads = data["loads"]
    # .pt: torch.load; .ckpt: also from_pretrained, load_from_checkpoint
    assert len(loads) == 4 * len(ENUM_PAYLOAD_FILES)
    for attempt, outcome in loads.items():
        name = attempt.split(".")[0]
        expected = {
            "newobj_build": "TypeError: object.__new__(X): X is not a type object (EnumByValue)",
            "rebuild_from_type": "AttributeError: 'Problem' object has no attribute 'as_subclass'",
        }.get(name, "Can only build Tensor, Parameter, OrderedDict or types allowlisted")
        assert outcome.startswith(expected), (attempt, outcome)


def test_crafted_checkpoints_rewrite_the_members_when_the_real_classes_are_allowed(
    modern_python: Path, enum_payloads: Path
) -> None:
    """The control: the usual hand-written fix (allowlisting TorchVersion, Specifications, Problem,
    Resolution and Introspection process-wide) loads every one of them, and each rewrites its member."""
    env = clean_env(TA_COMPAT_DISABLE="checkpoints")
    data = result_of(
        Interpreter(modern_python).run("ckpt_enum_loads", os.fspath(enum_payloads), "--hand-written-allowlist", env=env)
    )
    assert set(data["loads"].values()) == {"ok"}
    changed = {member for member, fields in data["before"].items() if data["after"].get(member) != fields}
    assert changed == {
        "Problem.BINARY_CLASSIFICATION",
        "Problem.MONO_LABEL_CLASSIFICATION",
        "Problem.MULTI_LABEL_CLASSIFICATION",
        "Problem.REPRESENTATION",
        "Resolution.FRAME",
    }
    assert data["after"]["Problem.BINARY_CLASSIFICATION"][:2] == ["PWNED_BY_CHECKPOINT", 90]
    assert data["after"]["Resolution.FRAME"][2] == "Problem"  # its __class__ swapped


# --- interrupts -----------------------------------------------------------------------------------

#: Seconds each kind of interrupt may take (the sweep needs ~400 calls of ~40 ms).
INTERRUPT_BUDGET = "60"


def test_interrupts_never_leave_a_name_allowed_or_a_handler_replaced(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path]
) -> None:
    """Every bytecode position of the checkpoint shim gets an interrupt, then random delays do."""
    hydra = os.fspath(pyannote_checkpoints["hydra"])  # the most names in use
    result = Interpreter(modern_python).run("ckpt_interrupts", hydra, "20240601", INTERRUPT_BUDGET, timeout=600)
    data = result_of(result)
    assert data["positions"] > 100 and data["swept"] == data["positions"], data  # the whole sweep ran
    assert sum(data["outcome"]["random"].values()) >= 20
    assert data["in_shim"] > 0  # some interrupts surfaced in the shim itself (handed on after its bookkeeping)
    assert data["leaked"] == [] and data["left_allowed"] == []
    assert data["handler_replaced"] == 0
    assert data["load_after"] == "ok"
