"""The torchcodec-fallback family: pyannote.audio 4 and torchaudio's torchcodec route decode through
soundfile where torchcodec cannot, and return what a working torchcodec 0.17 returns.

Three ways torchcodec cannot decode, each with its exact upstream error with the family off (and
with ``TA_COMPAT_DISABLE=1``) and working audio with it on: not installed; torchcodec 0.17 that
imports but finds no FFmpeg (the system's FFmpeg hidden from the loader); torchcodec 0.7.0, built
for torch 2.8, whose import raises. Then a differential test against torchcodec 0.17 running on
the FFmpeg 8 of the PyAV wheel, on WAV, FLAC, OGG Vorbis and MP3 files, mono and stereo.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import pytest
import soundfile

from support import SCRIPTS, Interpreter, system_ffmpeg
from support.children import system_ffmpeg_library

RATE = 16000
FRAMES = 40123  # 2.5076875 s: not a whole number of codec frames or seconds
DURATION = FRAMES / RATE

#: name -> (soundfile format, subtype, extension)
FORMATS = {
    "wav16": ("WAV", "PCM_16", "wav"),
    "wav24": ("WAV", "PCM_24", "wav"),
    "wav32": ("WAV", "PCM_32", "wav"),
    "wavfloat": ("WAV", "FLOAT", "wav"),
    "flac": ("FLAC", "PCM_16", "flac"),
    "vorbis": ("OGG", "VORBIS", "ogg"),
    "mp3": ("MP3", "MPEG_LAYER_III", "mp3"),
}
FILES = [f"{name}-{channels}ch" for name in FORMATS for channels in (1, 2)]

#: Lossy decoders differ in their last bits: libvorbis (libsndfile) and FFmpeg's own Vorbis
#: decoder by 4e-7, mpg123 (libsndfile) and FFmpeg's mp3float by 3e-6 (measured); the PCM and
#: FLAC decoders agree bit for bit.
TOLERANCE = {"vorbis": 1e-5, "mp3": 5e-5}

#: Crops at the start, in the middle (one on a rounding tie), at the end, past it, after it,
#: before the start, and an empty one.
SEGMENTS = [
    (0.0, 0.5),
    (1.0, 1.7),
    (1.2500312, 1.7500312),
    (2.0, DURATION),
    (2.2, 2.8),
    (2.6, 3.0),
    (-0.3, 0.4),
    (1.0, 1.0),
]

WARNING_START = "\ntorchcodec is not installed correctly so built-in audio decoding will fail."
NOT_AVAILABLE = (
    "torchcodec is not available. Cannot read audio file. Please install torchcodec or provide audio as a "
    "waveform dictionary: {'waveform': (channel, time) torch.Tensor, 'sample_rate': int}"
)
LOADING_ERROR = "Could not load libtorchcodec. Likely causes:"
OUR_LINE = (
    "torchcodec cannot decode here (RuntimeError: Could not load libtorchcodec.); "
    "ta-compat reads pyannote's audio with soundfile"
)


def result_of(process: Any) -> Dict[str, Any]:
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, process.stdout[-3000:] + process.stderr[-6000:]
    result: Dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def torchcodec_lines(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if "torchcodec" in line.lower()]


# --- the three conditions ---------------------------------------------------------------------

CONDITIONS = ("no-torchcodec", "broken-ffmpeg", "torchcodec-0.7")
SWITCHES = {"on": {}, "family off": {"TA_COMPAT_DISABLE": "torchcodec-fallback"}, "all off": {"TA_COMPAT_DISABLE": "1"}}


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wav") / "speech.wav"
    t = np.arange(3 * RATE) / RATE
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), RATE, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def conditions(
    pyannote4: Dict[str, Interpreter], wav: Path, tmp_path_factory: pytest.TempPathFactory
) -> Dict[Tuple[str, str], Tuple[Dict[str, Any], str]]:
    """``scripts/codec_conditions.py`` in each condition with the family on, off, and all shims off."""
    out: Dict[Tuple[str, str], Tuple[Dict[str, Any], str]] = {}
    for condition in CONDITIONS:
        for switch, env in SWITCHES.items():
            folder = tmp_path_factory.mktemp("saved")
            process = pyannote4[condition].run_args(str(SCRIPTS / "codec_conditions.py"), str(wav), str(folder), **env)
            out[condition, switch] = (result_of(process), process.stderr)
    return out


@pytest.mark.parametrize("condition", CONDITIONS)
def test_with_the_family_pyannote_and_torchaudio_read_through_soundfile(
    conditions: Dict[Tuple[str, str], Tuple[Dict[str, Any], str]], condition: str
) -> None:
    data, stderr = conditions[condition, "on"]
    assert data["audio"] == ["ok", [[1, 48000], "torch.float32", RATE]]
    assert data["crop"] == ["ok", [[1, RATE], "torch.float32", RATE]]
    assert data["duration"] == ["ok", 3.0]
    assert data["load_with_torchcodec"] == ["ok", [[1, 48000], "torch.float32", RATE]]
    assert data["save_with_torchcodec"] == ["ok", None]
    assert data["io"] == {"TORCHCODEC_AVAILABLE": True, "AudioDecoder": "ta_compat._soundfile_codec.AudioDecoder"}
    assert set(data["torchaudio"].values()) == {
        "ta_compat._soundfile_codec.load_with_torchcodec",
        "ta_compat._soundfile_codec.save_with_torchcodec",
    }
    assert data["state"][0] == "applied" and "pyannote.audio.core.io.AudioDecoder" in data["state"][1]
    # pyannote's warning is kept from the user; why an installed torchcodec is bypassed is said
    # only with TA_COMPAT_DEBUG=1 (test_the_bypass_line_needs_debug).
    assert data["warnings"] == []
    assert torchcodec_lines(stderr) == []
    # No module named torchcodec is made up: it is imported only where it really imports.
    assert data["torchcodec_imported"] is (condition == "broken-ffmpeg")


def test_the_bypass_line_needs_debug(pyannote4: Dict[str, Interpreter], wav: Path, tmp_path: Path) -> None:
    """With ``TA_COMPAT_DEBUG=1``, one line says why an installed torchcodec is bypassed."""
    process = pyannote4["broken-ffmpeg"].run_args(
        str(SCRIPTS / "codec_conditions.py"), str(wav), str(tmp_path), TA_COMPAT_DEBUG="1"
    )
    assert result_of(process)["audio"][0] == "ok"
    assert [line for line in torchcodec_lines(process.stderr) if line.endswith(OUR_LINE)] == [f"ta-compat: {OUR_LINE}"]


@pytest.mark.parametrize("switch", ["family off", "all off"])
@pytest.mark.parametrize("condition", CONDITIONS)
def test_without_the_family_the_upstream_errors_come_back(
    conditions: Dict[Tuple[str, str], Tuple[Dict[str, Any], str]], condition: str, switch: str, wav: Path
) -> None:
    data, stderr = conditions[condition, switch]
    assert OUR_LINE not in stderr
    assert data["state"] == (["disabled", []] if switch == "family off" else None)
    if condition == "broken-ffmpeg":  # torchcodec imports; pyannote believes it works
        assert data["warnings"] == [] and data["io"]["TORCHCODEC_AVAILABLE"] is True
        for call in ("audio", "crop", "duration"):
            assert data[call][:2] == ["error", "RuntimeError"] and data[call][2].startswith(LOADING_ERROR)
        assert data["load_with_torchcodec"][2].startswith(f"Failed to create AudioDecoder for {wav}: {LOADING_ERROR}")
        assert data["save_with_torchcodec"][2].startswith(f"Failed to create AudioEncoder: {LOADING_ERROR}")
        return
    (warning,) = data["warnings"]
    assert warning.startswith(WARNING_START) and data["io"]["TORCHCODEC_AVAILABLE"] is False
    assert data["audio"] == ["error", "RuntimeError", NOT_AVAILABLE]
    assert data["crop"] == ["error", "RuntimeError", NOT_AVAILABLE.replace("read audio file", "crop audio file")]
    if condition == "no-torchcodec":
        assert warning.endswith("No module named 'torchcodec'")
        for name in ("load", "save"):
            assert data[f"{name}_with_torchcodec"] == [
                "error",
                "ImportError",
                f"TorchCodec is required for {name}_with_torchcodec. Please install torchcodec to use this function.",
            ]
    else:  # torchcodec 0.7's import raises a RuntimeError, which torchaudio does not catch
        assert LOADING_ERROR in warning and "The PyTorch version (2.14.1" in warning
        for name in ("load", "save"):
            assert data[f"{name}_with_torchcodec"][:2] == ["error", "RuntimeError"]
            assert data[f"{name}_with_torchcodec"][2].startswith(LOADING_ERROR)


def test_with_a_working_torchcodec_nothing_is_applied(
    pyannote4: Dict[str, Interpreter], wav: Path, tmp_path: Path
) -> None:
    process = pyannote4["torchcodec"].run_args(str(SCRIPTS / "codec_conditions.py"), str(wav), str(tmp_path))
    data = result_of(process)
    assert data["state"] == ["not needed", []]
    upstream = "torchcodec.decoders._audio_decoder.AudioDecoder"
    assert data["io"] == {"TORCHCODEC_AVAILABLE": True, "AudioDecoder": upstream}
    assert set(data["torchaudio"].values()) == {
        "torchaudio._torchcodec.load_with_torchcodec",
        "torchaudio._torchcodec.save_with_torchcodec",
    }
    assert data["audio"] == ["ok", [[1, 48000], "torch.float32", RATE]]
    assert data["warnings"] == [] and torchcodec_lines(process.stderr) == []


# --- differential: the same calls on torchcodec 0.17 and through soundfile ---------------------


def write_files(folder: Path) -> Dict[str, str]:
    """Every format, mono and stereo: a tone with noise, clipped at full scale on both sides."""
    rng = np.random.default_rng(0)
    t = np.arange(FRAMES) / RATE
    paths = {}
    for name in FILES:
        kind, channels = name.rsplit("-", 1)
        container, subtype, extension = FORMATS[kind]
        signal = 0.6 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.45 * rng.uniform(-1, 1, (FRAMES, int(channels[0])))
        path = folder / f"{name}.{extension}"
        soundfile.write(path, np.clip(signal, -1, 1), RATE, subtype=subtype, format=container)
        paths[name] = os.fspath(path)
    return paths


def calls(stack: Interpreter, files: Dict[str, str], folder: Path) -> Dict[str, Dict[str, Any]]:
    """``scripts/codec_calls.py`` on ``files`` in ``stack``: every result by file and call."""
    folder.mkdir()
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"files": files, "segments": SEGMENTS, "saved": os.fspath(folder)}))
    process = stack.run_args(str(SCRIPTS / "codec_calls.py"), str(spec), str(folder / "out.pickle"))
    assert process.returncode == 0, process.stderr[-6000:]
    with open(folder / "out.pickle", "rb") as results:
        loaded: Dict[str, Dict[str, Any]] = pickle.load(results)
    return loaded


@pytest.fixture(scope="module")
def differential(pyannote4: Dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """{"torchcodec": results, "soundfile": results, "folders": where each saved its files}:
    torchcodec 0.17 on FFmpeg, and the fallback where torchcodec is not installed (nor PyAV:
    libsndfile alone)."""
    folder = tmp_path_factory.mktemp("differential")
    files = write_files(folder)
    return {
        "torchcodec": calls(pyannote4["torchcodec"], files, folder / "torchcodec"),
        "soundfile": calls(pyannote4["no-torchcodec"], files, folder / "soundfile"),
        "folders": {"torchcodec": folder / "torchcodec", "soundfile": folder / "soundfile"},
    }


def arrays(value: Any) -> Iterator[Dict[str, Any]]:
    """The tensors in a result, in order."""
    if isinstance(value, dict) and "array" in value:
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from arrays(item)


def structure(value: Any) -> Any:
    """A result without its sample values (and without contiguity: torchcodec returns views)."""
    if isinstance(value, dict) and "array" in value:
        return ("tensor", value["array"].shape, value["dtype"])
    if isinstance(value, dict):
        return {key: structure(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [structure(item) for item in value]
    return value


def assert_same(expected: Any, actual: Any, tolerance: float, call: str) -> None:
    """Same outcome, same shapes and plain values, samples within ``tolerance``; errors of the same
    class (torchcodec's C++ message for a range past the end names its source file)."""
    assert actual[0] == expected[0], (call, expected[:3], actual[:3])
    if expected[0] == "error":
        assert actual[1] == expected[1], (call, expected, actual)
        if "No audio frame" in expected[2]:
            assert actual[2].startswith("No audio frame"), (call, actual)
        else:
            assert actual[2] == expected[2], (call, expected, actual)
        return
    assert structure(actual[1]) == structure(expected[1]), call
    for theirs, ours in zip(arrays(expected[1]), arrays(actual[1])):
        if theirs["array"].size:
            difference = np.abs(theirs["array"].astype(np.float64) - ours["array"]).max()
            assert difference <= tolerance, (call, difference)


def kind_of(name: str) -> str:
    return name.rsplit("-", 1)[0]


@pytest.mark.parametrize("name", [name for name in FILES if kind_of(name) != "mp3"])
def test_every_call_returns_what_torchcodec_returns(differential: Dict[str, Any], name: str) -> None:
    theirs, ours = differential["torchcodec"][name], differential["soundfile"][name]
    assert set(ours) == set(theirs)
    for call in theirs:
        if call == "metadata":
            continue
        assert_same(theirs[call], ours[call], TOLERANCE.get(kind_of(name), 0.0), call)
    # Full loads are contiguous (channels, time) float32, as torchcodec returns them.
    assert ours["load"][1][0]["contiguous"] and ours["all samples"][1]["data"]["contiguous"]


#: The metadata fields that pyannote uses or that follow from the file, compared as they are.
METADATA_FIELDS = ("sample_rate", "num_channels", "duration_seconds_from_header", "duration_seconds", "codec")


@pytest.mark.parametrize("name", FILES)
def test_metadata_fields_are_torchcodecs(differential: Dict[str, Any], name: str) -> None:
    theirs, ours = differential["torchcodec"][name]["metadata"][1], differential["soundfile"][name]["metadata"][1]
    for field in (*METADATA_FIELDS, "sample_format", "stream_index", "media_type", "begin_stream_seconds"):
        if name.startswith("mp3") and field == "begin_stream_seconds":
            continue  # FFmpeg reports MP3's encoder delay there (see test_mp3_samples_are_indexed_from_the_first)
        assert ours[field] == theirs[field], (field, ours[field], theirs[field])
    if not name.startswith("mp3"):  # FFmpeg measures MP3's bit rate and start from the frames
        for field in ("bit_rate", "begin_stream_seconds_from_header"):
            assert ours[field] == theirs[field], (field, ours[field], theirs[field])


@pytest.mark.parametrize("channels", ["1ch", "2ch"])
def test_mp3_samples_are_indexed_from_the_first(differential: Dict[str, Any], channels: str) -> None:
    """Decoded MP3 samples agree within the tolerance; the crops deliberately differ in one way.
    FFmpeg removes the encoder delay from the samples but reports it as the stream's start time, so
    torchcodec's t is index / rate + that delay: its crop of [0, 0.5) comes short and pyannote
    raises. Here t is index / rate, as for every other format."""
    theirs, ours = differential["torchcodec"][f"mp3-{channels}"], differential["soundfile"][f"mp3-{channels}"]
    assert_same(theirs["load"], ours["load"], TOLERANCE["mp3"], "load")
    full = ours["load"][1][0]["array"]
    delay = theirs["metadata"][1]["begin_stream_seconds"]
    assert delay > 0 and ours["metadata"][1]["begin_stream_seconds"] == 0.0
    expected = math.floor(0.5 * RATE + 0.5) - math.floor(delay * RATE + 0.5)
    assert theirs["crop raise 0.0-0.5"][:2] == ("error", "ValueError")
    assert f"resulted in {expected} samples instead of the expected 8000 samples" in theirs["crop raise 0.0-0.5"][2]
    for start, end in SEGMENTS[:5]:
        crop = ours[f"crop pad {start}-{end}"][1][0]["array"]
        first = max(0, math.floor(start * RATE + 0.5))
        # mpg123 restarts at a seek: what follows differs from a decode from the start by 1e-7.
        difference = crop[:, : min(crop.shape[1], FRAMES - first)] - full[:, first : first + crop.shape[1]]
        assert np.abs(difference).max() <= 1e-6
        their = theirs[f"range {start}-{end}"][1]["data"]["array"]
        shifted = max(0, math.floor((start - delay) * RATE + 0.5))
        assert np.abs(their - full[:, shifted : shifted + their.shape[1]]).max() <= TOLERANCE["mp3"]


@pytest.mark.parametrize("name", FILES)
def test_save_with_torchcodec_writes_what_torchcodec_writes(differential: Dict[str, Any], name: str) -> None:
    """16-bit WAV and 24-bit FLAC, clipped and rounded as FFmpeg converts floats: bit for bit where
    the decoded samples are equal (PCM, FLAC); where the lossy decoders differ, by that difference
    (times the 1.2 gain applied before saving) and one step of rounding."""
    for extension, subtype in (("wav", "PCM_16"), ("flac", "PCM_24")):
        assert differential["soundfile"][name][f"save {extension}"] == ("ok", None)
        written = {side: differential["folders"][side] / f"{name}.{extension}" for side in ("torchcodec", "soundfile")}
        infos = {side: soundfile.info(path) for side, path in written.items()}
        assert infos["soundfile"].subtype == infos["torchcodec"].subtype == subtype
        assert infos["soundfile"].frames == infos["torchcodec"].frames == FRAMES
        theirs, _ = soundfile.read(written["torchcodec"], dtype="int32")
        ours, _ = soundfile.read(written["soundfile"], dtype="int32")
        step = 1 << (16 if subtype == "PCM_16" else 8)  # one least significant bit, read as int32
        allowed = 1.2 * TOLERANCE[kind_of(name)] * 2**31 + step if kind_of(name) in TOLERANCE else 0
        assert np.abs(theirs.astype(np.int64) - ours).max() <= allowed


# --- what libsndfile cannot read: PyAV where installed, else one clear error ------------------


@pytest.fixture(scope="module")
def undecodable(pyannote4: Dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """An AAC file (written by PyAV) and a file of junk, through torchcodec, through the fallback
    with PyAV installed, and without it."""
    folder = tmp_path_factory.mktemp("undecodable")
    m4a, junk = folder / "tone.m4a", folder / "junk.wav"
    written = pyannote4["torchcodec"].run_args(str(SCRIPTS / "codec_write_aac.py"), str(m4a), "2.5")
    assert written.returncode == 0, written.stderr
    junk.write_bytes(b"RIFF\x00\x00junk" * 100)
    files = {"m4a": os.fspath(m4a), "junk": os.fspath(junk)}
    sides = {"torchcodec": "torchcodec", "pyav": "no-torchcodec+av", "neither": "no-torchcodec"}
    return {side: calls(pyannote4[stack], files, folder / side) for side, stack in sides.items()}


def test_pyav_decodes_what_libsndfile_cannot_as_torchcodec_does(undecodable: Dict[str, Any]) -> None:
    """Both run FFmpeg's AAC decoder and libswresample (PyAV's copy of FFmpeg 8): equal bit for bit."""
    theirs, ours = undecodable["torchcodec"]["m4a"], undecodable["pyav"]["m4a"]
    for call in theirs:
        if call != "metadata":
            assert_same(theirs[call], ours[call], 0.0, call)
    for field in (*METADATA_FIELDS, "sample_format", "bit_rate"):
        assert ours["metadata"][1][field] == theirs["metadata"][1][field], field


def test_without_pyav_one_error_says_what_to_install(undecodable: Dict[str, Any]) -> None:
    ours = undecodable["neither"]["m4a"]
    message = (
        "libsndfile reads WAV, FLAC, OGG Vorbis and MP3; for other formats (m4a/AAC, mp4, webm, Opus) and "
        "for sample_rate=/num_channels= install PyAV (`pip install av`, its wheels bundle FFmpeg) or "
        "FFmpeg's shared libraries for torchcodec."
    )
    for call in ("load", "load file object", "duration", "crop pad 1.0-1.7", "range 1.0-1.7"):
        assert ours[call][:2] == ("error", "RuntimeError") and ours[call][2].endswith(message), ours[call]
    failed = ours["load_with_torchcodec 0 -1"]
    assert failed[1] == "RuntimeError" and failed[2].startswith("Failed to create AudioDecoder for ")


@pytest.mark.parametrize("side", ["torchcodec", "pyav", "neither"])
def test_junk_is_a_runtime_error_everywhere(undecodable: Dict[str, Any], side: str) -> None:
    for call, result in undecodable[side]["junk"].items():
        assert result[:2] == ("error", "RuntimeError"), (call, result)


# --- without torch: the soundfile reader and the FFmpeg hiding (these run in the fast layer too) --


def reader_for(path: Any) -> Any:
    from ta_compat._reading import SoundfileReader

    return SoundfileReader(soundfile, path)


def read_range(reader: Any, first: int, last: Any) -> Any:
    """Samples ``[first, last)`` (``last`` None: to the end) as the decoder reads them."""
    return reader.read(first, (reader.frames if last is None else last) - first, channels_first=True)


@pytest.mark.parametrize("name", FILES)
def test_reader_ranges_are_slices_of_a_full_read(tmp_path: Path, name: str) -> None:
    """Seeking reads, on paths and on file objects, equal the same samples of one full read (MP3:
    mpg123 restarts at a seek, within 1e-6), and stop at the end of the data."""
    path = write_files(tmp_path)[name]
    full, _ = soundfile.read(path, dtype="float32", always_2d=True)
    tolerance = 1e-6 if name.startswith("mp3") else 0.0
    for first, last in ((0, 100), (1, 8000), (16000, 16001), (32000, None), (39000, 50000), (FRAMES, None)):
        expected = full[first:last].T
        with open(path, "rb") as file_:
            for source in (path, file_):
                reader = reader_for(source)
                got = read_range(reader, first, last)
                assert got.dtype == np.float32 and got.flags.c_contiguous and got.shape == expected.shape
                assert np.abs(got - expected).max(initial=0.0) <= tolerance, (first, last)


def test_vorbis_reads_in_the_last_page_start_where_asked(tmp_path: Path) -> None:
    """libsndfile 1.2 seeks late inside the last page of this mono Vorbis file; the reader does not."""
    path = write_files(tmp_path)["vorbis-1ch"]
    full, _ = soundfile.read(path, dtype="float32")
    late = []
    for first in range(30000, FRAMES - 50, 500):
        with soundfile.SoundFile(path) as file_:
            file_.seek(first)
            late.append(not np.array_equal(file_.read(50, dtype="float32"), full[first : first + 50]))
        got = read_range(reader_for(path), first, first + 50)
        assert np.array_equal(got[0], full[first : first + 50]), first
    assert any(late), "libsndfile seeks exactly here now: the workaround may go"


@pytest.mark.skipif(not system_ffmpeg(), reason="no FFmpeg libraries in the loader's cache to hide")
def test_ffmpeg_can_be_hidden_from_one_process_tree() -> None:
    """``scripts/codec_without_ffmpeg.py``: FFmpeg cannot be loaded inside, still can outside."""
    load = "import ctypes, sys; ctypes.CDLL(sys.argv[1])"
    library = system_ffmpeg_library()
    assert library is not None
    inside = Interpreter(sys.executable, hide_ffmpeg=True).run_code(load, library)
    assert inside.returncode == 1 and f"{library}: cannot open shared object file" in inside.stderr
    assert Interpreter(sys.executable).run_code(load, library).returncode == 0


def test_torchaudio_names_are_put_back_where_torchcodec_decodes_after_all() -> None:
    """Before torchcodec is imported, whether it decodes is guessed from FFmpeg's libavutil: where
    the guess said no (the loader search can differ, on macOS say) and torchcodec then decodes
    when pyannote imports it, torchaudio's own functions come back."""
    import types

    from ta_compat import _soundfile_codec as soundfile_codec
    from ta_compat._shims import torchcodec_fallback

    torchaudio = types.ModuleType("torchaudio")

    def load_with_torchcodec() -> None:
        """Stands in for torchaudio's own."""

    def save_with_torchcodec() -> None:
        """Stands in for torchaudio's own."""

    originals = {"load_with_torchcodec": load_with_torchcodec, "save_with_torchcodec": save_with_torchcodec}
    vars(torchaudio).update(originals)
    patched = torchcodec_fallback._apply_torchaudio(torchaudio, "FFmpeg's libavutil cannot be loaded")
    assert patched == ["torchaudio.load_with_torchcodec", "torchaudio.save_with_torchcodec"]
    assert {name: vars(torchaudio)[name] for name in originals} == {
        name: getattr(soundfile_codec, name) for name in originals
    }
    assert torchcodec_fallback._apply_torchaudio(torchaudio, "still failing") == []  # replaced once
    assert torchcodec_fallback._apply_torchaudio(torchaudio, None) == []
    assert {name: vars(torchaudio)[name] for name in originals} == originals


# --- torchcodec 0.17's edges: ranges, metadata, sources, conversions (issue-level cases) ---------

#: Ranges at torchcodec's edges: a start between samples at 44.1 kHz (pts: the first sample's time
#: where FFmpeg seeks PCM past the start), before 0, a stop at or before 0, a stop of inf (no frame
#: falls in: an error), a NaN start (the whole stream), a NaN stop (the ValueError), an empty range,
#: a range past the end.
EDGE_RANGES = [
    (0.999, 1.5),
    (0.9990001, None),
    (0.99901, 1.2),
    (-0.5, 0.2),
    (-1.0, -0.5),
    (1.0, "inf"),
    ("nan", None),
    (1.0, "nan"),
    (2.0, 2.0),
    (5.0, 6.0),
    (0.5, None),
]

#: name -> (soundfile format, subtype, extension, rate): what libsndfile reads and FFmpeg names
#: differently, or where FFmpeg's header says None.
EDGE_FILES = {
    "wav-44k": ("WAV", "PCM_16", "wav", 44100),
    "wavex": ("WAVEX", "PCM_16", "wav", RATE),
    "rf64": ("RF64", "PCM_16", "wav", RATE),
    "w64": ("W64", "PCM_16", "w64", RATE),
    "caf": ("CAF", "PCM_16", "caf", RATE),
    "aiff": ("AIFF", "PCM_16", "aiff", RATE),
    "ulaw": ("WAV", "ULAW", "wav", RATE),
    "alaw": ("WAV", "ALAW", "wav", RATE),
    "flac": ("FLAC", "PCM_16", "flac", RATE),
    "opus": ("OGG", "OPUS", "ogg", RATE),
}
#: Files PyAV decodes (libsndfile cannot, or not as FFmpeg does: Opus at 48 kHz).
NEEDS_PYAV = ("opus", "m4a", "webm")
#: ADPCM: FFmpeg's decoders pad the last block and differ from libsndfile's in their samples;
#: only the names and the header's fields are compared.
ADPCM = {"ima-adpcm": ("WAV", "IMA_ADPCM", "wav", RATE), "ms-adpcm": ("WAV", "MS_ADPCM", "wav", RATE)}


def write_edge_files(folder: Path, stack: Interpreter) -> Dict[str, str]:
    """The files of ``EDGE_FILES`` and ``ADPCM``, an empty WAV, a FLAC whose header claims 2**36
    samples over 2.5 s of data, an AAC m4a and a MediaRecorder-style WebM/Opus (PyAV writes them)."""
    paths: Dict[str, str] = {}
    for name, (container, subtype, extension, rate) in {**EDGE_FILES, **ADPCM}.items():
        t = np.arange(int(2.5 * rate)) / rate
        signal = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)], axis=1)
        path = folder / f"{name}.{extension}"
        soundfile.write(path, signal, rate, subtype=subtype, format=container)
        paths[name] = os.fspath(path)
    empty = folder / "empty.wav"
    soundfile.write(empty, np.zeros((0, 1)), RATE, subtype="PCM_16")
    paths["empty"] = os.fspath(empty)
    flac = bytearray(Path(paths["flac"]).read_bytes())
    streaminfo = flac.index(b"fLaC") + 8  # after the marker and the block header
    field = int.from_bytes(flac[streaminfo + 10 : streaminfo + 18], "big")
    field |= (1 << 36) - 1  # the 36-bit total-samples field: all ones
    flac[streaminfo + 10 : streaminfo + 18] = field.to_bytes(8, "big")
    (folder / "huge.flac").write_bytes(bytes(flac))
    paths["huge-flac"] = os.fspath(folder / "huge.flac")
    for name, script in (("m4a", "codec_write_aac.py"), ("webm", "codec_write_webm.py")):
        path = folder / f"{name}.{name}"
        written = stack.run_args(str(SCRIPTS / script), str(path), "3")
        assert written.returncode == 0, written.stderr[-3000:]
        paths[name] = os.fspath(path)
    return paths


@pytest.fixture(scope="module")
def edges(pyannote4: Dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """``scripts/codec_edges.py`` through torchcodec 0.17, through the fallback with PyAV, and
    through it with libsndfile alone."""
    folder = tmp_path_factory.mktemp("edges")
    files = write_edge_files(folder, pyannote4["torchcodec"])
    spec = folder / "spec.json"
    spec.write_text(json.dumps({"files": files, "ranges": EDGE_RANGES}))
    out: Dict[str, Any] = {}
    for side, stack in (("torchcodec", "torchcodec"), ("pyav", "no-torchcodec+av"), ("soundfile", "no-torchcodec")):
        process = pyannote4[stack].run_args(str(SCRIPTS / "codec_edges.py"), str(spec), str(folder / f"{side}.pickle"))
        assert process.returncode == 0, process.stderr[-6000:]
        with open(folder / f"{side}.pickle", "rb") as results:
            out[side] = pickle.load(results)
    return out


def assert_same_edge(expected: Any, actual: Any, tolerance: float, call: str) -> None:
    """Same outcome; errors of the same class and message (torchcodec's FFmpeg seek error on an
    empty WAV: the class only); samples within ``tolerance``, every other value equal."""
    assert actual[0] == expected[0], (call, expected[:3], actual[:3])
    if expected[0] == "error":
        assert actual[1] == expected[1], (call, expected, actual)
        if "Could not seek" not in expected[2]:
            assert actual[2] == expected[2], (call, expected, actual)
        return
    theirs, ours = expected[1], actual[1]
    if isinstance(theirs, dict) and "data" in theirs:
        assert ours["data"].shape == theirs["data"].shape, (call, ours["data"].shape, theirs["data"].shape)
        assert ours["data"].dtype == theirs["data"].dtype and ours["data"].flags.c_contiguous
        if theirs["data"].size:
            assert np.abs(ours["data"] - theirs["data"]).max() <= tolerance, call  # inf: NaN would fail
        theirs, ours = dict(theirs, data=None), dict(ours, data=None)
    assert ours == theirs, call


#: FFmpeg's AAC decoder after a seek settles within 1e-3 of a decode from the start in the last
#: frames of a file (measured: 7.5e-4); Opus in WebM within 1e-6 (measured: 3e-8).
EDGE_TOLERANCE = {"m4a": 1e-3, "webm": 1e-6}
#: Converted samples (libswresample): within 1e-3 of torchcodec's (measured: 6e-5 on AAC). In
#: WebM, torchcodec's converted crops start 1 ms off a slice of its own full conversion (a
#: matroska seek), so there only their shape and start are compared.
CONVERTED_TOLERANCE = {"webm": math.inf}


@pytest.mark.parametrize("name", [*EDGE_FILES, "empty", "huge-flac", "m4a", "webm"])
def test_ranges_sources_and_metadata_are_torchcodecs_with_pyav(edges: Dict[str, Any], name: str) -> None:
    theirs, ours = edges["torchcodec"][name], edges["pyav"][name]
    assert set(ours) == set(theirs)
    for call in theirs:
        tolerance = CONVERTED_TOLERANCE.get(name, 1e-3) if call == "8 kHz mono" else EDGE_TOLERANCE.get(name, 0.0)
        assert_same_edge(theirs[call], ours[call], tolerance, call)


@pytest.mark.parametrize("name", [*EDGE_FILES, "empty", "huge-flac"])
def test_libsndfile_alone_gives_torchcodecs_results_or_says_to_install_pyav(edges: Dict[str, Any], name: str) -> None:
    theirs, ours = edges["torchcodec"][name], edges["soundfile"][name]
    for call in theirs:
        if (name in NEEDS_PYAV and call != "int16 tensor") or call == "8 kHz mono":
            assert ours[call][:2] == ("error", "RuntimeError") and "`pip install av`" in ours[call][2], (call, ours)
        else:
            assert_same_edge(theirs[call], ours[call], 0.0, call)


@pytest.mark.parametrize("name", list(ADPCM))
def test_adpcm_names_and_header_fields_are_ffmpegs(edges: Dict[str, Any], name: str) -> None:
    theirs, ours = edges["torchcodec"][name]["metadata"][1], edges["soundfile"][name]["metadata"][1]
    for field in ("codec", "sample_format", "bit_rate", "begin_stream_seconds_from_header", "sample_rate"):
        assert ours[field] == theirs[field], (field, ours[field], theirs[field])


def test_torchcodecs_own_edges_are_the_ones_named(edges: Dict[str, Any]) -> None:
    """The cases above compare something: torchcodec 0.17 itself gives these on them."""
    wav44, opus, webm = (edges["torchcodec"][name] for name in ("wav-44k", "opus", "webm"))
    assert wav44["range 0.999 1.5"][1]["pts_seconds"] == 44056 / 44100  # the first returned sample's time
    assert wav44["range 1.0 inf"][:2] == ("error", "RuntimeError")
    assert wav44["range nan None"][1]["data"].shape == (2, int(2.5 * 44100))
    assert wav44["range 1.0 nan"][:2] == ("error", "ValueError")
    assert opus["metadata"][1]["sample_rate"] == 48000 and opus["uint8 tensor"][1]["sample_rate"] == 48000
    assert webm["metadata"][1]["duration_seconds_from_header"] is None
    assert webm["uint8 tensor"][1]["data"].shape == (1, 3 * 48000)  # read to its end
    assert edges["torchcodec"]["huge-flac"]["uint8 tensor"][1]["data"].shape == (2, int(2.5 * RATE))
    assert edges["torchcodec"]["empty"]["metadata"][1]["duration_seconds"] is None
    assert edges["torchcodec"]["caf"]["metadata"][1]["codec"] == "pcm_s16be"


def test_save_to_a_file_object_is_torchcodecs_runtime_error(edges: Dict[str, Any]) -> None:
    def without_address(result: Any) -> Any:
        return (*result[:2], re.sub(r" at 0x[0-9a-f]+", "", result[2]))

    theirs = edges["torchcodec"]["save to a file object"]
    assert theirs[:2] == ("error", "RuntimeError")
    for side in ("pyav", "soundfile"):
        assert without_address(edges[side]["save to a file object"]) == without_address(theirs)
