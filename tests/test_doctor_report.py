"""``ta-compat doctor`` without a torch stack: its report, its exit status, and the probe runner.

The verdicts are written by hand here; the probes are made-up families' (``support.made_up``),
whose probe functions pass or raise as real probes do.
"""

from __future__ import annotations

import json
import os
import sys
from typing import List, Optional

import pytest

from support import Interpreter
from support.made_up import EVENTS, made_up, use_families
from ta_compat import _doctor as doctor
from ta_compat import _probes as probes
from ta_compat._doctor import EXIT_BROKEN, EXIT_OK, EXIT_STILL_NEEDED, EXIT_UNFIXABLE, Need, Verdict

NEEDED_WORKS = Verdict("load", Need.NEEDED, True, "ImportError: TorchCodec is required")
NEEDED_BROKEN = Verdict("save", Need.NEEDED, False, "AttributeError: module 'torchaudio' has no attribute 'save'")
NOT_NEEDED = Verdict("info", Need.NOT_NEEDED, True, "")
NOT_NEEDED_BROKEN = Verdict("backends", Need.NOT_NEEDED, False, "ValueError: made-up")
NOT_APPLICABLE = Verdict("hub", Need.NOT_APPLICABLE, True, "target not installed")


def test_need_prints_and_compares_as_its_value() -> None:
    assert [str(need) for need in Need] == ["needed", "not needed", "not applicable"]
    assert Need("not needed") is Need.NOT_NEEDED
    assert {"needed": True}[Need.NEEDED]  # a str: hashes and compares as its value
    assert json.dumps([Need.NOT_APPLICABLE]) == '["not applicable"]'


def test_report_table() -> None:
    upstream = {"load": "ImportError: TorchCodec is required", "save": "AttributeError: ...", "info": None}
    verdicts = [NEEDED_WORKS, NEEDED_BROKEN, NOT_NEEDED_BROKEN, NOT_APPLICABLE]
    assert doctor.report(verdicts, upstream, as_json=False).splitlines() == [
        "family    verdict         with ta-compat  evidence (family off)",
        "load      needed          works           ImportError: TorchCodec is required",
        "save      needed          BROKEN          AttributeError: module 'torchaudio' has no attribute 'save'",
        "backends  not needed      BROKEN          ValueError: made-up",
        "hub       not applicable  -               target not installed",
        "with every shim off, 2 of 3 probes fail",
    ]


def test_report_table_columns_line_up_with_short_family_names() -> None:
    lines = doctor.report([NEEDED_WORKS, NOT_NEEDED], {}, as_json=False).splitlines()
    assert lines[0].index("verdict") == lines[1].index("needed") == lines[2].index("not needed")


def test_report_table_is_as_wide_as_the_longest_family_name() -> None:
    long_name = Verdict("backend-module", Need.NEEDED, True, "ModuleNotFoundError: No module named 'x'")
    lines = doctor.report([NOT_NEEDED, long_name], {}, as_json=False).splitlines()
    assert lines[0].startswith("family          verdict")
    assert lines[1].startswith("info            not needed")
    assert lines[2].startswith("backend-module  needed")
    assert lines[-1] == "with every shim off, 0 of 0 probes fail"


def test_report_json() -> None:
    upstream = {"load": "ImportError: TorchCodec is required", "info": None}
    report = json.loads(doctor.report([NEEDED_WORKS, NOT_NEEDED, NOT_APPLICABLE], upstream, as_json=True))
    assert report == {
        "families": [
            {"family": "load", "verdict": "needed", "working": True, "evidence": "ImportError: TorchCodec is required"},
            {"family": "info", "verdict": "not needed", "working": True, "evidence": ""},
            {"family": "hub", "verdict": "not applicable", "working": True, "evidence": "target not installed"},
        ],
        "all_off": upstream,
    }


@pytest.mark.parametrize(
    ("verdicts", "plain", "removable"),
    [
        ([], EXIT_OK, EXIT_OK),
        ([NEEDED_WORKS], EXIT_OK, EXIT_STILL_NEEDED),
        ([NEEDED_WORKS, NEEDED_BROKEN], EXIT_BROKEN, EXIT_STILL_NEEDED),
        ([NOT_NEEDED, NOT_APPLICABLE], EXIT_OK, EXIT_OK),
        ([NOT_NEEDED_BROKEN], EXIT_OK, EXIT_OK),  # not needed: whether it works does not matter
        ([NOT_NEEDED, NEEDED_BROKEN, NOT_APPLICABLE], EXIT_BROKEN, EXIT_STILL_NEEDED),
    ],
)
def test_exit_status(verdicts: List[Verdict], plain: int, removable: int) -> None:
    assert doctor.exit_status(verdicts, removable=False) == plain
    assert doctor.exit_status(verdicts, removable=True) == removable


def test_exit_statuses_are_distinct() -> None:
    assert (EXIT_OK, EXIT_BROKEN, EXIT_STILL_NEEDED, EXIT_UNFIXABLE) == (0, 1, 3, 4)


# --- the probe runner ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "result"),
    [
        ("probe_passes", None),
        ("probe_fails", "ValueError: load() returned float32"),
        (
            "probe_unpickling_error",
            "UnpicklingError: Unsupported global: GLOBAL omegaconf.listconfig.ListConfig was not an allowed global "
            "by default.",
        ),
        ("fail", "RuntimeError: made-up shim failure"),  # any exception, not only ProbeFailure
    ],
)
def test_run_maps_each_probe_to_none_or_its_key_line(
    monkeypatch: pytest.MonkeyPatch, probe: str, result: Optional[str]
) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_target", probe=probe))
    assert probes.run(["alpha"]) == {"alpha": result}


def test_run_cuts_a_long_error_to_500_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_target", probe="probe_long_error"))
    assert probes.run(["alpha"]) == {"alpha": ("RuntimeError: " + "x" * 2000)[:500]}


def test_run_gives_each_probe_a_fresh_scratch_folder_and_removes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_target"), made_up("beta", "made_up_target"))
    assert probes.run(["alpha", "beta"]) == {"alpha": None, "beta": None}
    folders = [folder for event, folder in EVENTS if event == "probe"]
    assert len(set(folders)) == 2
    assert not any(os.path.exists(folder) for folder in folders)


def test_run_reports_an_unknown_family_as_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    use_families(monkeypatch, made_up("alpha", "made_up_target"))
    assert probes.run(["no-such-family"]) == {"no-such-family": "KeyError: 'no-such-family'"}


def test_probes_main_prints_the_results_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_families(
        monkeypatch, made_up("alpha", "made_up_target"), made_up("beta", "made_up_target", probe="probe_fails")
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # main sets it to 1; monkeypatch puts the original back
    assert probes.main(["alpha,beta"]) == 0
    assert json.loads(capsys.readouterr().out) == {"alpha": None, "beta": "ValueError: load() returned float32"}
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # probes never reach the network


@pytest.mark.parametrize("args", [[], ["load", "save"]])
def test_probes_module_usage_error_exits_2(args: List[str]) -> None:
    result = Interpreter(sys.executable, pristine=True).run_args("-m", "ta_compat._probes", *args, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m ta_compat._probes NAME[,NAME...]")
