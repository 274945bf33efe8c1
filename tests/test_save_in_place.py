"""What other code sees of ``torchaudio.save`` to a path, side by side with legacy torchaudio 2.8.

Legacy's soundfile backend called ``soundfile.write(path, ...)``: libsndfile opens the path in
place. A program holding the file (``tempfile.NamedTemporaryFile``), another process's open
handle, a directory watcher, the file's inode flags and two processes saving to one path all see
that; ta-compat's ``save`` must give each of them the same. Every scenario runs
``tests/scripts/save_in_place.py`` on the legacy stack and on the modern stack with ta-compat.

The one deliberate difference: NaN or infinite samples saved as MP3 raise ``ValueError`` where
legacy's LAME aborted the interpreter.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest

from support import Interpreter, result_of


def both(legacy_python: Path, modern_python: Path, scenario: str, where: Path) -> Tuple[Dict[str, Any], ...]:
    """The scenario's result on legacy torchaudio and on ta-compat, each in a folder of its own."""
    results = []
    for side, python in (("legacy", legacy_python), ("ta-compat", modern_python)):
        folder = where / side
        folder.mkdir()
        results.append(result_of(Interpreter(python).run("save_in_place", scenario, os.fspath(folder))))
    return tuple(results)


def test_a_named_temporary_file_reads_every_byte_as_legacy(
    legacy_python: Path, modern_python: Path, tmp_path: Path
) -> None:
    """``with NamedTemporaryFile(suffix=".wav") as tmp: save(tmp.name, ...); tmp.seek(0); tmp.read()``."""
    legacy, ours = both(legacy_python, modern_python, "named-temporary-file", tmp_path)
    assert ours == legacy
    assert ours["bytes_read"] == ours["size"] > 0


def test_a_save_over_a_file_keeps_its_inode_as_legacy(legacy_python: Path, modern_python: Path, tmp_path: Path) -> None:
    legacy, ours = both(legacy_python, modern_python, "inode", tmp_path)
    assert ours == legacy == {"inode_kept": True}


def test_another_processs_open_handle_sees_the_new_data_as_legacy(
    legacy_python: Path, modern_python: Path, tmp_path: Path
) -> None:
    legacy, ours = both(legacy_python, modern_python, "open-handle", tmp_path)
    assert ours == legacy == {"handle_sees_new_data": True}


def test_a_directory_watcher_sees_legacys_events(legacy_python: Path, modern_python: Path, tmp_path: Path) -> None:
    """``inotifywait -e close_write`` and watchdog react to ``CLOSE_WRITE`` under the saved name:
    it comes once the data is written, and no other name appears in the folder."""
    legacy, ours = both(legacy_python, modern_python, "inotify", tmp_path)
    assert ours == legacy
    assert ours["new_name"] == ["CREATE take.wav", "OPEN take.wav", "MODIFY take.wav", "CLOSE_WRITE take.wav"]
    assert ours["over_a_file"] == ["OPEN take.wav", "MODIFY take.wav", "CLOSE_WRITE take.wav"]


def test_inode_flags_are_kept_as_legacy(legacy_python: Path, modern_python: Path, tmp_path: Path) -> None:
    """``chattr +d +A`` on a file survives a save over it (ext4, XFS, btrfs have these flags)."""
    legacy, ours = both(legacy_python, modern_python, "chattr", tmp_path)
    if "unsupported" in ours:
        pytest.skip(f"the scratch file system has no inode flags: {ours['unsupported']}")
    assert ours == legacy == {"flags_kept": True}


@pytest.mark.parametrize("scenario", ["concurrent-new", "concurrent-existing"])
def test_concurrent_saves_leave_one_writers_whole_output_as_legacy(
    legacy_python: Path, modern_python: Path, tmp_path: Path, scenario: str
) -> None:
    """Two processes saving to one path, 15 times each: the file they leave is one of the two
    recordings, and nothing else is in the folder. (A reader polling meanwhile sees half-written
    files, on both sides alike: the script counts them, which is measured, not asserted.)"""
    legacy, ours = both(legacy_python, modern_python, scenario, tmp_path)
    for result in (legacy, ours):
        assert result["final_is_one_writers_output"] and result["listing"] == ["take.wav"], result
        assert result["reads"] > 0


def test_nan_samples_saved_as_mp3_raise_instead_of_aborting(
    legacy_python: Path, modern_python: Path, tmp_path: Path
) -> None:
    """Legacy torchaudio aborts in LAME (SIGABRT, exit 134 in a shell), leaving the file it had
    created; ta-compat raises ``ValueError`` before it opens the file, through ``save`` and through
    the torchcodec fallback's ``save_with_torchcodec`` alike."""
    (tmp_path / "legacy").mkdir()
    legacy = Interpreter(legacy_python).run("save_in_place", "mp3-nan", os.fspath(tmp_path / "legacy"))
    assert legacy.returncode == -signal.SIGABRT and "Assertion" in legacy.stderr, legacy.stderr[-2000:]
    assert os.listdir(tmp_path / "legacy") == ["take.mp3"]
    for scenario in ("mp3-nan", "mp3-nan-torchcodec"):
        folder = tmp_path / scenario
        folder.mkdir()
        ours = result_of(Interpreter(modern_python).run("save_in_place", scenario, os.fspath(folder)))
        assert ours["error"] == "ValueError" and "NaN or infinite samples as MP3" in ours["message"], ours
        assert not ours["created"] and os.listdir(folder) == []


# The encoders of libsndfile that take float samples and compress them: which abort on NaN/inf.
LOSSY = [("MP3", "MPEG_LAYER_III"), ("OGG", "VORBIS"), ("OGG", "OPUS"), ("WAV", "GSM610"), ("WAV", "IMA_ADPCM")]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("container, subtype", LOSSY, ids=[subtype for _, subtype in LOSSY])
def test_only_lames_abort_is_refused(container: str, subtype: str, value: str) -> None:
    """The refusal is as narrow as the crash: in a child, plain ``soundfile.write`` of one
    non-finite sample aborts exactly for MP3, and ta-compat refuses exactly that subtype."""
    from ta_compat._writing import refuse_samples_lame_aborts_on

    code = f"""
        import io, numpy as np, soundfile
        data = np.zeros((16000, 1), dtype=np.float32)
        data[100] = float("{value}")
        soundfile.write(io.BytesIO(), data, 16000, format="{container}", subtype="{subtype}")
    """
    aborts = Interpreter(sys.executable).run_code(code).returncode == -signal.SIGABRT
    assert aborts == (subtype == "MPEG_LAYER_III")
    data = np.zeros((10, 1), dtype=np.float64)
    data[3] = float(value)
    if aborts:
        with pytest.raises(ValueError, match="NaN or infinite samples as MP3"):
            refuse_samples_lame_aborts_on(data, subtype)
    else:
        refuse_samples_lame_aborts_on(data, subtype)
    refuse_samples_lame_aborts_on(np.zeros((10, 1), dtype=np.float32), subtype)  # finite: written
    refuse_samples_lame_aborts_on(np.zeros((10, 1), dtype=np.int16), subtype)
