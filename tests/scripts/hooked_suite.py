"""A test module that the start-up matrix runs with pytest inside a matrix venv (copied there as
``test_hooked.py``, with ``-W error``): pytest's assertion-rewriting finder sits ahead of ours."""

from __future__ import annotations

import sys


def test_shimmed_under_assertion_rewriting() -> None:
    assert type(sys.meta_path[0]).__name__ == "AssertionRewritingHook"
    import torchaudio

    from ta_compat._marker import is_ours

    assert is_ours(torchaudio.load)


def test_failing_shim_under_filterwarnings_error() -> None:
    from pyannote.audio.core.model import Model  # noqa: F401  (the checkpoint shim fails on this fake torch)

    assert sys.modules["ta_compat._dispatch"].OUTCOMES["checkpoints"].state == "failed"
