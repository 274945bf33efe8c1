"""The restored legacy I/O API on the modern stack, tested in the test process itself.

pytest runs inside the modern venv with ta-compat installed, so ``import torchaudio`` below is the
shimmed torchaudio (the ``.pth`` hook fired; ``ta_compat`` is never imported explicitly). What
needs a clean interpreter (warnings, ``-W error``, resource limits, crashes) runs in a subprocess.
Behaviour against the real legacy implementation is in ``test_legacy_io_differential.py``.
"""

from __future__ import annotations

import io
import os
import pickle
import stat
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from support.layers import NEEDS_STACKS, UNDER_NOX

if not UNDER_NOX:  # torch and torchaudio are imported right here, in the test process
    pytest.skip(NEEDS_STACKS, allow_module_level=True)

import torch
import torchaudio

from support import SCRIPTS, Interpreter, clean_env

RATE = 16000


def write_wav(path: Path, channels: int = 2, frames: int = 1600, subtype: str = "PCM_16", seed: int = 0) -> Path:
    data = np.random.default_rng(seed).uniform(-0.5, 0.5, size=(frames, channels))
    soundfile.write(path, data, RATE, subtype=subtype)
    return path


@pytest.fixture
def stereo(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "stereo.wav")


def test_the_modern_stack_is_shimmed() -> None:
    """The premise of this file: torchaudio >= 2.9, with the legacy names back."""
    major, minor = (int(part) for part in torchaudio.__version__.split(".")[:2])
    assert (major, minor) >= (2, 9)
    assert not hasattr(torchaudio, "_backend")
    for name in ("info", "load", "save", "AudioMetaData", "list_audio_backends", "get_audio_backend"):
        assert hasattr(torchaudio, name), name


# --------------------------------------------------------------------------------------------
# AudioMetaData and the backend functions
# --------------------------------------------------------------------------------------------
def test_audiometadata_takes_five_required_arguments_positional_or_keyword() -> None:
    AudioMetaData = torchaudio.AudioMetaData
    a = AudioMetaData(16000, 1600, 2, 16, "PCM_S")
    b = AudioMetaData(sample_rate=16000, num_frames=1600, num_channels=2, bits_per_sample=16, encoding="PCM_S")
    c = AudioMetaData(16000, 1600, num_channels=2, encoding="PCM_S", bits_per_sample=16)
    for meta in (a, b, c):
        assert vars(meta) == {
            "sample_rate": 16000,
            "num_frames": 1600,
            "num_channels": 2,
            "bits_per_sample": 16,
            "encoding": "PCM_S",
        }
    with pytest.raises(TypeError, match="encoding"):
        AudioMetaData(16000, 1600, 2, 16)
    with pytest.raises(TypeError):
        AudioMetaData(16000, 1600, 2, 16, "PCM_S", 1)
    with pytest.raises(TypeError):
        AudioMetaData()


def test_audiometadata_is_a_plain_mutable_class_with_the_legacy_str() -> None:
    meta = torchaudio.AudioMetaData(np.int64(8000), np.int32(5), 1, 0, np.str_("UNKNOWN"))
    assert str(meta) == (
        "AudioMetaData(sample_rate=8000, num_frames=5, num_channels=1, bits_per_sample=0, encoding=UNKNOWN)"
    )
    meta.num_frames = 1234  # speechbrain 1.0.x overwrites these
    meta.sample_rate = 44100
    meta.extra = "allowed"  # no __slots__
    assert "num_frames=1234" in str(meta) and "sample_rate=44100" in str(meta)
    assert repr(meta).startswith("<torchaudio.AudioMetaData object at 0x")
    twin = torchaudio.AudioMetaData(16000, 1, 1, 16, "PCM_S")
    assert twin != torchaudio.AudioMetaData(16000, 1, 1, 16, "PCM_S")  # identity equality, like legacy
    assert not hasattr(torchaudio.AudioMetaData, "__dataclass_fields__")


def test_audiometadata_pickles_and_legacy_torchaudio_loads_the_pickle(tmp_path: Path, legacy_python: Path) -> None:
    meta = torchaudio.AudioMetaData(16000, 1600, 2, 24, "PCM_S")
    clone = pickle.loads(pickle.dumps(meta))
    assert type(clone) is torchaudio.AudioMetaData and vars(clone) == vars(meta)
    path = tmp_path / "meta.pickle"
    path.write_bytes(pickle.dumps(meta))
    result = Interpreter(legacy_python).run("unpickle_metadata", os.fspath(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(meta)


def test_info_returns_audiometadata(stereo: Path) -> None:
    meta = torchaudio.info(stereo)
    assert type(meta) is torchaudio.AudioMetaData
    assert (
        str(meta)
        == "AudioMetaData(sample_rate=16000, num_frames=1600, num_channels=2, bits_per_sample=16, encoding=PCM_S)"
    )


def test_backend_common_module_in_a_fresh_interpreter(modern_python: Path) -> None:
    """pyannote 3.1.1 imports ``AudioMetaData`` from ``torchaudio.backend.common`` first thing."""
    result = Interpreter(modern_python).run("backend_common_module")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "module 'torchaudio.backend.common' has no attribute 'NotThere'"


def test_backend_soundfile_backend_functions(tmp_path: Path, stereo: Path) -> None:
    from torchaudio.backend import soundfile_backend

    waveform, rate = soundfile_backend.load(stereo, 100, 50, False, True, None)
    assert (waveform.dtype, tuple(waveform.shape), rate) == (torch.int16, (2, 50), RATE)
    expected, _ = soundfile.read(stereo, dtype="int16", start=100, stop=150)
    assert np.array_equal(waveform.t().numpy(), expected)
    meta = soundfile_backend.info(stereo)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample, meta.encoding) == (
        RATE,
        1600,
        2,
        16,
        "PCM_S",
    )
    out = tmp_path / "backend.flac"
    with pytest.warns(UserWarning, match='does not support "compression" parameter'):
        # backend-level signature: (filepath, src, sample_rate, channels_first, compression, format, ...)
        soundfile_backend.save(out, waveform, RATE, True, 5)
    assert soundfile.info(out).subtype == "PCM_16"
    assert np.array_equal(soundfile.read(out, dtype="int16")[0], expected)
    with pytest.raises(ValueError, match=r"Expected 2D Tensor, got 1D\."):
        soundfile_backend.save(out, waveform[0], RATE)


def test_backend_queries() -> None:
    assert torchaudio.list_audio_backends() == ["soundfile"]
    assert torchaudio.get_audio_backend() is None
    assert torchaudio.set_audio_backend("sox_io") is None  # accepted, no-op, as legacy
    with pytest.raises(ValueError) as error:
        torchaudio.load("x.wav", backend="ffmpeg")
    assert error.value.args == (
        "Unsupported backend 'ffmpeg' specified; ",
        "please select one of ['soundfile'] instead.",
    )


# --------------------------------------------------------------------------------------------
# Reads stay cheap: crops seek, the waveform is a view of the decoded buffer
# --------------------------------------------------------------------------------------------
class CountingFile:
    """A read-only file object over a BytesIO that counts the bytes read through it."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._buffer.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, target: Any) -> int:
        count = self._buffer.readinto(target)
        self.bytes_read += count
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._buffer.seek(offset, whence)

    def tell(self) -> int:
        return self._buffer.tell()


def long_wav_bytes(minutes: int, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV whose sample ``i`` is ``i % 32768``."""
    frames = minutes * 60 * rate
    header = b"RIFF" + struct.pack("<I", 36 + 2 * frames) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16) + b"data" + struct.pack("<I", 2 * frames)
    period = np.arange(32768, dtype="<i2")
    return header + np.tile(period, frames // 32768 + 1)[:frames].tobytes()


def test_a_crop_seeks_instead_of_decoding_the_whole_file() -> None:
    data = long_wav_bytes(60)  # 60 min at 16 kHz: 115 MB
    five_seconds = 5 * RATE
    reads = []
    for start in (0, 30 * 60 * RATE, 59 * 60 * RATE + 55 * RATE):
        source = CountingFile(data)
        waveform, rate = torchaudio.load(source, frame_offset=start, num_frames=five_seconds, normalize=False)
        assert (waveform.dtype, tuple(waveform.shape), rate) == (torch.int16, (1, five_seconds), RATE)
        expected = ((start + np.arange(five_seconds)) % 32768).astype(np.int16)
        assert np.array_equal(waveform[0].numpy(), expected)
        reads.append(source.bytes_read)
    # 5 s of 16-bit mono is 160 kB; reading the file would be 115 MB. The cost does not grow
    # with the position of the crop.
    assert all(count < 2 * five_seconds * 2 + 64 * 1024 for count in reads), reads
    # The counter itself works: a 30 s crop reads at least its 960 kB.
    source = CountingFile(data)
    torchaudio.load(source, frame_offset=RATE, num_frames=30 * RATE)
    assert source.bytes_read >= 30 * RATE * 2


@pytest.mark.parametrize("channels", [2, 4, 6])
def test_waveform_is_a_zero_copy_transposed_view(tmp_path: Path, channels: int) -> None:
    path = write_wav(tmp_path / "multi.wav", channels=channels, subtype="FLOAT")
    waveform, _ = torchaudio.load(path)
    assert tuple(waveform.shape) == (channels, 1600)
    assert waveform.stride() == (1, channels) and not waveform.is_contiguous()
    # A view of the decoded (frames, channels) buffer and nothing else: no copy was made.
    assert waveform._base is not None and tuple(waveform._base.shape) == (1600, channels)
    assert waveform._base.is_contiguous()
    assert waveform.untyped_storage().nbytes() == waveform.numel() * waveform.element_size()
    assert np.array_equal(waveform.t().numpy(), soundfile.read(path, dtype="float32", always_2d=True)[0])
    waveform.mul_(2)  # nothing else holds the buffer: in-place is safe
    rows, _ = torchaudio.load(path, channels_first=False)
    assert tuple(rows.shape) == (1600, channels) and rows.is_contiguous()


def test_mono_and_empty_layouts(tmp_path: Path) -> None:
    mono, _ = torchaudio.load(write_wav(tmp_path / "mono.wav", channels=1))
    assert tuple(mono.shape) == (1, 1600) and mono.stride() == (1, 1) and mono.is_contiguous()
    empty, _ = torchaudio.load(tmp_path / "mono.wav", frame_offset=5000)
    assert tuple(empty.shape) == (1, 0) and empty.is_contiguous()


# --------------------------------------------------------------------------------------------
# Warnings: none by default, one per call site with TA_COMPAT_WARN=1
# --------------------------------------------------------------------------------------------
#: User code calling the legacy API, each line of interest marked ``# LINE_<name>``.
LEGACY_CALLS = SCRIPTS / "legacy_calls.py"


def _line(marker: str) -> int:
    return next(i for i, line in enumerate(LEGACY_CALLS.read_text().splitlines(), 1) if line.endswith(marker))


def test_ta_compat_warn_warns_once_per_call_site_naming_the_replacement(
    tmp_path: Path, modern_python: Path, stereo: Path
) -> None:
    result = Interpreter(modern_python).run(
        "legacy_calls",
        os.fspath(stereo),
        os.fspath(tmp_path / "out.wav"),
        env=clean_env(TA_COMPAT_WARN="1"),
    )
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "LegacyAPIWarning" in line]
    sites = sorted(int(line.split(":")[1]) for line in warned)
    expected = sorted(
        _line(marker)
        for marker in (
            "LINE_LOAD_A",
            "LINE_LOAD_B",
            "LINE_INFO",
            "LINE_SAVE",
            "LINE_LIST",
            "LINE_GET",
            "LINE_SET",
            "LINE_COMMON",
        )
    )
    assert sites == expected, result.stderr  # once per call site, pointing at the user's line
    assert all(line.split(":")[0] == os.fspath(LEGACY_CALLS) for line in warned), result.stderr
    for line in warned:
        assert "legacy torchaudio API restored by ta-compat; port to " in line, line
    assert any("torchaudio.load" in line and "port to soundfile.read" in line for line in warned)


def test_no_warnings_at_all_by_default(tmp_path: Path, modern_python: Path, stereo: Path) -> None:
    result = Interpreter(modern_python).run(
        "legacy_calls", os.fspath(stereo), os.fspath(tmp_path / "out.wav"), flags=("-W", "error")
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# --------------------------------------------------------------------------------------------
# save checks everything before it opens the destination, then writes in place as legacy
# --------------------------------------------------------------------------------------------
def _snapshot(path: Path) -> Any:
    info = path.stat()
    return path.read_bytes(), info.st_ino, info.st_mtime_ns, stat.S_IMODE(info.st_mode)


BAD_SAVES = [
    # (label, src, kwargs, exception, message)
    ("uint8 data", lambda: torch.zeros(2, 100, dtype=torch.uint8), {}, ValueError, "not 'uint8'"),
    ("int8 data", lambda: torch.zeros(2, 100, dtype=torch.int8), {}, ValueError, "Unsupported dtype for wav"),
    ("1-D tensor", lambda: torch.zeros(100), {}, ValueError, r"Expected 2D Tensor, got 1D\."),
    ("bad encoding", lambda: torch.zeros(2, 100), {"encoding": "FLAC"}, ValueError, r"wav does not support FLAC\."),
    ("bad bits", lambda: torch.zeros(2, 100), {"bits_per_sample": 12}, ValueError, r"Invalid bits_per_sample\."),
    ("compression", lambda: torch.zeros(2, 100), {"compression": 3}, ValueError, "does not support argument"),
    ("backend", lambda: torch.zeros(2, 100), {"backend": "sox"}, ValueError, "Unsupported backend"),
    ("requires_grad", lambda: torch.zeros(2, 100, requires_grad=True), {}, RuntimeError, "requires grad"),
    ("format=flac on .wav", lambda: torch.zeros(2, 100), {"format": "flac"}, ValueError, "Invalid combination"),
    # libsndfile refuses these; it is asked on an in-memory file, before the destination is opened:
    ("sample rate 0", lambda: torch.zeros(2, 100), {"sample_rate": 0}, RuntimeError, "SF_INFO struct incomplete"),
    ("no channels", lambda: torch.zeros(0, 100), {}, RuntimeError, "Error opening"),
]


@pytest.mark.parametrize("label, make_src, kwargs, exception, message", BAD_SAVES, ids=[b[0] for b in BAD_SAVES])
def test_a_failing_save_leaves_a_good_file_byte_identical(
    tmp_path: Path, stereo: Path, label: str, make_src: Any, kwargs: dict, exception: type, message: str
) -> None:
    stereo.chmod(0o640)
    before = _snapshot(stereo)
    kwargs = dict(kwargs)
    rate = kwargs.pop("sample_rate", RATE)
    with pytest.raises(exception, match=message) as error:
        torchaudio.save(stereo, make_src(), rate, **kwargs)
    if "Error opening" in str(error.value):
        assert repr(os.fspath(stereo)) in str(error.value) or repr(stereo) in str(error.value)  # the caller's name
    assert _snapshot(stereo) == before  # same bytes, same inode, same mtime, same mode
    assert sorted(os.listdir(tmp_path)) == ["stereo.wav"]  # no temporary file left behind


@pytest.mark.parametrize("label, make_src, kwargs, exception, message", BAD_SAVES, ids=[b[0] for b in BAD_SAVES])
def test_a_failing_save_creates_nothing(
    tmp_path: Path, label: str, make_src: Any, kwargs: dict, exception: type, message: str
) -> None:
    kwargs = dict(kwargs)
    rate = kwargs.pop("sample_rate", RATE)
    with pytest.raises(exception, match=message):
        torchaudio.save(tmp_path / "new.wav", make_src(), rate, **kwargs)
    assert os.listdir(tmp_path) == []


def test_bad_input_to_a_file_object_writes_nothing() -> None:
    buffer = io.BytesIO(b"keep")
    buffer.seek(4)
    with pytest.raises(ValueError, match="not 'uint8'"):
        torchaudio.save(buffer, torch.zeros(1, 10, dtype=torch.uint8), RATE, format="wav")
    assert buffer.getvalue() == b"keep" and buffer.tell() == 4


def test_a_write_that_fails_midway_leaves_what_legacy_left(
    tmp_path: Path, legacy_python: Path, modern_python: Path, stereo: Path
) -> None:
    """The file-size limit makes the write fail after part of the data went out (a full disk):
    legacy's error, and the file truncated to the limit in place, as legacy left it."""
    left = {}
    for side, python in (("legacy", legacy_python), ("ta-compat", modern_python)):
        folder = tmp_path / side
        folder.mkdir()
        path = folder / stereo.name
        path.write_bytes(stereo.read_bytes())
        inode = path.stat().st_ino
        result = Interpreter(python).run("save_over_file_size_limit", os.fspath(path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("failed: LibsndfileError System error."), result.stdout + result.stderr
        assert path.stat().st_ino == inode and os.listdir(folder) == [stereo.name]
        left[side] = path.stat().st_size
    assert left["ta-compat"] == left["legacy"] == 64 * 1024


def test_a_successful_save_rewrites_the_file_in_place_keeping_its_mode(tmp_path: Path, stereo: Path) -> None:
    stereo.chmod(0o640)
    inode = stereo.stat().st_ino
    waveform = torch.rand(2, 320) - 0.5
    torchaudio.save(stereo, waveform, 8000, bits_per_sample=16)
    assert stat.S_IMODE(stereo.stat().st_mode) == 0o640 and stereo.stat().st_ino == inode
    data, rate = soundfile.read(stereo, dtype="float32", always_2d=True)
    assert rate == 8000 and data.shape == (320, 2)
    assert sorted(os.listdir(tmp_path)) == ["stereo.wav"]
    fresh = tmp_path / "fresh.wav"
    torchaudio.save(fresh, waveform, 8000)
    reference = tmp_path / "reference"
    reference.touch()  # what open() gives a new file under the current umask
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fresh.wav", "reference", "stereo.wav"]


# --------------------------------------------------------------------------------------------
# Symlinks and devices, as legacy
# --------------------------------------------------------------------------------------------
def test_save_through_a_symlink_writes_the_target(tmp_path: Path, stereo: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "target.wav"
    target.write_bytes(stereo.read_bytes())
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    waveform = (torch.rand(1, 100) - 0.5).to(torch.float32)
    torchaudio.save(link, waveform, RATE)
    assert link.is_symlink() and os.readlink(link) == os.fspath(target)
    assert np.array_equal(soundfile.read(target, dtype="float32")[0], waveform[0].numpy())
    assert sorted(os.listdir(elsewhere)) == ["target.wav"]
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "link.wav", "stereo.wav"]
    # A failure leaves the target alone.
    before = target.read_bytes()
    with pytest.raises(ValueError):
        torchaudio.save(link, torch.zeros(1, 10, dtype=torch.uint8), RATE)
    assert target.read_bytes() == before and link.is_symlink()


def test_save_through_a_dangling_symlink_creates_the_target(tmp_path: Path) -> None:
    link = tmp_path / "link.flac"
    link.symlink_to("made.flac")
    torchaudio.save(link, torch.zeros(1, 100), RATE)
    assert link.is_symlink() and (tmp_path / "made.flac").is_file()
    assert soundfile.info(tmp_path / "made.flac").format == "FLAC"


def test_save_to_dev_null(tmp_path: Path) -> None:
    # Legacy takes the format from the path, so "/dev/null" itself is refused ...
    with pytest.raises(ValueError, match="Unsupported format: /dev/null"):
        torchaudio.save("/dev/null", torch.zeros(1, 100), RATE, format="wav")
    # ... and a .wav name that points there writes into the device, which stays a device.
    link = tmp_path / "discard.wav"
    link.symlink_to("/dev/null")
    torchaudio.save(link, torch.zeros(1, 100), RATE)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert link.is_symlink() and os.listdir(tmp_path) == ["discard.wav"]


# --------------------------------------------------------------------------------------------
# Fuzz: broken input only ever raises RuntimeError / ValueError / TypeError
# --------------------------------------------------------------------------------------------
def test_fuzz_broken_input_raises_only_runtime_value_or_type_errors(modern_python: Path) -> None:
    # A subprocess with a timeout: a crash or a hang fails this test instead of killing pytest.
    result = Interpreter(modern_python).run("fuzz_io", "500", timeout=240)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    assert result.stdout.strip().endswith("fuzz ok")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # soundfile's I/O callbacks
def test_closed_and_none_inputs() -> None:
    closed = io.BytesIO(b"RIFF")
    closed.close()
    for call in (torchaudio.info, torchaudio.load):
        with pytest.raises((RuntimeError, ValueError, TypeError)):
            call(closed)
        with pytest.raises(TypeError, match="Invalid file: None"):
            call(None)
