"""``from torchaudio import *`` brings the same legacy I/O names on the modern stack as on the
legacy one: each restored name is listed in ``torchaudio.__all__``, as torchaudio 2.8 listed it."""

from __future__ import annotations

from pathlib import Path

from support import Interpreter, clean_env, result_of

LEGACY_IO = ["AudioMetaData", "get_audio_backend", "info", "list_audio_backends", "load", "save", "set_audio_backend"]


def test_star_import_brings_the_legacy_names(modern_python: Path, legacy_python: Path) -> None:
    legacy = result_of(Interpreter(legacy_python).run("torchaudio_star_import"))
    modern = result_of(Interpreter(modern_python).run("torchaudio_star_import"))
    assert legacy["brought"] == modern["brought"] == LEGACY_IO


def test_star_import_without_ta_compat_brings_load_and_save_only(modern_python: Path) -> None:
    """The control: torchaudio 2.11's own __all__ (its load and save are the torchcodec route)."""
    result = Interpreter(modern_python).run("torchaudio_star_import", env=clean_env(TA_COMPAT_DISABLE="1"))
    assert result_of(result)["brought"] == ["load", "save"]
