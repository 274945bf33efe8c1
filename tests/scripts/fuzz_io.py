"""Fuzz ``torchaudio.info`` and ``torchaudio.load`` with broken input: only RuntimeError, ValueError
and TypeError may come out (no other exception, crash or hang).

Usage: ``python fuzz_io.py EXAMPLES``; prints ``fuzz ok``. Inputs are files of every format soundfile
writes, truncated, overwritten and with size fields made huge, given as paths, BytesIO, unseekable,
closed and mid-file file objects and FIFOs, with any frame offset and count.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
from typing import Any, List, Tuple

import numpy as np
import soundfile
import torchaudio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

ALLOWED = (RuntimeError, ValueError, TypeError)
EXAMPLES = int(sys.argv[1])
SCRATCH = tempfile.mkdtemp()

FORMATS: List[Tuple[str, str]] = [
    ("WAV", "PCM_16"),
    ("WAV", "PCM_U8"),
    ("WAV", "FLOAT"),
    ("WAV", "IMA_ADPCM"),
    ("WAV", "MS_ADPCM"),
    ("WAV", "ULAW"),
    ("WAVEX", "PCM_24"),
    ("FLAC", "PCM_16"),
    ("FLAC", "PCM_24"),
    ("OGG", "VORBIS"),
    ("OGG", "OPUS"),
    ("MP3", "MPEG_LAYER_III"),
    ("AIFF", "PCM_16"),
    ("W64", "PCM_16"),
    ("RF64", "PCM_16"),
    ("AU", "PCM_16"),
    ("CAF", "ALAC_16"),
    ("NIST", "PCM_16"),
]


def encoded(fmt: str, subtype: str) -> bytes:
    """400 frames of noise in ``fmt``/``subtype`` (3 channels for WAVEX, else 2)."""
    buffer = io.BytesIO()
    rate = 48000 if subtype == "OPUS" else 16000
    samples = np.random.default_rng(0).uniform(-0.5, 0.5, (400, 3 if fmt == "WAVEX" else 2))
    soundfile.write(buffer, samples, rate, subtype=subtype, format=fmt)
    return buffer.getvalue()


def huge_flac() -> bytes:
    """An 8-channel FLAC whose STREAMINFO declares 2**36 - 1 frames (2 TiB of float32)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros((400, 8)), 16000, subtype="PCM_16", format="FLAC")
    data = bytearray(buffer.getvalue())
    data[21] |= 0x0F
    data[22:26] = b"\xff\xff\xff\xff"
    return bytes(data)


CORPUS = [encoded(fmt, subtype) for fmt, subtype in FORMATS]
HUGE_FLAC = huge_flac()


class NonSeekable(io.RawIOBase):
    """A readable stream that cannot seek (a pipe, a socket)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, target: Any) -> int:
        chunk = self._data.read(len(target))
        target[: len(chunk)] = chunk
        return len(chunk)


def feed(path: str, data: bytes) -> None:
    """Write ``data`` into the FIFO at ``path`` (the reader may give up early)."""
    try:
        with open(path, "wb") as fifo:
            fifo.write(data)
    except OSError:
        pass


@st.composite
def broken(draw: st.DrawFn) -> bytes:
    """Random bytes, or a corpus file damaged up to four times."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=2048))
    data = bytearray(draw(st.sampled_from([*CORPUS, HUGE_FLAC])))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["truncate", "overwrite", "size", "zero"]))
        at = draw(st.integers(0, min(len(data), 256)))
        if kind == "truncate":
            del data[at:]
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(chunk)] = chunk
        elif kind == "size":  # a declared size field made huge (or zero)
            value = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE]))
            order = draw(st.sampled_from(["little", "big"]))
            data[at : at + 4] = value.to_bytes(4, "little" if order == "little" else "big")
        else:
            data[at : at + 8] = bytes(8)
    return bytes(data)


OFFSETS = st.one_of(st.integers(-2000, 2000), st.integers(-(2**62), 2**62), st.sampled_from([2**63, -(2**63), 10**30]))


def open_input(data: bytes, kind: str) -> Any:
    """The first argument of the call: ``data`` as a path, a FIFO or a kind of file object."""
    path = os.path.join(SCRATCH, "input.wav")
    if kind in ("path", "closed", "offset"):
        with open(path, "wb") as file:
            file.write(data)
    if kind == "bytesio":
        return io.BytesIO(data)
    if kind == "path":
        return path
    if kind == "nonseekable":
        return NonSeekable(data)
    if kind == "closed":
        closed = open(path, "rb")  # noqa: SIM115  (a closed file is the point)
        closed.close()
        return closed
    if kind == "offset":  # a file object not at the header
        handle = open(path, "rb")  # noqa: SIM115  (closed by the caller)
        handle.seek(len(data) // 2)
        return handle
    fifo = os.path.join(SCRATCH, "input.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    threading.Thread(target=feed, args=(fifo, data), daemon=True).start()
    return fifo


# Known traps, always tried: a stream of unknown length asked for 10**13 frames, and a header
# that declares more frames than memory holds (soundfile allocates the declared length).
@example(
    data=CORPUS[0], kind="fifo", call="load", frame_offset=0, num_frames=10**13, normalize=True, channels_first=True
)
@example(data=HUGE_FLAC, kind="path", call="load", frame_offset=0, num_frames=-1, normalize=False, channels_first=True)
@example(
    data=HUGE_FLAC, kind="bytesio", call="load", frame_offset=10, num_frames=2**62, normalize=True, channels_first=False
)
@settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    data=broken(),
    kind=st.sampled_from(["bytesio", "path", "nonseekable", "closed", "fifo", "offset"]),
    call=st.sampled_from(["info", "load"]),
    frame_offset=OFFSETS,
    num_frames=OFFSETS,
    normalize=st.booleans(),
    channels_first=st.booleans(),
)
def fuzz(
    data: bytes, kind: str, call: str, frame_offset: int, num_frames: int, normalize: bool, channels_first: bool
) -> None:
    """One call on one broken input: a result that makes sense, or an allowed exception."""
    uri = open_input(data, kind)
    try:
        if call == "info":
            meta = torchaudio.info(uri)
            assert meta.num_channels >= 0 and meta.num_frames >= 0
        else:
            waveform, rate = torchaudio.load(
                uri,
                frame_offset=frame_offset,
                num_frames=num_frames,
                normalize=normalize,
                channels_first=channels_first,
            )
            assert waveform.ndim == 2 and isinstance(rate, int)
    except ALLOWED:
        pass
    finally:
        if hasattr(uri, "close"):
            uri.close()


fuzz()
print("fuzz ok")
