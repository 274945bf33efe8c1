"""The ``numpy-aliases`` family: pyannote.audio 3.x on numpy 2, which removed ``np.NaN``,
``np.NAN`` and ``np.string_``.

``tests/scripts/numpy_pyannote.py`` runs what pyannote users run (import, ``Inference``, a
speaker diarization pipeline on locally built checkpoints, the ``Resegmentation`` pipeline, one
``fast_dev_run`` training step of the segmentation task, pyannote.metrics' report) in three
variants of the modern stack (numpy 2.4): as it is (pyannote.audio 3.4.0), with pyannote.audio
3.1.1 (which cannot even be imported on numpy 2 without the family), and with numpy 1.26 (where
nothing may change). Each variant is built once for the module, as a hard-link copy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

from support import Interpreter, clean_env, result_of, stack_copy

STEPS = ("inference", "diarization", "resegmentation", "training", "metrics_report")
NAN_REMOVED = "AttributeError: `np.NaN` was removed in the NumPy 2.0 release. Use `np.nan` instead."


def run(python: Path, checkpoints: Dict[str, Path], folder: Path, **env: str) -> Dict[str, Any]:
    folder.mkdir()
    paths = json.dumps({kind: os.fspath(checkpoints[kind]) for kind in ("segmentation", "wespeaker")})
    return result_of(Interpreter(python).run("numpy_pyannote", paths, os.fspath(folder), env=clean_env(**env)))


def probe(python: Path) -> Dict[str, Any]:
    """The doctor's probe of the family, as ``ta-compat doctor`` runs it: family on, and off."""
    results = {}
    for state, disable in (("on", ""), ("off", "numpy-aliases")):
        done = Interpreter(python).run_args("-m", "ta_compat._probes", "numpy-aliases", TA_COMPAT_DISABLE=disable)
        assert done.returncode == 0, done.stderr[-3000:]
        results[state] = json.loads(done.stdout.strip().splitlines()[-1])["numpy-aliases"]
    return results


@pytest.fixture(scope="module")
def modern(
    modern_python: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """pyannote.audio 3.4.0 on numpy 2: every shim on, and the numpy family off."""
    folder = tmp_path_factory.mktemp("numpy-modern")
    return {
        "on": run(modern_python, pyannote_checkpoints, folder / "on"),
        "off": run(modern_python, pyannote_checkpoints, folder / "off", TA_COMPAT_DISABLE="numpy-aliases"),
        "probe": probe(modern_python),
    }


@pytest.fixture(scope="module")
def pyannote_3_1_1(
    wheel: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Dict[str, Any]]:
    """pyannote.audio 3.1.1 (its requirements are a subset of 3.4.0's) on numpy 2: on and off."""
    folder = tmp_path_factory.mktemp("numpy-pyannote-3.1.1")
    python = stack_copy("modern", folder / "venv").python
    Interpreter(python).pip("install", "-q", "--no-deps", "pyannote.audio==3.1.1", os.fspath(wheel))
    return {
        "on": run(python, pyannote_checkpoints, folder / "on"),
        "off": run(python, pyannote_checkpoints, folder / "off", TA_COMPAT_DISABLE="numpy-aliases"),
        "probe": probe(python),
    }


@pytest.fixture(scope="module")
def numpy_1(
    wheel: Path, pyannote_checkpoints: Dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Any]:
    """pyannote.audio 3.4.0 on numpy 1.26 (pandas 3 needs numpy 2: pandas 2.2 instead)."""
    folder = tmp_path_factory.mktemp("numpy-1")
    python = stack_copy("modern", folder / "venv").python
    Interpreter(python).pip("install", "-q", "--no-deps", "numpy==1.26.4", "pandas==2.2.3", "pytz", os.fspath(wheel))
    return {**run(python, pyannote_checkpoints, folder / "run"), "probe": probe(python)}


def assert_every_step_works(data: Dict[str, Any]) -> None:
    steps = data["steps"]
    assert {name: steps[name] for name in STEPS} == {
        "inference": {"shape": [2, 589, 3], "finite": True, "nan_default": True},
        "diarization": {"annotation": "Annotation"},
        "resegmentation": {"annotation": "Annotation"},
        "training": {"global_step": 1},
        "metrics_report": {"rows": 2},
    }


def test_pyannote_3_1_1_runs_on_numpy_2(pyannote_3_1_1: Dict[str, Dict[str, Any]]) -> None:
    data = pyannote_3_1_1["on"]
    assert data["import"] == "3.1.1" and data["numpy"].startswith("2.")
    assert_every_step_works(data)
    assert data["state"]["numpy-aliases"] == "applied"


def test_pyannote_3_1_1_cannot_be_imported_on_numpy_2_without_the_family(
    pyannote_3_1_1: Dict[str, Dict[str, Any]],
) -> None:
    """``np.NaN`` is a default argument in its core/inference.py: evaluated at import."""
    data = pyannote_3_1_1["off"]
    assert data["import"] == NAN_REMOVED
    assert "numpy-aliases" not in data["state"]  # the target's own import failed: no family ran


def test_pyannote_3_4_0_runs_on_numpy_2(modern: Dict[str, Dict[str, Any]]) -> None:
    assert modern["on"]["import"] == "3.4.0"
    assert_every_step_works(modern["on"])
    assert modern["on"]["state"]["numpy-aliases"] == "applied"


def test_pyannote_3_4_0_still_needs_the_family_for_resegmentation_and_reports(
    modern: Dict[str, Dict[str, Any]],
) -> None:
    steps = modern["off"]["steps"]
    assert steps["resegmentation"] == {"error": "AttributeError: module 'numpy' has no attribute 'NAN'"}
    assert steps["metrics_report"] == {"error": NAN_REMOVED}  # pyannote.metrics 3.2.1's report()
    assert all("error" not in steps[name] for name in ("inference", "diarization", "training"))


def test_the_removed_names_stay_removed_outside_pyannote(
    modern: Dict[str, Dict[str, Any]], pyannote_3_1_1: Dict[str, Dict[str, Any]]
) -> None:
    """``hasattr(np, "NaN")`` in user code is False before and after pyannote ran, as on numpy 2."""
    for data in (modern["on"], pyannote_3_1_1["on"]):
        assert data["outside_has_NaN"] is False and data["outside_has_NaN_after"] is False
        assert data["getattr_is_numpys"] is False  # answered by ta-compat's wrapper, for pyannote only
    for data in (modern["off"], pyannote_3_1_1["off"]):
        assert data["getattr_is_numpys"] is True  # off: numpy's own __getattr__, untouched


def test_numpy_1_changes_nothing(numpy_1: Dict[str, Any]) -> None:
    assert numpy_1["numpy"] == "1.26.4" and numpy_1["import"] == "3.4.0"
    assert_every_step_works(numpy_1)
    assert numpy_1["state"]["numpy-aliases"] == "not needed"
    assert numpy_1["getattr_is_numpys"] is True
    assert numpy_1["outside_has_NaN"] is True  # numpy 1.x still has it, for everyone


def test_doctor_probe_sees_each_stack(
    modern: Dict[str, Any], pyannote_3_1_1: Dict[str, Any], numpy_1: Dict[str, Any]
) -> None:
    """``ta-compat doctor``'s verdicts: needed (with the error it covers) on numpy 2, not on numpy 1."""
    assert modern["probe"] == {"on": None, "off": "AttributeError: module 'numpy' has no attribute 'NAN'"}
    assert pyannote_3_1_1["probe"] == {"on": None, "off": NAN_REMOVED}
    assert numpy_1["probe"] == {"on": None, "off": None}
