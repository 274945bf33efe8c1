"""torchcodec's audio decoding API on soundfile and PyAV, for where torchcodec cannot decode.

pyannote.audio 4.x reads every file through ``torchcodec.decoders.AudioDecoder`` and torchaudio
2.8+ offers ``load_with_torchcodec``/``save_with_torchcodec`` (2.9+ routes ``load``/``save`` through
them); both fail where torchcodec is not installed or cannot load FFmpeg's shared libraries.
This module gives what they use the same results, through ``ta_compat._reading``: soundfile
(libsndfile: WAV, FLAC, OGG Vorbis, MP3 and the other formats it reads) where it decodes as FFmpeg
does, PyAV (``av``, whose wheels bundle FFmpeg) for the rest where it is installed (AAC, WebM,
Opus, which FFmpeg decodes at 48 kHz, and ``sample_rate=``/``num_channels=``), else an error that
says what to install. Measured against torchcodec 0.17 on FFmpeg 5 and 8, it keeps:

- samples as float32 ``(channels, time)``, contiguous; integer PCM scaled by 2**-(bits-1), which
  libsndfile and FFmpeg agree on bit for bit (PCM 8-32 bit, FLAC); lossy decoders differ in
  their last bits (OGG Vorbis about 4e-7, MP3 about 3e-6);
- ``get_samples_played_in_range(start, stop)``: the half-open range of samples
  ``floor(t * rate + 0.5)``; ``pts_seconds`` the start, or the first sample's time where FFmpeg
  seeks PCM to a sample after it; a range no frame falls in (at or after the end, a stop at or
  before 0, ``stop_seconds=inf``) raises torchcodec's ``RuntimeError``, an empty range gives no
  samples, a start after the stop (or a NaN stop) is the same ``ValueError``; a crop seeks;
- ``metadata``: every field as FFmpeg reports it (codec and sample-format names, bit rate, the
  header's start and duration, None where the header has none);
- ``load_with_torchcodec``/``save_with_torchcodec``: torchaudio 2.11's checks, warnings, slicing
  and error wrapping, float32 samples written the way FFmpeg's encoders convert them.

Not copied: on MP3, FFmpeg reports the encoder delay as the stream's start time (69 ms for a LAME
file at 16 kHz) after removing it from the samples, so torchcodec's ``t`` is off by that delay
and its header duration counts the padding; here ``t`` is ``index / rate`` of the samples that
``get_all_samples`` returns and the duration is their count, as for every other format.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator, Optional, Tuple, Union

from ._reading import AudioReader, PyAVReader, SoundfileReader, pyav
from ._writing import refuse_samples_lame_aborts_on, write_path

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
    """``torchcodec.decoders.AudioDecoder`` (0.17): ``metadata``, ``stream_index``,
    ``get_all_samples()`` and ``get_samples_played_in_range(start, stop)``.

    ``source`` is a path (``str``/``PathLike``), ``bytes``, a 1-D contiguous uint8 tensor of encoded
    bytes, or a binary file object, as torchcodec takes them. The header is read here; samples are
    read when asked for, seeking to the range (so a file object must stay open meanwhile, as for
    torchcodec). ``sample_rate``/``num_channels`` convert as torchcodec does, through PyAV (soundfile
    cannot resample or remix as FFmpeg does).
    """

    def __init__(
        self,
        source: Source,
        *,
        stream_index: Optional[int] = None,
        sample_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
    ) -> None:
        self._reader = _open_reader(source, stream_index, sample_rate, num_channels)
        self.metadata = AudioStreamMetadata(**self._reader.header())
        self.stream_index = self.metadata.stream_index

    def get_all_samples(self) -> AudioSamples:
        """Every sample of the stream (``get_samples_played_in_range()``)."""
        return self.get_samples_played_in_range()

    def get_samples_played_in_range(
        self, start_seconds: float = 0.0, stop_seconds: Optional[float] = None
    ) -> AudioSamples:
        """The samples in ``[start_seconds, stop_seconds)`` (to the end when ``stop_seconds`` is None),
        with torchcodec's edges: ``pts_seconds`` is the start, or the first sample's time where that
        lies after it; a range no frame falls in is a ``RuntimeError``, an empty one no samples."""
        import torch

        if stop_seconds is not None and not start_seconds <= stop_seconds:
            raise ValueError(
                f"Invalid start seconds: {start_seconds}. "
                f"It must be less than or equal to stop seconds ({stop_seconds})."
            )
        data, pts = self._reader.played_in_range(start_seconds, stop_seconds)
        rate = self._reader.sample_rate
        return AudioSamples(
            data=torch.from_numpy(data),
            pts_seconds=pts,
            duration_seconds=data.shape[1] / rate,
            sample_rate=int(rate),
        )

    def samples(self, first: int, last: Optional[int]) -> Any:
        """Samples ``[first, last)`` of what ``get_all_samples`` returns (``last`` None: to the end),
        as float32 ``(channels, time)``: torchaudio's slicing of it, without decoding the rest."""
        reader = self._reader
        if isinstance(reader, SoundfileReader):
            end = reader.frames if last is None else min(last, reader.frames)
            return reader.read(first, max(0, end - first), channels_first=True)
        data, _ = reader.played_in_range(0.0, None)
        return data[:, first:last]

    @property
    def sample_rate(self) -> int:
        """The rate of the samples returned (the source's, or the one asked for)."""
        return int(self._reader.sample_rate)


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
        data = torch.from_numpy(decoder.samples(first, last))
    except Exception as exc:
        raise RuntimeError(f"Failed to decode audio samples: {exc}") from exc
    return (data if channels_first else data.transpose(0, 1)), decoder.sample_rate


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
    if not isinstance(uri, (str, os.PathLike)):  # torchcodec's encoder opens a path only
        raise RuntimeError(
            f"Failed to save audio to {uri}: Couldn't allocate AVFormatContext. "
            f"The destination file is {uri}, check the desired extension? Invalid argument"
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


def _soundfile() -> Any:
    import soundfile

    return soundfile


def _readable(source: Any) -> Any:
    """A path string or a binary file object for ``source``, with torchcodec's type errors."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(source, torch.Tensor):  # encoded bytes, as torchcodec takes them
        if not source.is_contiguous():
            raise RuntimeError("video_tensor must be contiguous")
        if source.dtype != torch.uint8:
            raise RuntimeError("video_tensor must be kUInt8")
        return io.BytesIO(source.cpu().numpy().tobytes())
    if isinstance(source, io.TextIOBase):
        raise TypeError("source is for reading text, likely from open(..., 'r'). Try with 'rb' for binary reading?")
    if hasattr(source, "read") and hasattr(source, "seek"):
        return source
    raise TypeError(
        f"Unknown source type: {type(source)}. Supported types are str, Path, bytes, Tensor and file-like objects "
        "with read(self, size: int) -> bytes and seek(self, offset: int, whence: int) -> int methods."
    )


def _open_reader(
    source: Any, stream_index: Optional[int], sample_rate: Optional[int], num_channels: Optional[int]
) -> AudioReader:
    """soundfile's reader where it decodes as FFmpeg does, else PyAV's where installed, else one
    error that says what to install."""
    soundfile = _soundfile()
    readable = _readable(source)
    start = readable.tell() if hasattr(readable, "tell") else 0
    reason = None
    try:
        reader = SoundfileReader(soundfile, readable)
    except soundfile.LibsndfileError as exc:
        if exc.code == _SF_ERR_SYSTEM:  # no such file, no permission: no other decoder does better
            raise RuntimeError(str(exc)) from exc
        reason, error = f"libsndfile {soundfile.__libsndfile_version__} cannot read it ({exc.error_string})", exc
    else:
        reason = _beyond_soundfile(reader, stream_index, sample_rate, num_channels)
        if reason is None:
            return reader
        reader.close()
        error = None
    av = pyav()
    if av is not None:
        if hasattr(readable, "seek"):
            readable.seek(start)
        try:
            return PyAVReader(av, readable, stream_index, sample_rate, num_channels)
        except av.FFmpegError as exc:
            raise RuntimeError(f"Could not decode {_name(source)}: {reason}; PyAV {av.__version__}: {exc}") from exc
    raise RuntimeError(
        f"Could not decode {_name(source)} as torchcodec does: {reason}, and torchcodec cannot decode here. "
        "libsndfile reads WAV, FLAC, OGG Vorbis and MP3; for other formats (m4a/AAC, mp4, webm, Opus) and "
        "for sample_rate=/num_channels= install PyAV (`pip install av`, its wheels bundle FFmpeg) or "
        "FFmpeg's shared libraries for torchcodec."
    ) from error


def _beyond_soundfile(
    reader: SoundfileReader, stream_index: Optional[int], sample_rate: Optional[int], num_channels: Optional[int]
) -> Optional[str]:
    """Why libsndfile cannot give what torchcodec gives for this stream, or None where it can."""
    if reader.subtype == "OPUS":  # libsndfile decodes at the header's input rate; FFmpeg always at 48 kHz
        return "libsndfile decodes Opus at its input rate, FFmpeg (torchcodec) at 48 kHz"
    if stream_index not in (None, 0):
        return f"libsndfile reads one stream, not stream {stream_index}"
    if sample_rate not in (None, reader.sample_rate) or num_channels not in (None, reader.channels):
        return "libsndfile cannot resample or remix (sample_rate=, num_channels=)"
    return None


_SF_ERR_SYSTEM = 2  # libsndfile's error code for a failed open() or read()


def _name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    return repr(getattr(source, "name", None) or type(source).__name__)
