"""torchcodec's audio decoding API on soundfile, for where torchcodec cannot decode.

pyannote.audio 4.x reads every file through ``torchcodec.decoders.AudioDecoder`` and torchaudio
2.8+ offers ``load_with_torchcodec``/``save_with_torchcodec`` (2.9+ routes ``load``/``save`` through
them); both fail where torchcodec is not installed or cannot load FFmpeg's shared libraries.
This module gives what they use the same results on soundfile (libsndfile: WAV, FLAC, OGG
Vorbis/Opus, MP3 and the other formats it reads), with PyAV (``av``, whose wheels bundle FFmpeg)
for what libsndfile cannot read, where PyAV is installed. Measured against torchcodec 0.17 on
FFmpeg 5 and 8, it keeps:

- samples as float32 ``(channels, time)``, contiguous; integer PCM scaled by 2**-(bits-1), which
  libsndfile and FFmpeg agree on bit for bit (PCM 8-32 bit, FLAC); lossy decoders differ in
  their last bits (OGG Vorbis about 4e-7, MP3 about 3e-6);
- ``get_samples_played_in_range(start, stop)``: the half-open range of samples
  ``floor(t * rate + 0.5)``, the stop clipped to the end; a range that starts at or after the
  end raises ``RuntimeError`` (torchcodec: "No audio frame"), an empty range gives no samples, a
  start after the stop is the same ``ValueError``; a crop seeks instead of decoding the file;
- ``metadata``: sample rate, channels, header duration, FFmpeg's codec and sample-format names;
- ``load_with_torchcodec``/``save_with_torchcodec``: torchaudio 2.11's checks, warnings, slicing
  and error wrapping, float32 samples written the way FFmpeg's encoders convert them.

Not copied: on MP3, FFmpeg reports the encoder delay as the stream's start time (69 ms for a LAME
file at 16 kHz) after removing it from the samples, so torchcodec's ``t`` is off by that delay
and its header duration counts the padding; here ``t`` is ``index / rate`` of the samples that
``get_all_samples`` returns and the duration is their count, as for every other format.
"""

from __future__ import annotations

import io
import math
import os
import sys
import warnings
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator, Optional, Tuple, Union

from .legacy_io import refuse_samples_lame_aborts_on, write_path

if TYPE_CHECKING:
    import torch

__all__ = [
    "AudioDecoder",
    "AudioSamples",
    "AudioStreamMetadata",
    "load_with_torchcodec",
    "save_with_torchcodec",
]

Source = Union[str, "os.PathLike[str]", bytes, BinaryIO]


@dataclass
class AudioStreamMetadata:
    """``torchcodec.decoders.AudioStreamMetadata``: the same fields, in the same order."""

    duration_seconds_from_header: Optional[float]
    begin_stream_seconds_from_header: Optional[float]
    bit_rate: Optional[float]
    codec: Optional[str]
    stream_index: int
    media_type: str
    sample_rate: Optional[int]
    num_channels: Optional[int]
    sample_format: Optional[str]
    duration_seconds: Optional[float]
    begin_stream_seconds: Optional[float]


@dataclass
class AudioSamples:
    """``torchcodec.AudioSamples``: the samples of a range and where it starts, iterable like it."""

    data: torch.Tensor
    pts_seconds: float
    duration_seconds: float
    sample_rate: int

    def __iter__(self) -> Iterator[Any]:
        for item in fields(self):
            yield getattr(self, item.name)


class AudioDecoder:
    """``torchcodec.decoders.AudioDecoder`` for what pyannote.audio 4 calls: ``metadata``,
    ``get_all_samples()`` and ``get_samples_played_in_range(start, stop)``.

    ``source`` is a path (``str``/``PathLike``), ``bytes``, or a binary file object read from its
    current position, as torchcodec takes them. The header is read here; samples are read when
    asked for, seeking to the range (so a file object must stay open meanwhile, as for torchcodec).
    """

    def __init__(self, source: Source) -> None:
        self._source = _readable(source)
        self._start = self._source.tell() if hasattr(self._source, "tell") else 0
        self._reader = _open_reader(self._source, source)
        self.metadata = self._reader.metadata
        self.stream_index = 0

    def get_all_samples(self) -> AudioSamples:
        """Every sample of the stream (``get_samples_played_in_range()``)."""
        return self.get_samples_played_in_range()

    def get_samples_played_in_range(
        self, start_seconds: float = 0.0, stop_seconds: Optional[float] = None
    ) -> AudioSamples:
        """The samples in ``[start_seconds, stop_seconds)`` (to the end when ``stop_seconds`` is None)."""
        import torch

        if stop_seconds is not None and not start_seconds <= stop_seconds:
            raise ValueError(
                f"Invalid start seconds: {start_seconds}. "
                f"It must be less than or equal to stop seconds ({stop_seconds})."
            )
        rate, frames = self._reader.sample_rate, self._reader.frames
        empty = stop_seconds is not None and start_seconds == stop_seconds
        if not empty and start_seconds >= frames / rate:
            raise RuntimeError(
                f"No audio frame: the range starts at {start_seconds} s, "
                f"at or after the end of the stream ({frames / rate} s)"
            )
        first = max(0, _sample_at(start_seconds, rate))
        last = None if stop_seconds is None else max(first, _sample_at(stop_seconds, rate))
        data = torch.from_numpy(self._read(first, last))
        return AudioSamples(
            data=data,
            pts_seconds=float(max(start_seconds, 0.0)),
            duration_seconds=data.shape[1] / rate,
            sample_rate=int(rate),
        )

    def _read(self, first: int, last: Optional[int]) -> Any:
        """Samples ``[first, last)`` (``last`` None: to the end; either past the end: up to it), the
        source rewound to where it was."""
        if hasattr(self._source, "seek"):
            self._source.seek(self._start)
        return self._reader.read(self._source, first, last)


def load_with_torchcodec(
    uri: Union[BinaryIO, str, os.PathLike[str]],
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    format: Optional[str] = None,
    buffer_size: int = 4096,
    backend: Optional[str] = None,
) -> Tuple[torch.Tensor, int]:
    """torchaudio 2.11's ``load_with_torchcodec`` (``torchaudio/_torchcodec.py``) on soundfile.

    Always float32 in ``[-1, 1]``; ``normalize=False``, ``buffer_size``, ``backend`` and
    ``format`` are ignored with torchaudio's warnings. ``frame_offset`` (negative: 0) and
    ``num_frames`` (negative: to the end) select samples as torchaudio's slicing does, but the
    read seeks instead of decoding the whole file. Decoding errors are ``RuntimeError``.
    """
    import torch

    for ignored, message in (
        (
            not normalize,
            "TorchCodec AudioDecoder always returns normalized float32 samples. "
            "The 'normalize=False' parameter is ignored.",
        ),
        (buffer_size != 4096, "The 'buffer_size' parameter is not used by TorchCodec AudioDecoder."),
        (backend is not None, "The 'backend' parameter is not used by TorchCodec AudioDecoder."),
        (format is not None, "The 'format' parameter is not supported by TorchCodec AudioDecoder."),
    ):
        if ignored:
            warnings.warn(message, UserWarning, stacklevel=2)
    try:
        decoder = AudioDecoder(uri)
    except Exception as exc:
        raise RuntimeError(f"Failed to create AudioDecoder for {uri}: {exc}") from exc
    first = max(frame_offset, 0)  # torchaudio slices only for a positive offset
    last = None if num_frames < 0 else first + num_frames  # 0: no samples
    try:
        data = torch.from_numpy(decoder._read(first, last))
    except Exception as exc:
        raise RuntimeError(f"Failed to decode audio samples: {exc}") from exc
    return (data if channels_first else data.transpose(0, 1)), decoder._reader.sample_rate


def save_with_torchcodec(
    uri: Union[str, os.PathLike[str]],
    src: torch.Tensor,
    sample_rate: int,
    channels_first: bool = True,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
    bits_per_sample: Optional[int] = None,
    buffer_size: int = 4096,
    backend: Optional[str] = None,
    compression: Optional[Union[float, int]] = None,
) -> None:
    """torchaudio 2.11's ``save_with_torchcodec`` on soundfile, for the formats both write.

    The extension picks what torchcodec's encoder writes: ``.wav`` 16-bit PCM, ``.flac`` 24-bit,
    ``.mp3``, ``.ogg`` (Vorbis), ``.opus``; float samples are clipped and rounded to integers as
    FFmpeg converts them. ``format``, ``encoding``, ``bits_per_sample``, ``buffer_size`` and
    ``backend`` are ignored with torchaudio's warnings; ``compression`` (a bit rate for FFmpeg)
    has no soundfile equivalent and is ignored with a warning. The file is written in place, as
    FFmpeg's encoder writes it. Errors are ``RuntimeError`` (``ValueError`` for a bad tensor or
    rate, and for NaN or infinite samples in an MP3, on which LAME would abort the process), as
    torchaudio raises them.
    """
    import numpy as np
    import torch

    for ignored, message in (
        (
            format is not None,
            "The 'format' parameter is not used by TorchCodec AudioEncoder. "
            "Format is determined by the file extension.",
        ),
        (encoding is not None, "The 'encoding' parameter is not fully supported by TorchCodec AudioEncoder."),
        (
            bits_per_sample is not None,
            "The 'bits_per_sample' parameter is not directly supported by TorchCodec AudioEncoder.",
        ),
        (buffer_size != 4096, "The 'buffer_size' parameter is not used by TorchCodec AudioEncoder."),
        (backend is not None, "The 'backend' parameter is not used by TorchCodec AudioEncoder."),
    ):
        if ignored:
            warnings.warn(message, UserWarning, stacklevel=2)
    if not isinstance(src, torch.Tensor):
        raise ValueError(f"Expected src to be a torch.Tensor, got {type(src)}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if src.ndim not in (1, 2):
        raise ValueError(f"Expected 1D or 2D tensor, got {src.ndim}D tensor")
    samples = src.detach().to("cpu", torch.float32)
    if samples.ndim == 1:
        samples = samples.unsqueeze(1)
    elif channels_first:
        samples = samples.t()
    if compression is not None:
        warnings.warn(
            "ta-compat: soundfile cannot set an encoder bit rate: 'compression' is ignored.", UserWarning, stacklevel=2
        )
    extension = os.path.splitext(os.fspath(uri))[1].lower().lstrip(".")
    try:
        container, subtype, scale = _ENCODERS[extension]
    except KeyError:
        raise RuntimeError(
            f"Failed to save audio to {uri}: ta-compat writes .{' .'.join(_ENCODERS)} through soundfile; "
            f"'.{extension}' needs torchcodec with FFmpeg's shared libraries"
        ) from None
    data = samples.numpy()
    if scale is not None:
        # FFmpeg's float to integer conversion (libswresample): llrintf(x * 2**bits), clipped; in
        # float64, where the int32 bounds are exact (float32 rounds 2**31 - 1 up, and it would wrap).
        info = np.iinfo(np.int16 if scale == 15 else np.int32)
        data = np.clip(np.rint(data.astype(np.float64) * 2.0**scale), info.min, info.max).astype(info.dtype)
    refuse_samples_lame_aborts_on(data, subtype)
    try:
        write_path(_soundfile(), uri, data, samplerate=sample_rate, subtype=subtype, format=container)
    except Exception as exc:
        raise RuntimeError(f"Failed to save audio to {uri}: {exc}") from exc


# --- private: sources, readers, tables ----------------------------------------------------------

#: Extension -> (soundfile format, subtype, bits the samples are scaled to before writing: 15 for
#: 16-bit PCM, 31 for 24-bit, which libsndfile takes from the top of each int32; None: float).
_ENCODERS = {
    "wav": ("WAV", "PCM_16", 15),
    "flac": ("FLAC", "PCM_24", 31),
    "mp3": ("MP3", "MPEG_LAYER_III", None),
    "ogg": ("OGG", "VORBIS", None),
    "opus": ("OGG", "OPUS", None),
}

#: soundfile subtype -> FFmpeg's decoded sample format (what torchcodec's metadata reports).
_SAMPLE_FORMATS = {
    "PCM_U8": "u8",
    "PCM_S8": "u8",
    "PCM_16": "s16",
    "PCM_24": "s32",
    "PCM_32": "s32",
    "FLOAT": "flt",
    "DOUBLE": "dbl",
    "ULAW": "s16",
    "ALAW": "s16",
    "VORBIS": "fltp",
    "OPUS": "fltp",
    "MPEG_LAYER_III": "fltp",
}

#: soundfile subtype -> FFmpeg's PCM codec name, before the byte order (``le``/``be``).
_PCM_CODECS = {
    "PCM_S8": "pcm_s8",
    "PCM_16": "pcm_s16",
    "PCM_24": "pcm_s24",
    "PCM_32": "pcm_s32",
    "FLOAT": "pcm_f32",
    "DOUBLE": "pcm_f64",
}
_PCM_BITS = {"PCM_U8": 8, "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
_BIG_ENDIAN_FORMATS = frozenset({"AIFF", "AU"})
_CODECS = {
    "PCM_U8": "pcm_u8",
    "ULAW": "pcm_mulaw",
    "ALAW": "pcm_alaw",
    "VORBIS": "vorbis",
    "OPUS": "opus",
    "MPEG_LAYER_III": "mp3",
}


def _soundfile() -> Any:
    import soundfile

    return soundfile


def _readable(source: Any) -> Any:
    """A path string or a binary file object for ``source``, with torchcodec's type errors."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    if isinstance(source, io.TextIOBase):
        raise TypeError("source is for reading text, likely from open(..., 'r'). Try with 'rb' for binary reading?")
    if hasattr(source, "read") and hasattr(source, "seek"):
        return source
    raise TypeError(
        f"Unknown source type: {type(source)}. Supported types are str, Path, bytes and file-like objects "
        "with read(self, size: int) -> bytes and seek(self, offset: int, whence: int) -> int methods."
    )


def _sample_at(seconds: float, rate: int) -> int:
    """The sample a time falls on, ties up (torchcodec's ``floor(t * rate + 0.5)``)."""
    return math.floor(seconds * rate + 0.5)


class _SoundfileReader:
    """A stream libsndfile reads: its header, then any range of it by seeking.

    libsndfile 1.2 seeks late inside the last page of an Ogg Vorbis stream (69 samples in a
    measured 16 kHz mono file; reads from the start, and seeks anywhere else, are exact): a range
    that starts there is read from the end of the page before and the difference skipped.
    """

    def __init__(self, source: Any) -> None:
        soundfile = _soundfile()
        with soundfile.SoundFile(source) as file_:
            self.sample_rate: int = file_.samplerate
            self.channels: int = file_.channels
            self.frames: int = file_.frames
            container, subtype = file_.format, file_.subtype
        self._vorbis = subtype == "VORBIS"
        duration = self.frames / self.sample_rate
        bits = _PCM_BITS.get(subtype)
        self.metadata = AudioStreamMetadata(
            duration_seconds_from_header=duration,
            begin_stream_seconds_from_header=None if container == "WAV" else 0.0,
            bit_rate=self.sample_rate * self.channels * bits if bits and container != "FLAC" else None,
            codec="flac" if container == "FLAC" else _codec_name(container, subtype),
            stream_index=0,
            media_type="audio",
            sample_rate=self.sample_rate,
            num_channels=self.channels,
            sample_format=_SAMPLE_FORMATS.get(subtype),
            duration_seconds=duration,
            begin_stream_seconds=0.0,
        )

    def read(self, source: Any, first: int, last: Optional[int]) -> Any:
        """Samples ``[first, last)`` (to the end for None) as a contiguous float32 ``(channels, time)``
        array; fewer where the data ends before its header said."""
        import numpy as np

        first = min(first, self.frames)
        count = (self.frames if last is None else min(last, self.frames)) - first
        start = min(first, max(0, _last_ogg_page_start(source) - 1)) if self._vorbis and first > 0 else first
        with _soundfile().SoundFile(source) as file_:
            file_.seek(start)
            if start < first:
                file_.read(first - start, dtype="float32")
            out = np.empty((self.channels, count), dtype=np.float32)
            if self.channels == 1:
                done = len(file_.read(count, dtype="float32", always_2d=True, out=out.T))
            else:  # de-interleave block by block: the peak stays one block above the result
                block = np.empty((min(count, 1 << 16), self.channels), dtype=np.float32)
                done = 0
                while done < count:
                    got = len(file_.read(min(len(block), count - done), out=block[: count - done]))
                    out[:, done : done + got] = block[:got].T
                    done += got
                    if got == 0:
                        break
        return out if done == count else np.ascontiguousarray(out[:, :done])


#: Ogg pages are at most 27 + 255 + 255 * 255 bytes: the last two pages' headers lie within this.
_OGG_TAIL = 2 * (27 + 255 + 255 * 255)


def _last_ogg_page_start(source: Any) -> int:
    """The first sample of the last page of an Ogg stream (the granule position of the page
    before it), or 0 where it cannot be told; ``source`` is left where it was."""
    import struct

    if isinstance(source, str):
        with open(source, "rb") as file_:
            return _last_ogg_page_start(file_)
    origin = source.tell()
    try:
        source.seek(0, io.SEEK_END)
        source.seek(max(origin, source.tell() - _OGG_TAIL))
        tail = source.read()
    finally:
        source.seek(origin)
    # Pages chained back from the end of the file: each one ends where the next one starts.
    pages = {}
    position = tail.find(b"OggS")
    while position >= 0 and position + 27 <= len(tail):
        segments = tail[position + 26]
        size = 27 + segments + sum(tail[position + 27 : position + 27 + segments])
        pages[position + size] = (position, struct.unpack_from("<q", tail, position + 6)[0])
        position = tail.find(b"OggS", position + 4)
    page = pages.get(len(tail))
    while page is not None:
        page = pages.get(page[0])
        if page is not None and page[1] >= 0:  # -1: no packet ends on that page
            return int(page[1])
    return 0


def _codec_name(container: str, subtype: str) -> Optional[str]:
    pcm = _PCM_CODECS.get(subtype)
    if pcm is not None:
        return pcm + ("be" if container in _BIG_ENDIAN_FORMATS else "le")
    return _CODECS.get(subtype)


class _PyAVReader:
    """A stream PyAV (FFmpeg) decodes, for formats libsndfile cannot read (AAC, webm, ...).

    FFmpeg does not seek audio to the sample, so a range is decoded from the start of the stream
    up to its stop and converted to float32 planar as torchcodec converts it (libswresample).
    """

    def __init__(self, av: Any, source: Any) -> None:
        self._av = av
        with av.open(source) as container:
            stream = container.streams.audio[0]
            context = stream.codec_context
            self.sample_rate = int(context.sample_rate)
            self.channels = int(context.layout.nb_channels)
            if stream.duration is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = container.duration / av.time_base if container.duration else 0.0
            begin = float(stream.start_time * stream.time_base) if stream.start_time is not None else None
            self.metadata = AudioStreamMetadata(
                duration_seconds_from_header=duration,
                begin_stream_seconds_from_header=begin,
                bit_rate=stream.bit_rate or context.bit_rate or None,
                codec=context.codec.name,
                stream_index=stream.index,
                media_type="audio",
                sample_rate=self.sample_rate,
                num_channels=self.channels,
                sample_format=context.format.name if context.format else None,
                duration_seconds=duration,
                begin_stream_seconds=0.0,
            )
        self.frames = round(duration * self.sample_rate)

    def read(self, source: Any, first: int, last: Optional[int]) -> Any:
        """Samples ``[first, last)`` (to the end for None), decoding from the start up to ``last``."""
        import itertools

        import numpy as np

        chunks, decoded = [], 0
        with self._av.open(source) as container:
            stream = container.streams.audio[0]
            layout = stream.codec_context.layout
            resampler = self._av.AudioResampler(format="fltp", layout=layout, rate=self.sample_rate)
            for frame in itertools.chain(container.decode(stream), [None]):  # None flushes the resampler
                for converted in resampler.resample(frame):
                    chunks.append(converted.to_ndarray())
                    decoded += chunks[-1].shape[1]
                if last is not None and decoded >= last:
                    break
        data = np.concatenate(chunks, axis=1) if chunks else np.empty((self.channels, 0), dtype=np.float32)
        return np.ascontiguousarray(data[:, first:last], dtype=np.float32)  # up to what was decoded


def _open_reader(readable: Any, source: Any) -> Any:
    """soundfile's reader, else PyAV's where installed, else one error that says what to install."""
    soundfile = _soundfile()
    start = readable.tell() if hasattr(readable, "tell") else 0
    try:
        return _SoundfileReader(readable)
    except soundfile.LibsndfileError as exc:
        if exc.code == _SF_ERR_SYSTEM:  # no such file, no permission: no other decoder does better
            raise RuntimeError(str(exc)) from exc
        libsndfile_error = exc
    av = _pyav()
    if av is not None:
        if hasattr(readable, "seek"):
            readable.seek(start)
        try:
            return _PyAVReader(av, readable)
        except Exception as exc:
            raise RuntimeError(
                f"Could not decode {_name(source)}: libsndfile: {libsndfile_error}; PyAV {av.__version__}: {exc}"
            ) from exc
    raise RuntimeError(
        f"Could not decode {_name(source)}: libsndfile {soundfile.__libsndfile_version__} cannot read it "
        f"({libsndfile_error.error_string}) and torchcodec cannot decode here. libsndfile reads WAV, FLAC, "
        "OGG and MP3; for other formats (m4a/AAC, mp4, webm) install PyAV (`pip install av`, its wheels "
        "bundle FFmpeg) or FFmpeg's shared libraries for torchcodec."
    ) from libsndfile_error


_SF_ERR_SYSTEM = 2  # libsndfile's error code for a failed open() or read()


def _pyav() -> Any:
    """The ``av`` module if it is installed and imports, else None (PyAV is optional)."""
    if "av" not in sys.modules:
        from importlib.util import find_spec

        if find_spec("av") is None:
            return None
    try:
        import av
    except Exception:
        return None
    return av


def _name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    return repr(getattr(source, "name", None) or type(source).__name__)
