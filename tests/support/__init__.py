"""What the tests share: one way to start a child interpreter, one clean environment, the venvs,
and the inputs several test modules build (the fake Hub, the payload names, made-up families).

The tests import it as ``support`` (pytest puts ``tests/`` on ``sys.path`` for ``conftest.py``);
the child programs of ``tests/scripts`` that need it put ``tests/`` on their path themselves.
Test modules never start a process with ``subprocess`` themselves: ``Interpreter`` starts Python
children, ``run_command`` every other program.
"""

from __future__ import annotations

from support.children import (
    FFMPEG_LIBRARIES,
    SUBPROCESS_TIMEOUT,
    Result,
    clean_env,
    fires,
    ours,
    result_of,
    run_command,
    system_ffmpeg,
)
from support.interpreter import Interpreter, build_wheel, stack, stack_copy
from support.paths import FAKES, ROOT, SCRIPTS

__all__ = [
    "FAKES",
    "FFMPEG_LIBRARIES",
    "ROOT",
    "SCRIPTS",
    "SUBPROCESS_TIMEOUT",
    "Interpreter",
    "Result",
    "build_wheel",
    "clean_env",
    "fires",
    "ours",
    "result_of",
    "run_command",
    "stack",
    "stack_copy",
    "system_ffmpeg",
]
