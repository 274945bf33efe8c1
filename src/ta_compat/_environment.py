"""``ta-compat doctor``'s environment checks: what in this venv no shim can fix, and what to do.

A shim can restore a removed function; it cannot make a binary built for another ABI load. The
doctor names three such problems, one line each with the fix:

- **numpy ABI.** An extension module compiled against numpy 1.x cannot load under numpy 2
  (``ValueError: numpy.dtype size changed, may indicate binary incompatibility``; pyopenjtalk-dict
  0.3.4.dev2, the only release, is one). Candidates are found cheaply, without importing them:
  distributions that require numpy and whose ``RECORD`` lists extension modules; of those, the
  modules whose binary carries numpy 1's C-API import (numpy 2's headers also name
  ``numpy._core``). Each suspect is then loaded in a child interpreter, by its file (its package's
  ``__init__`` may fail first for other reasons), with a timeout: the error it raises is the evidence.
- **GPU architecture.** A torch build without kernels for the installed GPU's compute capability
  (a new GPU on an old torch: "no kernel image is available for execution on the device"). A
  child reports ``torch.cuda.get_device_capability()`` and ``torch.cuda.get_arch_list()``;
  ``gpu_findings`` decides, with NVIDIA's compatibility rules.
- **torchcodec without FFmpeg.** torchcodec imports, then every decode fails. ta-compat's
  ``torchcodec-fallback`` family serves torchaudio and pyannote there; code that calls torchcodec
  itself still fails, so the doctor says so.

Nothing here imports a third-party package into the doctor's own process: every child runs
``python -m ta_compat._environment COMMAND`` and prints one JSON line, and a child that outlives
its timeout is killed with everything it started.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import machinery, metadata
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "CHILD_TIMEOUT",
    "Checked",
    "Finding",
    "as_dict",
    "built_for_numpy_1",
    "check",
    "gpu_findings",
    "kernel_for",
    "main",
    "numpy_candidates",
    "summary",
]

#: Seconds a child may take (torch's import and CUDA's start take a few); then it is killed.
CHILD_TIMEOUT = 60.0

#: What numpy 1.x's ``__multiarray_api.h`` imports to reach the C API; numpy 2's headers try
#: ``numpy._core._multiarray_umath`` first and keep this one as the fallback for numpy 1.
NUMPY_1_C_API = b"numpy.core._multiarray_umath"
NUMPY_2_C_API = b"numpy._core._multiarray_umath"

#: Packages whose numpy-1 build has a numpy-2 successor under another name (verified to install
#: and import on numpy 2.4 with torch 2.14): the fix is to swap them, not to upgrade.
REPLACEMENTS = {
    "pyopenjtalk-dict": (
        "pyopenjtalk-plus",
        "the same `import pyopenjtalk`, dictionary bundled, built for numpy 2; its newer front end differs in places",
    ),
}

#: The first CUDA toolkit that compiles for a compute capability (NVIDIA's release notes), for the
#: fix of a torch build without kernels for it.
FIRST_CUDA = {
    (12, 0): "12.8",
    (10, 0): "12.8",
    (9, 0): "11.8",
    (8, 9): "11.8",
    (8, 6): "11.1",
    (8, 0): "11.0",
    (7, 5): "10.0",
    (7, 0): "9.0",
}

#: The CUDA versions PyTorch publishes wheel indexes for (download.pytorch.org/whl/cuXYZ), oldest first.
PYTORCH_CUDA_INDEXES = ("11.8", "12.6", "12.8", "13.0")

#: ``sm_90``, ``sm_90a``, ``sm_100f``, ``compute_120``: what ``torch.cuda.get_arch_list()`` names.
ARCH = re.compile(r"^(sm|compute)_(\d+)([af]?)$")


@dataclass(frozen=True)
class Finding:
    """One thing here that no shim can fix: what, why, and what to do."""

    check: str  #: ``numpy-abi``, ``gpu``, ``torchcodec``
    subject: str  #: the package (and version) or device concerned
    problem: str  #: one line: what fails, with the error seen
    fix: str  #: one line: what to run or install
    blocking: bool  #: code fails whatever ta-compat does (``doctor`` then exits 4)

    def line(self) -> str:
        """The finding as the report's one line."""
        return f"{self.subject}: {self.problem}; fix: {self.fix}"


@dataclass
class Checked:
    """Every check's findings, and one line per check saying what it looked at (so that an
    empty report says what was found fine, not only that nothing was found)."""

    findings: List[Finding] = field(default_factory=list)
    looked_at: List[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """Whether any finding breaks code whatever ta-compat does."""
        return any(finding.blocking for finding in self.findings)


def check(progress: Optional[Callable[[str], None]] = None, timeout: float = CHILD_TIMEOUT) -> Checked:
    """Run every check, each in its own thread (their children run concurrently); ``progress``
    gets a short line as each one finishes."""
    checks = {"numpy ABI": numpy_abi, "GPU": gpu, "torchcodec": torchcodec}
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        futures = {pool.submit(function, timeout): label for label, function in checks.items()}
        for done, future in enumerate(as_completed(futures), start=1):
            if progress:
                progress(f"checked the environment: {futures[future]} ({done}/{len(checks)})")
        results = [future.result() for future in futures]  # in the order of ``checks``: stable output
    return Checked([f for findings, _ in results for f in findings], [looked_at for _, looked_at in results])


def summary(checked: Checked) -> str:
    """The section the doctor's table ends with: one line per finding, or what was checked."""
    if not checked.findings:
        return "\n".join(["nothing found that no shim can fix:", *(f"  {line}" for line in checked.looked_at)])
    lines = [f"no shim can fix ({len(checked.findings)}):"]
    lines += [f"  {'ERROR' if f.blocking else 'note'}: {f.line()}" for f in checked.findings]
    return "\n".join(lines)


def as_dict(checked: Checked) -> Dict[str, Any]:
    """The same for ``doctor --json``."""
    return {"findings": [asdict(finding) for finding in checked.findings], "checked": checked.looked_at}


# --- numpy ABI --------------------------------------------------------------------------------


def numpy_abi(timeout: float) -> Tuple[List[Finding], str]:
    """Extension modules built for numpy 1.x that fail to load under the installed numpy 2."""
    numpy_version = _installed_version("numpy")
    if numpy_version is None:
        return [], "numpy ABI: numpy is not installed"
    candidates = numpy_candidates()
    count = f"{len(candidates)} packages that require numpy and ship extension modules"
    if int(numpy_version.split(".")[0]) < 2:
        return [], f"numpy ABI: numpy {numpy_version} loads numpy 1 and 2 builds alike ({count})"
    suspects = {name: found for name, found in candidates.items() if found[1]}
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = dict(zip(suspects, pool.map(lambda found: _load_extensions(found[1], timeout), suspects.values())))
    findings = []
    for name, errors in loaded.items():
        failed = [(module, error) for module, error in errors.items() if error]
        if failed:
            version = suspects[name][0]
            findings.append(_numpy_finding(name, version, numpy_version, failed))
    built_for_1 = sum(len(found[1]) for found in suspects.values())
    return findings, f"numpy ABI: numpy {numpy_version}, {count}, {built_for_1} modules built for numpy 1"


def numpy_candidates(path: Optional[List[str]] = None) -> Dict[str, Tuple[str, Dict[str, str]]]:
    """``{distribution: (version, {module: file})}`` for every distribution on ``path`` (default
    ``sys.path``) that requires numpy and ships extension modules; the dict holds those of its
    modules built against numpy 1's C API (``built_for_numpy_1``). Reads metadata and binaries
    only: nothing is imported."""
    found: Dict[str, Tuple[str, Dict[str, str]]] = {}
    distributions = metadata.distributions() if path is None else metadata.distributions(path=path)
    for distribution in distributions:
        name = _normalized(distribution.metadata["Name"] or "")
        if not name or name in found or not any(_names_numpy(r) for r in distribution.requires or ()):
            continue  # the first of a name on the path is the one imports get
        extensions = {
            module: str(distribution.locate_file(file))
            for file in distribution.files or ()
            if (module := _extension_module(str(file))) is not None
        }
        if extensions:
            suspects = {module: path for module, path in extensions.items() if built_for_numpy_1(path)}
            found[name] = (distribution.version, suspects)
    return found


def built_for_numpy_1(path: str) -> bool:
    """Whether the binary at ``path`` imports numpy's C API the way only numpy 1.x's headers do."""
    try:
        with open(path, "rb") as binary:
            if os.fstat(binary.fileno()).st_size == 0:
                return False
            with mmap.mmap(binary.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return data.find(NUMPY_1_C_API) >= 0 and data.find(NUMPY_2_C_API) < 0
    except (OSError, ValueError):
        return False


def _numpy_finding(name: str, version: str, numpy_version: str, failed: List[Tuple[str, str]]) -> Finding:
    module, error = failed[0]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    problem = f"{module}{more} was built for numpy 1 and cannot load under numpy {numpy_version} ({error})"
    if name in REPLACEMENTS:
        successor, note = REPLACEMENTS[name]
        fix = f"python -m pip uninstall -y {name} && python -m pip install {successor} ({note})"
    else:
        fix = (
            f"install a release of {name} built for numpy 2 (python -m pip install --upgrade {name}), "
            f"or build this one here: python -m pip install --force-reinstall --no-deps --no-binary {name} "
            f"{name}=={version}"
        )
    return Finding("numpy-abi", f"{name} {version}", problem, fix, blocking=True)


def _names_numpy(requirement: str) -> bool:
    return re.match(r"numpy(?![\w.-])", requirement.strip(), re.IGNORECASE) is not None


def _extension_module(file: str) -> Optional[str]:
    """The dotted module name of a ``RECORD`` entry that is an extension module, else None."""
    if file.startswith(".."):  # scripts and data installed outside site-packages
        return None
    for suffix in machinery.EXTENSION_SUFFIXES:
        if file.endswith(suffix):
            return file[: -len(suffix)].replace("/", ".").replace("\\", ".")
    return None


def _load_extensions(modules: Mapping[str, str], timeout: float) -> Dict[str, Optional[str]]:
    """Load each extension module by its file in one child: ``{module: None or its error}``."""
    answer = _child(["load-extensions", *(f"{module}={path}" for module, path in modules.items())], timeout)
    if isinstance(answer, str):  # a crash or a hang while loading: no error line to quote
        return dict.fromkeys(modules, f"its load in a child failed: {answer}")
    return {module: answer.get(module) for module in modules}


# --- GPU architecture -------------------------------------------------------------------------


def gpu(timeout: float) -> Tuple[List[Finding], str]:
    """Whether torch has kernels for every GPU here (a child imports torch and asks CUDA)."""
    version = _installed_version("torch")
    if version is None:
        return [], "GPU: torch is not installed"
    answer = _child(["torch-gpu"], timeout)
    if isinstance(answer, str):
        return [], f"GPU: torch {version} could not be asked ({answer})"
    answer["nvidia_gpu"] = _nvidia_gpu_expected()
    findings = gpu_findings(answer)
    devices = answer.get("devices") or []
    if devices:
        names = ", ".join(f"{d['name']} (sm_{d['capability'][0]}{d['capability'][1]})" for d in devices)
        return findings, f"GPU: torch {answer['torch']} built for {' '.join(answer['arch_list'])}; found {names}"
    return findings, f"GPU: torch {answer['torch']} sees no CUDA device"


def kernel_for(capability: Tuple[int, int], arch_list: Sequence[str]) -> Optional[str]:
    """The newest entry of ``torch.cuda.get_arch_list()`` whose code runs on a GPU of
    ``capability`` (machine code first, then PTX the driver compiles at first use), or None.

    NVIDIA's rules: ``sm_XY`` machine code runs on X.Z for Z >= Y (same major); ``sm_XYa`` only
    on X.Y; ``sm_XYf`` on the X family from X.Y; ``compute_XY`` PTX on every X.Y and newer. 10.1
    was renamed 11.0 in CUDA 13, so code for either runs on both. (Integrated Jetson GPUs have
    exceptions of their own that this leaves aside.)"""
    device = _renamed(capability)
    machine: List[Tuple[Tuple[int, int], str]] = []
    portable: List[Tuple[Tuple[int, int], str]] = []
    for arch in arch_list:
        match = ARCH.match(arch)
        if not match:
            continue
        kind, number, suffix = match.group(1), int(match.group(2)), match.group(3)
        code = _renamed((number // 10, number % 10))
        if suffix == "a":
            runs = device == code
        elif kind == "sm":
            runs = device[0] == code[0] and device[1] >= code[1]
        else:
            runs = device >= code
        if runs:
            (machine if kind == "sm" else portable).append((code, arch))
    return max(machine or portable)[1] if machine or portable else None


def gpu_findings(answer: Mapping[str, Any]) -> List[Finding]:
    """Findings from what the ``torch-gpu`` child reported: devices without kernels, a CUDA build
    that cannot reach the driver, a CPU-only build on a machine with an NVIDIA GPU (``nvidia_gpu``,
    added by the doctor: the child's torch cannot tell)."""
    torch = f"torch {answer['torch']}"
    cuda, devices = answer.get("cuda"), answer.get("devices") or []
    if answer.get("hip"):
        return []  # ROCm builds name their architectures differently; torch checks them itself
    if cuda is None:
        if not answer.get("nvidia_gpu"):
            return []
        return [Finding("gpu", torch, "a CPU-only build on a machine with an NVIDIA driver", _reinstall(None), False)]
    if not answer.get("available"):
        if not answer.get("nvidia_gpu"):
            return []
        why = answer.get("warning") or "torch.cuda.is_available() is False"
        fix = "update the NVIDIA driver to one that supports CUDA " + str(cuda) + ", or " + _reinstall(None)
        return [Finding("gpu", torch, f"built for CUDA {cuda} but cannot use the GPU ({why})", fix, True)]
    findings = []
    for index, device in enumerate(devices):
        capability = (int(device["capability"][0]), int(device["capability"][1]))
        arch = kernel_for(capability, answer["arch_list"])
        subject = f"GPU {index} {device['name']} (sm_{capability[0]}{capability[1]})"
        built = " ".join(answer["arch_list"]) or "nothing"
        if arch is None:
            problem = f"{torch} has no kernels for it (built for {built}): every CUDA op fails with 'no kernel image'"
            findings.append(Finding("gpu", subject, problem, _reinstall(capability), True))
        elif arch.startswith("compute_"):
            problem = f"{torch} has only {arch} PTX for it: the driver compiles every kernel at first use (slow)"
            findings.append(Finding("gpu", subject, problem, _reinstall(capability), False))
    return findings


def _renamed(capability: Tuple[int, int]) -> Tuple[int, int]:
    return (11, 0) if capability == (10, 1) else capability


def _reinstall(capability: Optional[Tuple[int, int]]) -> str:
    """How to get a torch build with kernels for ``capability`` (any CUDA build where None)."""
    first = None
    if capability is not None:
        known = [cc for cc in FIRST_CUDA if cc[0] == capability[0] and cc <= capability]
        first = FIRST_CUDA[max(known)] if known else None
    index = next((cuda for cuda in PYTORCH_CUDA_INDEXES if _numbers(cuda) >= _numbers(first or "12.8")), "13.0")
    command = (
        "python -m pip install --force-reinstall torch torchaudio "
        f"--index-url https://download.pytorch.org/whl/cu{index.replace('.', '')}"
    )
    if capability is None:
        return f"install a CUDA build of torch and torchaudio ({command})"
    needs = f"CUDA {first} or newer" if first else "a CUDA that knows this GPU"
    sm = f"sm_{capability[0]}{capability[1]}"
    return f"install torch and torchaudio built for {needs} with {sm} in get_arch_list() ({command})"


def _numbers(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _nvidia_gpu_expected() -> bool:
    """Whether torch should see an NVIDIA GPU here: the machine has NVIDIA's driver (Linux's proc
    entry, or ``nvidia-smi``) and ``CUDA_VISIBLE_DEVICES`` does not hide every device on purpose."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):
        return False
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None


# --- torchcodec -------------------------------------------------------------------------------


def torchcodec(timeout: float) -> Tuple[List[Finding], str]:
    """Whether an installed torchcodec decodes (a child decodes a 4-sample WAV)."""
    version = _installed_version("torchcodec")
    if version is None:
        return [], "torchcodec: not installed"
    answer = _child(["torchcodec"], timeout)
    if isinstance(answer, str):
        return [], f"torchcodec: {version} could not be asked ({answer})"
    failure = answer["failure"]
    if failure is None:
        return [], f"torchcodec: {version} decodes"
    subject = f"torchcodec {version}"
    covered = "ta-compat's torchcodec-fallback serves torchaudio and pyannote on soundfile; torchcodec's own users fail"
    if not answer["ffmpeg"]:
        problem = f"cannot load FFmpeg's libraries ({failure}); {covered}"
        fix = "install FFmpeg's shared libraries (apt-get install ffmpeg, conda install ffmpeg) or uninstall torchcodec"
    else:
        torch = _installed_version("torch")
        problem = f"cannot load with torch {torch} ({failure}); {covered}"
        fix = f"install the torchcodec release made for torch {torch} (torchcodec's README lists them), or uninstall it"
    return [Finding("torchcodec", subject, problem, fix, blocking=False)], f"torchcodec: {version} cannot decode"


# --- children ---------------------------------------------------------------------------------


def _child(arguments: List[str], timeout: float) -> Any:
    """``python -m ta_compat._environment ARGUMENTS``'s JSON answer, or a one-line reason there is
    none (the user's ta-compat switches kept, its debug and warning output left out)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TA_COMPAT_WARN", "TA_COMPAT_DEBUG")}
    return _json_of([sys.executable, "-m", "ta_compat._environment", *arguments], env, timeout)


def _json_of(command: List[str], env: Mapping[str, str], timeout: float) -> Any:
    """The JSON of the last line ``command`` prints, or a one-line reason there is none. The child
    leads a process group of its own, killed whole at the timeout, so neither it nor anything it
    started (and that still holds its output pipes) can keep the doctor waiting."""
    posix = os.name == "posix"
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=posix
    )
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
        child.communicate()
        return f"timed out after {timeout:g} s"
    lines = stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {child.returncode}: {tail}"
    try:
        return json.loads(lines[-1])
    except ValueError:
        return f"no JSON answer: {lines[-1][:200]}"


def _installed_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"


def _load_extensions_here(specs: Sequence[str]) -> Dict[str, Optional[str]]:
    """In the child: load each ``module=file`` by its file alone (not its package's ``__init__``)."""
    from importlib.util import module_from_spec, spec_from_file_location

    errors: Dict[str, Optional[str]] = {}
    for spec_text in specs:
        module, _, path = spec_text.partition("=")
        try:
            spec = spec_from_file_location(module, path)
            assert spec is not None and spec.loader is not None, f"no loader for {path}"
            spec.loader.exec_module(module_from_spec(spec))
        except Exception as exc:  # the error is the finding's evidence, whatever its class
            errors[module] = _one_line(exc)
        else:
            errors[module] = None
    return errors


def _torch_gpu_here() -> Dict[str, Any]:
    """In the child: torch's build, and each CUDA device's name and compute capability."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import torch

        available = bool(torch.cuda.is_available())
        devices = [
            {"name": torch.cuda.get_device_name(i), "capability": list(torch.cuda.get_device_capability(i))}
            for i in range(torch.cuda.device_count() if available else 0)
        ]
    return {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "hip": getattr(torch.version, "hip", None),
        "available": available,
        "arch_list": list(torch.cuda.get_arch_list()),
        "devices": devices,
        "warning": next((str(w.message).strip().splitlines()[0] for w in caught if "CUDA" in str(w.message)), None),
    }


def _torchcodec_here() -> Dict[str, Any]:
    """In the child: why torchcodec cannot decode (None where it can), and whether FFmpeg loads."""
    from ._shims.torchcodec_fallback import _ffmpeg_loadable, torchcodec_failure

    return {"failure": torchcodec_failure(), "ffmpeg": _ffmpeg_loadable()}


def main(argv: Optional[List[str]] = None) -> int:
    """The children's entry point: ``python -m ta_compat._environment COMMAND [ARG...]``."""
    argv = sys.argv[1:] if argv is None else argv
    commands: Dict[str, Callable[[Sequence[str]], Any]] = {
        "load-extensions": _load_extensions_here,
        "torch-gpu": lambda _: _torch_gpu_here(),
        "torchcodec": lambda _: _torchcodec_here(),
    }
    if not argv or argv[0] not in commands:
        print(f"usage: python -m ta_compat._environment {{{','.join(commands)}}} [ARG...]", file=sys.stderr)
        return 2
    print(json.dumps(commands[argv[0]](argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
