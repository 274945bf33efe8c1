"""The doctor's environment checks without a torch stack: NVIDIA's compatibility rules, the
findings made from what a torch child reports, the cheap search for numpy-1 extension modules,
the children's timeout, and the report's section and exit status.

The real thing (pyopenjtalk-dict under numpy 2, torchcodec without FFmpeg, torch's own rules) is
in ``test_doctor_environment.py``.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import machinery
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

from support import clean_env
from ta_compat import _doctor as doctor
from ta_compat import _environment as environment
from ta_compat._doctor import EXIT_BROKEN, EXIT_OK, EXIT_STILL_NEEDED, EXIT_UNFIXABLE, Need, Verdict
from ta_compat._environment import Checked, Finding, gpu_findings, kernel_for

#: ``torch.cuda.get_arch_list()`` of the x86_64 wheels: torch 2.5.1+cu124 (before Blackwell) and
#: torch 2.14.1+cu130 (the modern stack's).
TORCH_2_5_CU124 = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
TORCH_2_14_CU130 = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]

# --- NVIDIA's rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capability", "arch_list", "expected"),
    [
        ((12, 0), TORCH_2_5_CU124, None),  # an RTX 50 on a torch built before Blackwell
        ((12, 0), TORCH_2_14_CU130, "sm_120"),
        ((12, 1), TORCH_2_14_CU130, "sm_120"),  # same major, newer minor: the machine code runs
        ((8, 9), TORCH_2_5_CU124, "sm_86"),  # the newest machine code of the same major
        ((8, 0), ["sm_86"], None),  # code for a newer minor does not run on an older one
        ((9, 0), ["sm_80"], None),  # nor across majors
        ((9, 0), ["sm_90a"], "sm_90a"),  # arch-specific code: that capability only
        ((10, 0), ["sm_90a"], None),
        ((10, 3), ["sm_100f"], "sm_100f"),  # family code: the family from that minor on
        ((12, 0), ["sm_100f"], None),
        ((12, 0), ["sm_90", "compute_90"], "compute_90"),  # PTX: any newer GPU, through the JIT
        ((9, 0), ["sm_90", "compute_90"], "sm_90"),  # machine code before PTX
        ((8, 0), ["compute_90"], None),  # PTX for a newer GPU does not run on an older one
        ((11, 0), ["sm_101"], "sm_101"),  # 10.1 was renamed 11.0 (CUDA 13)
        ((10, 1), ["sm_110"], "sm_110"),
        ((10, 1), ["sm_100"], None),
        ((7, 5), [], None),
        ((7, 5), ["gfx90a", "sm_75"], "sm_75"),  # what is no CUDA architecture is left aside
    ],
)
def test_kernel_for(capability: Tuple[int, int], arch_list: Sequence[str], expected: Optional[str]) -> None:
    assert kernel_for(capability, arch_list) == expected


def torch_child(
    devices: Sequence[Tuple[str, Tuple[int, int]]] = (),
    arch_list: Sequence[str] = TORCH_2_14_CU130,
    **fields: Any,
) -> Dict[str, Any]:
    """What the ``torch-gpu`` child reports (with the doctor's ``nvidia_gpu``), for a CUDA build
    that sees ``devices`` unless ``fields`` say otherwise."""
    answer: Dict[str, Any] = {
        "torch": "2.14.1+cu130",
        "cuda": "13.0",
        "hip": None,
        "available": bool(devices),
        "arch_list": list(arch_list),
        "devices": [{"name": name, "capability": list(capability)} for name, capability in devices],
        "warning": None,
        "nvidia_gpu": bool(devices),
    }
    answer.update(fields)
    return answer


RTX_5090 = ("NVIDIA GeForce RTX 5090", (12, 0))


def test_a_gpu_without_kernels_is_an_error_with_the_cuda_that_has_them() -> None:
    (finding,) = gpu_findings(torch_child([RTX_5090], TORCH_2_5_CU124, torch="2.5.1+cu124", cuda="12.4"))
    assert finding.blocking
    assert finding.subject == "GPU 0 NVIDIA GeForce RTX 5090 (sm_120)"
    assert finding.problem == (
        "torch 2.5.1+cu124 has no kernels for it (built for sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90): "
        "every CUDA op fails with 'no kernel image'"
    )
    assert finding.fix == (
        "install torch and torchaudio built for CUDA 12.8 or newer with sm_120 in get_arch_list() "
        "(python -m pip install --force-reinstall torch torchaudio --index-url https://download.pytorch.org/whl/cu128)"
    )


def test_a_gpu_with_kernels_is_no_finding() -> None:
    assert gpu_findings(torch_child([RTX_5090, ("NVIDIA H100", (9, 0))])) == []


def test_each_gpu_is_checked_on_its_own() -> None:
    findings = gpu_findings(torch_child([("NVIDIA H100", (9, 0)), ("Tesla K80", (3, 7))]))
    assert [(f.subject, f.blocking) for f in findings] == [("GPU 1 Tesla K80 (sm_37)", True)]
    assert "a CUDA that knows this GPU" in findings[0].fix  # no table entry for Kepler: no version guessed


def test_a_gpu_with_ptx_only_is_a_note() -> None:
    (finding,) = gpu_findings(torch_child([RTX_5090], ["sm_80", "sm_90", "compute_90"]))
    assert not finding.blocking
    assert finding.problem.startswith("torch 2.14.1+cu130 has only compute_90 PTX for it")


def test_a_cpu_build_is_a_note_only_where_there_is_an_nvidia_gpu() -> None:
    cpu_build = torch_child(torch="2.14.1+cpu", cuda=None, arch_list=[])
    assert gpu_findings(cpu_build) == []
    (finding,) = gpu_findings({**cpu_build, "nvidia_gpu": True})
    assert (finding.subject, finding.problem, finding.blocking) == (
        "torch 2.14.1+cpu",
        "a CPU-only build on a machine with an NVIDIA driver",
        False,
    )
    assert "--index-url https://download.pytorch.org/whl/cu128" in finding.fix


def test_a_cuda_build_that_cannot_reach_the_gpu_says_why() -> None:
    warning = "CUDA initialization: The NVIDIA driver on your system is too old (found version 12040)."
    answer = torch_child(available=False, nvidia_gpu=True, warning=warning)
    (finding,) = gpu_findings(answer)
    assert finding.blocking
    assert finding.problem == f"built for CUDA 13.0 but cannot use the GPU ({warning})"
    assert finding.fix.startswith("update the NVIDIA driver to one that supports CUDA 13.0")
    assert gpu_findings({**answer, "nvidia_gpu": False}) == []  # no GPU here: nothing to reach


def test_rocm_builds_are_left_to_torch() -> None:
    assert gpu_findings(torch_child([("AMD Instinct MI300X", (9, 4))], ["gfx942"], cuda=None, hip="6.4")) == []


def test_cuda_visible_devices_hiding_every_gpu_expects_none(monkeypatch: pytest.MonkeyPatch) -> None:
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert not environment._nvidia_gpu_expected()


# --- numpy-1 extension modules -----------------------------------------------------------------

EXTENSION = machinery.EXTENSION_SUFFIXES[0]
NUMPY_1_BINARY = b"\x7fELF...numpy.core._multiarray_umath\x00_ARRAY_API\x00"
NUMPY_2_BINARY = b"\x7fELF...numpy._core._multiarray_umath\x00numpy.core._multiarray_umath\x00_ARRAY_API\x00"
PYBIND11_BINARY = b"\x7fELF...FAILURE obtaining numpy _ARRAY_API pointer.\x00"


def distribution(site: Path, name: str, requires: Sequence[str], files: Dict[str, bytes]) -> None:
    """A distribution installed into ``site`` as pip installs one: its files, METADATA, RECORD."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = [f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" + "\n".join(lines) + "\n")
    for file, content in files.items():
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_bytes(content)
    record = [f"{file},," for file in files] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")


def test_numpy_candidates_are_extension_packages_that_require_numpy(tmp_path: Path) -> None:
    distribution(
        tmp_path,
        "old-binding",
        ["numpy>=1.20.0", "six"],
        {
            "old_binding/__init__.py": b"",
            f"old_binding/core{EXTENSION}": NUMPY_1_BINARY,
            f"old_binding/_util{EXTENSION}": b"\x7fELF no numpy here",
            "old_binding.libs/libsomething.so.1": NUMPY_1_BINARY,  # a library, no module
        },
    )
    distribution(tmp_path, "new-binding", ["numpy>=2; python_version >= '3.10'"], {f"new{EXTENSION}": NUMPY_2_BINARY})
    distribution(tmp_path, "pybind-binding", ["numpy"], {f"pyb{EXTENSION}": PYBIND11_BINARY})
    distribution(tmp_path, "pure-python", ["numpy"], {"pure.py": b"import numpy"})
    distribution(tmp_path, "no-numpy", ["cffi"], {f"nonumpy{EXTENSION}": NUMPY_1_BINARY})
    distribution(tmp_path, "numpy-like-name", ["numpy-financial"], {f"npf{EXTENSION}": NUMPY_1_BINARY})
    found = environment.numpy_candidates([str(tmp_path)])
    assert found == {
        "old-binding": ("1.0", {"old_binding.core": str(tmp_path / f"old_binding/core{EXTENSION}")}),
        "new-binding": ("1.0", {}),
        "pybind-binding": ("1.0", {}),
    }


def test_the_first_distribution_of_a_name_on_the_path_is_the_one_checked(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    distribution(first, "Old_Binding", ["numpy"], {f"ob{EXTENSION}": NUMPY_2_BINARY})
    distribution(second, "old-binding", ["numpy"], {f"ob{EXTENSION}": NUMPY_1_BINARY})
    assert environment.numpy_candidates([str(first), str(second)]) == {"old-binding": ("1.0", {})}


def test_built_for_numpy_1_reads_what_it_can(tmp_path: Path) -> None:
    (tmp_path / "empty.so").write_bytes(b"")
    assert not environment.built_for_numpy_1(str(tmp_path / "empty.so"))
    assert not environment.built_for_numpy_1(str(tmp_path / "missing.so"))
    (tmp_path / "old.so").write_bytes(NUMPY_1_BINARY)
    assert environment.built_for_numpy_1(str(tmp_path / "old.so"))


def test_a_known_successor_is_the_fix_else_an_upgrade_or_a_local_build() -> None:
    error = "ValueError: numpy.dtype size changed, may indicate binary incompatibility."
    known = environment._numpy_finding("pyopenjtalk-dict", "0.3.4.dev2", "2.4.6", [("pyopenjtalk.openjtalk", error)])
    assert known.blocking and known.subject == "pyopenjtalk-dict 0.3.4.dev2"
    assert known.problem == f"pyopenjtalk.openjtalk was built for numpy 1 and cannot load under numpy 2.4.6 ({error})"
    assert known.fix.startswith("python -m pip uninstall -y pyopenjtalk-dict && python -m pip install pyopenjtalk-plus")
    other = environment._numpy_finding("old-binding", "1.0", "2.4.6", [("a", error), ("b", error)])
    assert other.problem.startswith("a (and 1 more) was built for numpy 1")
    assert other.fix == (
        "install a release of old-binding built for numpy 2 (python -m pip install --upgrade old-binding), or build "
        "this one here: python -m pip install --force-reinstall --no-deps --no-binary old-binding old-binding==1.0"
    )


def test_a_file_that_is_no_extension_module_is_reported_by_the_child(tmp_path: Path) -> None:
    fake = tmp_path / f"fake{EXTENSION}"
    fake.write_bytes(NUMPY_1_BINARY)
    (error,) = environment._load_extensions({"fake": str(fake)}, timeout=60).values()
    assert error is not None and error.startswith("ImportError: ")


# --- children ------------------------------------------------------------------------------------


def test_a_child_past_its_timeout_is_killed_with_what_it_started() -> None:
    """The grandchild keeps the output pipes open: only killing the whole group ends the wait."""
    sleeper = "import time; time.sleep(60)"
    code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(60)"
    started = time.monotonic()
    assert (
        environment._json_of([sys.executable, "-c", code], clean_env(pristine=True), timeout=2) == "timed out after 2 s"
    )
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("print('noise'); print('{\"a\": 1}')", {"a": 1}),
        ("import sys; sys.exit('went wrong')", "exit 1: went wrong"),
        ("print('no json')", "no JSON answer: no json"),
        ("pass", "exit 0: no output"),
    ],
)
def test_a_child_answers_its_last_line_as_json_or_why_not(code: str, expected: Any) -> None:
    assert environment._json_of([sys.executable, "-c", code], clean_env(pristine=True), timeout=60) == expected


def test_the_child_entry_point_refuses_an_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert environment.main(["no-such-check"]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m ta_compat._environment {load-extensions,")


def test_check_runs_every_check_and_reports_progress() -> None:
    """On the interpreter pytest runs on: each check says what it saw, in a fixed order; progress
    comes as each finishes."""
    progress: List[str] = []
    checked = environment.check(progress=progress.append)
    labels = {"numpy ABI", "GPU", "torchcodec"}
    assert {line.partition(": ")[2].rpartition(" (")[0] for line in progress} == labels
    assert [line.rpartition(" ")[2] for line in progress] == ["(1/3)", "(2/3)", "(3/3)"]
    assert [line.split(":")[0] for line in checked.looked_at] == ["numpy ABI", "GPU", "torchcodec"]


# --- the report ----------------------------------------------------------------------------------

NUMPY_FINDING = Finding("numpy-abi", "old-binding 1.0", "core was built for numpy 1", "upgrade it", True)
CODEC_FINDING = Finding("torchcodec", "torchcodec 0.17.0", "cannot load FFmpeg's libraries", "install FFmpeg", False)


def test_summary_lists_the_findings_one_line_each() -> None:
    checked = Checked([NUMPY_FINDING, CODEC_FINDING], ["numpy ABI: ...", "torchcodec: ..."])
    assert environment.summary(checked).splitlines() == [
        "no shim can fix (2):",
        "  ERROR: old-binding 1.0: core was built for numpy 1; fix: upgrade it",
        "  note: torchcodec 0.17.0: cannot load FFmpeg's libraries; fix: install FFmpeg",
    ]
    assert checked.blocking
    assert not Checked([CODEC_FINDING], []).blocking


def test_summary_without_findings_says_what_was_checked() -> None:
    checked = Checked([], ["numpy ABI: numpy 2.4.6, 7 packages", "torchcodec: not installed"])
    assert environment.summary(checked).splitlines() == [
        "nothing found that no shim can fix:",
        "  numpy ABI: numpy 2.4.6, 7 packages",
        "  torchcodec: not installed",
    ]


def test_the_doctor_report_ends_with_the_environment() -> None:
    verdict = Verdict("load", Need.NEEDED, True, "ImportError: TorchCodec is required")
    checked = Checked([NUMPY_FINDING], ["numpy ABI: ..."])
    lines = doctor.report([verdict], {"load": "x"}, as_json=False, checked=checked).splitlines()
    assert lines[-3:] == [
        "with every shim off, 1 of 1 probes fail",
        "no shim can fix (1):",
        "  ERROR: old-binding 1.0: core was built for numpy 1; fix: upgrade it",
    ]
    as_json = json.loads(doctor.report([verdict], {}, as_json=True, checked=checked))
    assert as_json["environment"] == {
        "findings": [
            {
                "check": "numpy-abi",
                "subject": "old-binding 1.0",
                "problem": "core was built for numpy 1",
                "fix": "upgrade it",
                "blocking": True,
            }
        ],
        "checked": ["numpy ABI: ..."],
    }


@pytest.mark.parametrize(
    ("working", "removable", "unfixable", "expected"),
    [
        (True, False, False, EXIT_OK),
        (True, False, True, EXIT_UNFIXABLE),
        (False, False, True, EXIT_BROKEN),  # a broken family outranks the environment
        (True, True, True, EXIT_STILL_NEEDED),  # --removable asks about ta-compat only
    ],
)
def test_exit_status_with_the_environment(working: bool, removable: bool, unfixable: bool, expected: int) -> None:
    verdicts = [Verdict("load", Need.NEEDED, working, "")]
    assert doctor.exit_status(verdicts, removable=removable, unfixable=unfixable) == expected
