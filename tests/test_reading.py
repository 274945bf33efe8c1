"""Reading without torch: ``ta_compat._reading.SoundfileReader`` on real soundfile files, and the legacy
``info``/backend API, which need soundfile only.

``load`` itself wraps what it reads in a tensor: the torch test layer covers it (``nox -s tests``).
"""

from __future__ import annotations

import io
import types
import warnings
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest
import soundfile

from ta_compat import _legacy_io as legacy_io
from ta_compat._legacy_io import LegacyAPIWarning
from ta_compat._reading import SoundfileReader

FRAMES = 1000


class RecordingSoundFile(soundfile.SoundFile):  # type: ignore[misc]
    """A real ``SoundFile`` that records how many frames each ``read`` asks for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests: List[int] = []

    def read(self, frames: int = -1, *args: Any, **kwargs: Any) -> Any:
        self.requests.append(frames)
        return super().read(frames, *args, **kwargs)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    """A stereo PCM_16 WAV of ``FRAMES`` frames whose samples count up (each frame tells its index)."""
    path = tmp_path / "count.wav"
    ramp = np.arange(FRAMES, dtype=np.int16)
    soundfile.write(path, np.stack([ramp, -ramp], axis=1), 8000, subtype="PCM_16")
    return path


@pytest.fixture
def samples(wav: Path) -> Any:
    return soundfile.read(wav, dtype="int16", always_2d=True)[0]


#: soundfile with the recording ``SoundFile``: the reader opens what it is given.
RECORDING = types.SimpleNamespace(SoundFile=RecordingSoundFile, LibsndfileError=soundfile.LibsndfileError)

#: More frames than numpy can allocate: the reader then reads in blocks up to where the data ends.
BEYOND_MEMORY = 1 << 60


def block_reader(path: Path, block_frames: int = 16) -> Any:
    """A reader of ``path`` whose blocks are ``block_frames`` frames of stereo int16."""
    reader = SoundfileReader(RECORDING, path)
    reader.block_bytes = block_frames * 4
    return reader


# --- SoundfileReader: blocks where the header claims more than memory holds -----------------------


def test_a_long_read_is_clipped_to_the_header_length_first(wav: Path, samples: Any) -> None:
    reader = block_reader(wav)
    data = reader.read(FRAMES - 40, BEYOND_MEMORY, "int16")
    assert reader._file.requests == [40]  # what the header says remains: one read, no blocks
    assert np.array_equal(data, samples[-40:])


def test_a_read_beyond_memory_reads_what_the_file_holds(wav: Path) -> None:
    data = block_reader(wav, 1 << 10).read(0, BEYOND_MEMORY, "float64")
    assert data.shape == (FRAMES, 2)
    assert np.allclose(data, soundfile.read(wav, always_2d=True)[0])


def test_a_read_at_the_end_gives_an_empty_array_of_the_right_shape(wav: Path) -> None:
    data = block_reader(wav).read(FRAMES, 100, "float32")
    assert data.shape == (0, 2) and data.dtype == np.float32


def test_a_read_of_a_truncated_file_gives_the_frames_that_remain(wav: Path, samples: Any) -> None:
    header = 44  # the canonical WAV header soundfile writes
    with open(wav, "r+b") as raw:
        raw.truncate(header + 400 * 4)
    data = block_reader(wav).read(0, BEYOND_MEMORY, "int16")
    assert np.array_equal(data, samples[:400])


def test_channels_first_reads_are_contiguous_slices(wav: Path, samples: Any) -> None:
    data = block_reader(wav).read(10, 100, "int16", channels_first=True)
    assert data.flags.c_contiguous and np.array_equal(data, samples[10:110].T)


# --- info and the backend API ----------------------------------------------------------------------


def test_info_of_a_path_and_of_a_file_object(wav: Path) -> None:
    for source in (str(wav), wav, io.BytesIO(wav.read_bytes())):
        meta = legacy_io.info(source)
        got = (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample, meta.encoding)
        assert got == (8000, FRAMES, 2, 16, "PCM_S")


def test_info_leaves_a_file_object_where_reading_the_header_left_it(wav: Path) -> None:
    with open(wav, "rb") as file_:
        legacy_io.info(file_)
        assert file_.tell() > 0  # legacy does not rewind


def test_audio_metadata_prints_and_pickles_as_legacy_torchaudio_s() -> None:
    meta = legacy_io.AudioMetaData(16000, 32000, 1, 16, "PCM_S")
    assert str(meta) == (
        "AudioMetaData(sample_rate=16000, num_frames=32000, num_channels=1, bits_per_sample=16, encoding=PCM_S)"
    )
    assert type(meta).__module__ == "torchaudio"


def test_backend_queries() -> None:
    assert legacy_io.list_audio_backends() == ["soundfile"]
    legacy_io.set_audio_backend("sox_io")  # any name is accepted: a no-op, as in dispatcher mode


def test_an_unsupported_backend_is_refused_with_the_legacy_error(wav: Path) -> None:
    assert legacy_io.info(wav, backend="soundfile").num_frames == FRAMES
    with pytest.raises(ValueError) as raised:
        legacy_io.info(wav, backend="ffmpeg")
    assert raised.value.args == (
        "Unsupported backend 'ffmpeg' specified; ",
        "please select one of ['soundfile'] instead.",
    )


def test_without_soundfile_there_is_no_backend(wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy_io, "_soundfile", None)  # what the import of soundfile gave: nothing
    assert legacy_io.list_audio_backends() == []
    with pytest.raises(
        RuntimeError, match=r"^Couldn't find appropriate backend to handle uri .*count\.wav and format None"
    ):
        legacy_io.info(wav)
    with pytest.raises(ValueError) as raised:
        legacy_io.info(wav, backend="soundfile")
    assert raised.value.args[1] == "please select one of [] instead."


def test_porting_hints_only_with_ta_compat_warn(wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TA_COMPAT_WARN", raising=False)
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        legacy_io.info(wav)
    assert quiet == []
    monkeypatch.setenv("TA_COMPAT_WARN", "1")
    with pytest.warns(LegacyAPIWarning) as caught:
        legacy_io.info(wav)
    (warning,) = caught
    assert (
        str(warning.message)
        == "torchaudio.info is legacy torchaudio API restored by ta-compat; port to soundfile.info."
    )
    assert warning.filename == __file__  # attributed to the caller's line
