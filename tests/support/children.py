"""Child processes: their environment, how one is started, and how its report is read."""

from __future__ import annotations

import collections
import functools
import json
import os
import re
import subprocess
from typing import Any, Dict, List, Optional, Sequence

SUBPROCESS_TIMEOUT = 300
#: What a finished child gives back: its status and its captured output.
Result = subprocess.CompletedProcess[str]
#: A child started without waiting for it.
Process = subprocess.Popen[str]

#: The ``TA_COMPAT_DEBUG=1`` line of one shim family applied: ``ta-compat: <target> <version>: <family> <state>``.
DEBUG_LINE = re.compile(r"^ta-compat: (\S+) \S+: (\S+) ", re.M)
#: A message of ta-compat on stderr: printed, or a warning (``<file>:<line>: RuntimeWarning: ...``).
MESSAGE = re.compile(r"^(?:.*Warning: )?ta-compat: ")

#: ta-compat's own switches: a child starts without them unless a test sets them.
SWITCHES = ("TA_COMPAT_DISABLE", "TA_COMPAT_WARN", "TA_COMPAT_DEBUG")
#: Variables that steer the interpreter (or pip) itself, whatever venv it belongs to.
PYTHON_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONWARNINGS",
    "PYTHONNOUSERSITE",
    "PYTHONSAFEPATH",
    "PYTHONVERBOSE",
    "PYTHONINSPECT",
    "VIRTUAL_ENV",
    "PIP_REQUIRE_VIRTUALENV",
)

#: FFmpeg's libraries by the names torchcodec's loader asks for (each major version of FFmpeg 4-9).
FFMPEG_LIBRARIES = ("avutil", "avcodec", "avformat", "avdevice", "avfilter", "swscale", "swresample")


def clean_env(*, unmeasured: bool = False, pristine: bool = False, **overrides: str) -> Dict[str, str]:
    """The current environment without ta-compat's switches, plus ``overrides``: what a child gets
    unless a test says otherwise. ``unmeasured``: without coverage's start-up hook too, for tests of
    what runs at start-up; ``pristine``: without the variables that steer Python itself
    (``PYTHONPATH``, ``VIRTUAL_ENV``, ...), for interpreters other than the test run's."""
    dropped = (("COVERAGE_PROCESS_START",) if unmeasured else ()) + (PYTHON_VARIABLES if pristine else ())
    env = {name: value for name, value in os.environ.items() if not name.startswith(SWITCHES) and name not in dropped}
    env.update(overrides)
    return env


def run_command(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Optional[Dict[str, str]] = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: Optional[float] = SUBPROCESS_TIMEOUT,
    check: bool = False,
) -> Result:
    """Run a program (``argv``) in ``env`` (default: ``clean_env()``) and capture its output as
    text; ``check``: it must succeed. Every child of the tests is started here or by ``start``."""
    result = subprocess.run(
        [os.fspath(part) for part in argv],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert not check or result.returncode == 0, f"{argv}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return result


def start(
    argv: Sequence[str | os.PathLike[str]], *, env: Optional[Dict[str, str]] = None, pipes: bool = False
) -> Process:
    """Start a program without waiting for it (to signal it, or to talk to it: ``pipes`` connects
    its stdin and stdout as text); ``env`` as for ``run_command``."""
    pipe = subprocess.PIPE if pipes else None
    return subprocess.Popen(
        [os.fspath(part) for part in argv],
        env=env if env is not None else clean_env(),
        stdin=pipe,
        stdout=pipe,
        text=True,
    )


def result_of(process: Result) -> Dict[str, Any]:
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


@functools.cache
def system_ffmpeg_library(name: str = "avutil") -> Optional[str]:
    """The soname of FFmpeg's library ``name`` (``libavutil.so.59``) where the dynamic loader's
    cache lists one (Debian's ``ffmpeg``, say); ``None`` where it lists none."""
    listing = run_command(["ldconfig", "-p"], timeout=60).stdout
    for line in listing.splitlines():
        if line.strip().startswith(f"lib{name}.so."):
            return line.split()[0]
    return None


def system_ffmpeg() -> bool:
    """Whether the system has FFmpeg's shared libraries, which a torchcodec could load."""
    return system_ffmpeg_library() is not None
