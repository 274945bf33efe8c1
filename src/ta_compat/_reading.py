"""One range reader for every decoding path: legacy ``torchaudio.load`` and pyannote 4's decoder.

``SoundfileReader`` reads any range of a stream libsndfile decodes by seeking (a crop costs the
same at any position), in blocks where the header claims more than memory holds or than the data
holds (a FLAC header claiming 2**36 samples with 1 s of data gives the 1 s). ``PyAVReader``
decodes what libsndfile cannot (AAC, WebM/Opus, Ogg Opus at FFmpeg's 48 kHz) as torchcodec does:
seek before the range, decode, trim by timestamp. Both own their source and read it on demand;
``AudioReader`` names what the decoder uses of either.
"""

from __future__ import annotations

import functools
import io
import math
import os
import struct
import sys
from typing import Any, Dict, List, Optional, Protocol, Tuple

__all__ = ["AudioReader", "PyAVReader", "SoundfileReader", "no_frames_error", "pyav", "sample_at"]


class AudioReader(Protocol):
    """What a torchcodec-style decoder needs of a stream: its shape, its header, and ranges by time."""

    sample_rate: int
    channels: int

    def header(self) -> Dict[str, Any]:
        """torchcodec's ``AudioStreamMetadata`` fields, as FFmpeg reports them for this stream."""

    def played_in_range(self, start_seconds: float, stop_seconds: Optional[float]) -> Tuple[Any, float]:
        """The samples in ``[start, stop)`` as float32 ``(channels, time)`` and the time of the first,
        with torchcodec 0.17's rules; ``RuntimeError`` where no frame falls in the range."""


def sample_at(seconds: float, rate: int) -> int:
    """The sample a time falls on, ties up (torchcodec's ``floor(t * rate + 0.5)``)."""
    return math.floor(seconds * rate + 0.5)


def no_frames_error(start_seconds: float, stop_seconds: Optional[float]) -> RuntimeError:
    """torchcodec's error for a range no frame falls in (its C++ prints the start as ``%g`` and the
    stop as ``std::to_string`` does)."""
    stop = "nullopt" if stop_seconds is None else f"{stop_seconds:f}"
    return RuntimeError(
        f"No audio frames were decoded. This is probably because start_seconds is too high({start_seconds:g}),"
        f"or because stop_seconds({stop}) is too low."
    )


def pyav() -> Any:
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


class SoundfileReader:
    """A stream libsndfile reads, held open from the header on: any range of it by seeking.

    libsndfile 1.2 seeks late inside the last page of an Ogg Vorbis stream (69 samples in a
    measured 16 kHz mono file; reads from the start, and seeks anywhere else, are exact): a range
    that starts there is read from the end of the page before and the difference skipped.
    """

    #: The largest block read at once where the header's length cannot be trusted with memory.
    block_bytes = 1 << 24

    def __init__(self, soundfile: Any, source: Any, as_ffmpeg: bool = True) -> None:
        """Open ``source`` (a path, or a binary file object at the stream's start) and read its
        header. ``as_ffmpeg`` reads as FFmpeg decodes (Vorbis from where asked, the data of a FLAC
        header claiming more, any length numpy cannot allocate in blocks); ``as_ffmpeg=False``
        reads as legacy torchaudio's soundfile backend did (only a ``MemoryError`` read in blocks)."""
        self._as_ffmpeg = as_ffmpeg
        self._last_page = _last_ogg_page_start(source) if as_ffmpeg and _is_ogg(source) else 0
        self._soundfile = soundfile
        self._file = soundfile.SoundFile(source, "r")
        self._lost_position = False
        #: Where a read starts, when known without asking libsndfile (after ``legacy_range``).
        self._position: Optional[int] = None
        self.sample_rate: int = self._file.samplerate
        self.channels: int = self._file.channels
        self.frames: int = self._file.frames
        self._source = source

    @functools.cached_property
    def container(self) -> str:
        """libsndfile's major format (``"WAV"``, ``"FLAC"``, ...): looked up on first use, since a
        float ``torchaudio.load`` never needs it and a crop is a few calls into libsndfile."""
        return str(self._file.format)

    @functools.cached_property
    def subtype(self) -> str:
        """libsndfile's subtype (``"PCM_16"``, ``"VORBIS"``, ...), looked up on first use."""
        return str(self._file.subtype)

    def close(self) -> None:
        """Close what libsndfile holds (a file object passed in stays open: it is the caller's)."""
        self._file.close()

    def legacy_range(self, frame_offset: int, num_frames: int) -> Tuple[int, int]:
        """Legacy torchaudio's ``(first, count)`` for ``frame_offset``/``num_frames``: soundfile's own
        slice rules (a negative offset counts from the end), with its errors."""
        count = self._file._prepare_read(frame_offset, None, num_frames)
        first = self._file.tell() if self._file.seekable() else 0
        self._position = first
        return first, count

    def read(self, first: int, count: int, dtype: str = "float32", channels_first: bool = False) -> Any:
        """``count`` frames from ``first`` as ``(time, channels)`` (``channels_first``: a contiguous
        ``(channels, time)``), fewer where the data ends before its header said; a header that
        claims more than memory holds is read in blocks up to where the data ends."""
        import numpy as np

        position, self._position = self._position, None  # the read below moves it
        if self._file.seekable():
            first = min(first, self.frames)
            count = max(0, min(count, self.frames - first))
            start = min(first, max(0, self._last_page - 1)) if self._last_page and first > 0 else first
            if self._lost_position or (self._file.tell() if position is None else position) != start:
                try:
                    self._file.seek(start)
                except self._soundfile.LibsndfileError:
                    if self.container != "FLAC" or not self._as_ffmpeg:
                        raise
                    count = 0  # libFLAC cannot seek past data shorter than its header claims: none there
                self._lost_position = False
            if start < first:
                self._file.read(first - start, dtype=dtype)
        shape = (self.channels, count) if channels_first else (count, self.channels)
        try:
            out = np.empty(shape, dtype=dtype)
        except MemoryError:
            return self._read_blocks(count, dtype, channels_first)
        except ValueError:  # numpy: beyond its address space (legacy torchaudio raised it)
            if not self._as_ffmpeg:
                raise
            return self._read_blocks(count, dtype, channels_first)
        if not channels_first:
            done = self._read_into(out)
            return out if done == count else out[:done]  # a view, as soundfile.read returns it
        if self.channels == 1:
            done = self._read_into(out.T)
        else:  # de-interleave block by block: the peak stays one block above the result
            block = np.empty((min(count, self._block_frames(dtype)), self.channels), dtype=dtype)
            done = 0
            while done < count:
                got = self._read_into(block[: count - done])
                out[:, done : done + got] = block[:got].T
                done += got
                if got < min(len(block), count - done + got):
                    break
        return out if done == count else np.ascontiguousarray(out[:, :done])

    def _read_into(self, out: Any) -> int:
        """Read ``len(out)`` frames into ``out`` (``(time, channels)``); how many there were.

        soundfile seeks to where a read ended after each read, and libFLAC cannot seek to the end
        of data shorter than its header claims: there the frames read are those before the first
        row still holding the NaN put there first (FLAC decodes integers: never NaN).
        """
        import numpy as np

        if not self._as_ffmpeg or out.dtype.kind != "f" or self.container != "FLAC":
            return len(self._file.read(len(out), out=out))
        out[...] = np.nan
        try:
            return len(self._file.read(len(out), out=out))
        except self._soundfile.LibsndfileError:
            self._lost_position = True
            untouched = np.isnan(out[:, 0])
            return int(untouched.argmax()) if untouched.any() else len(out)

    def _block_frames(self, dtype: str) -> int:
        import numpy as np

        return max(1, self.block_bytes // (np.dtype(dtype).itemsize * max(1, self.channels)))

    def _read_blocks(self, count: int, dtype: str, channels_first: bool) -> Any:
        """Up to ``count`` frames in blocks of at most ``block_bytes``, stopping where the data ends."""
        import numpy as np

        block = self._block_frames(dtype)
        blocks: List[Any] = []
        while count > 0:
            chunk = np.empty((min(count, block), self.channels), dtype=dtype)
            got = self._read_into(chunk)
            if got:
                blocks.append(chunk[:got])
            if got < len(chunk):
                break
            count -= got
        if not blocks:
            blocks.append(np.empty((0, self.channels), dtype=dtype))
        data = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        return np.ascontiguousarray(data.T) if channels_first else data

    def played_in_range(self, start_seconds: float, stop_seconds: Optional[float]) -> Tuple[Any, float]:
        """torchcodec's samples in ``[start, stop)``: FFmpeg seeks PCM to the sample (the first
        returned sample's time, or the start where that sample lies before it) and other codecs to
        the frame before the start (the start)."""
        import numpy as np

        rate = self.sample_rate
        if stop_seconds is not None and start_seconds == stop_seconds:
            return np.empty((self.channels, 0), dtype=np.float32), max(start_seconds, 0.0)
        if start_seconds >= self.frames / rate or (
            stop_seconds is not None and not 0 < stop_seconds <= sys.float_info.max
        ):
            raise no_frames_error(start_seconds, stop_seconds)
        first = 0 if math.isnan(start_seconds) else max(0, sample_at(start_seconds, rate))
        last = self.frames if stop_seconds is None else min(self.frames, max(first, sample_at(stop_seconds, rate)))
        data = self.read(first, last - first, channels_first=True)
        if data.shape[1] == 0 and (last > first or not self.frames):  # no data there, whatever the header said
            raise no_frames_error(start_seconds, stop_seconds)
        if math.isnan(start_seconds) or start_seconds <= 0:
            pts = 0.0
        elif self._seeks_to_the_sample():
            pts = max(start_seconds, first / rate)
        else:
            pts = float(start_seconds)
        return data, pts

    def header(self) -> Dict[str, Any]:
        """torchcodec's metadata fields as FFmpeg reports this stream (measured on FFmpeg 5 and 8)."""
        container, subtype = self.container, self.subtype
        riff = container in _RIFF_FORMATS
        duration = self.frames / self.sample_rate if self.frames else None
        bits = _PCM_BITS.get(subtype)
        if container == "FLAC":
            bit_rate: Optional[int] = 0
        elif riff:
            bit_rate = _riff_byte_rate(self._source, container)
        elif bits:
            bit_rate = self.sample_rate * self.channels * bits
        elif subtype == "VORBIS":
            bit_rate = _vorbis_nominal_bit_rate(self._source)
        else:
            bit_rate = None
        return {
            "duration_seconds_from_header": duration,
            "begin_stream_seconds_from_header": None if riff else 0.0,
            "bit_rate": bit_rate,
            "codec": "flac" if container == "FLAC" else _codec_name(container, subtype),
            "stream_index": 0,
            "media_type": "audio",
            "sample_rate": self.sample_rate,
            "num_channels": self.channels,
            "sample_format": _SAMPLE_FORMATS.get(subtype),
            "duration_seconds": duration,
            "begin_stream_seconds": 0.0,
        }

    def _seeks_to_the_sample(self) -> bool:
        """Whether FFmpeg's demuxer seeks this stream to the sample: linear PCM (not mu-law, A-law)
        outside FLAC and VOC (measured at 44.1 kHz on FFmpeg 8)."""
        return self.container not in ("FLAC", "VOC") and (self.subtype in _PCM_CODECS or self.subtype == "PCM_U8")


class PyAVReader:
    """A stream PyAV (FFmpeg) decodes, held open: torchcodec's seek, decode, trim by timestamp.

    A range is decoded from a seek point ``PREROLL`` seconds before its start (so decoders that
    need earlier packets, AAC's overlap and Opus's 80 ms pre-roll, are settled), frames that end
    before the start are dropped, and the samples are cut by the first kept frame's timestamp, as
    torchcodec 0.17 cuts them; a range that starts at or after the end the header gives has no
    frame, as in torchcodec. ``sample_rate``/``num_channels`` convert as torchcodec's do
    (libswresample, from the stream's start); a stream without a header duration is read to its end.
    """

    PREROLL = 0.5

    def __init__(
        self,
        av: Any,
        source: Any,
        stream_index: Optional[int] = None,
        sample_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
    ) -> None:
        """Open ``source`` and read the header of its audio stream (the first, or ``stream_index``)."""
        if num_channels is not None and num_channels <= 0:
            raise RuntimeError(f"num_channels must be > 0. Got: {num_channels}")
        self._av = av
        self._container = av.open(source)
        audio = self._container.streams.audio
        if not audio:
            self._container.close()
            raise ValueError("The best audio stream is unknown and there is no specified stream.")
        if stream_index is None:
            self._stream = audio[0]
        elif stream_index >= len(self._container.streams):
            self._container.close()
            raise ValueError(f"The stream at index {stream_index} is not a valid stream.")
        else:
            self._stream = self._container.streams[stream_index]
            if self._stream.type != "audio":
                self._container.close()
                raise ValueError(f"The stream at index {stream_index} is not an audio stream.")
        context = self._stream.codec_context
        self.source_rate = int(context.sample_rate)
        self.source_channels = int(context.layout.nb_channels)
        self.sample_rate = sample_rate or self.source_rate
        self.channels = num_channels or self.source_channels
        self._layout = context.layout if self.channels == self.source_channels else _layout_name(self.channels)
        self._fresh = True  # nothing decoded yet: a range from the start needs no seek
        time_base, stream = self._stream.time_base, self._stream
        begin = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
        #: Where the header says the stream ends (inf where it does not say).
        self._end = begin + float(stream.duration * time_base) if stream.duration is not None else math.inf

    def header(self) -> Dict[str, Any]:
        """torchcodec's metadata fields: FFmpeg's own, read the way torchcodec reads them."""
        stream, context = self._stream, self._stream.codec_context
        time_base = stream.time_base
        duration = float(stream.duration * time_base) if stream.duration is not None else None
        begin = float(stream.start_time * time_base) if stream.start_time is not None else None
        return {
            "duration_seconds_from_header": duration,
            "begin_stream_seconds_from_header": begin,
            "bit_rate": context.bit_rate or 0,
            "codec": context.codec.canonical_name if hasattr(context.codec, "canonical_name") else context.name,
            "stream_index": stream.index,
            "media_type": "audio",
            "sample_rate": self.source_rate,
            "num_channels": self.source_channels,
            "sample_format": context.format.name if context.format else None,
            "duration_seconds": duration,
            "begin_stream_seconds": begin if begin is not None else 0.0,
        }

    def played_in_range(self, start_seconds: float, stop_seconds: Optional[float]) -> Tuple[Any, float]:
        """torchcodec 0.17's ``get_samples_played_in_range``, frame by frame (see the class)."""
        import numpy as np

        if stop_seconds is not None and start_seconds == stop_seconds:
            return np.empty((self.channels, 0), dtype=np.float32), max(start_seconds, 0.0)
        # Converted samples are cut from one conversion from the stream's start, as torchcodec's
        # are (libswresample's output grid is anchored where its input begins).
        converting = (self.sample_rate, self.channels) != (self.source_rate, self.source_channels)
        if start_seconds >= self._end and not converting:  # torchcodec finds no frame from the header's end on
            raise no_frames_error(start_seconds, stop_seconds)
        stop = stop_seconds if stop_seconds is None or stop_seconds <= sys.float_info.max else -math.inf
        start = -math.inf if math.isnan(start_seconds) else start_seconds
        self._seek(-math.inf if converting else start - self.PREROLL)
        resampler = self._av.AudioResampler(format="fltp", layout=self._layout, rate=self.sample_rate)
        chunks: List[Any] = []
        first_pts: Optional[float] = None
        found = False  # a frame of the range
        for frame in self._frames():
            if frame is not None:
                begins = float(frame.pts * self._stream.time_base)
                ends = begins + frame.samples / frame.sample_rate
                if stop is not None and begins >= stop:
                    break
                found = found or start < ends
                if not (found or converting):
                    continue  # before the range
                if first_pts is None:
                    first_pts = begins
            chunks.extend(converted.to_ndarray() for converted in resampler.resample(frame))
            if frame is not None and stop is not None and begins <= stop <= ends:
                chunks.extend(converted.to_ndarray() for converted in resampler.resample(None))
                break
        if not found or first_pts is None:
            raise no_frames_error(start_seconds, stop_seconds)
        data = np.concatenate(chunks, axis=1) if chunks else np.empty((self.channels, 0), dtype=np.float32)
        rate = self.sample_rate
        if first_pts < start:
            offset, pts = sample_at(start - first_pts, rate), float(start_seconds)
        else:
            offset, pts = 0, first_pts
        end = data.shape[1] if stop is None else min(data.shape[1], sample_at(stop - first_pts, rate))
        return np.ascontiguousarray(data[:, offset:end], dtype=np.float32), pts

    def _seek(self, seconds: float) -> None:
        """Seek to the key frame at or before ``seconds`` (the stream's start for anything before it)."""
        if self._fresh and seconds <= 0:
            self._fresh = False
            return
        self._fresh = False
        stream = self._stream
        begin = stream.start_time if stream.start_time is not None else 0
        target = max(begin, math.floor(seconds / stream.time_base)) if seconds > -math.inf else begin
        self._container.seek(target, stream=stream, backward=True, any_frame=False)

    def _frames(self) -> Any:
        """The stream's decoded frames from the current position, then None (the end)."""
        for packet in self._container.demux(self._stream):
            for frame in packet.decode():
                if frame.pts is not None:
                    yield frame
        yield None


# --- private: FFmpeg's names for what libsndfile reads ------------------------------------------

#: Containers whose FFmpeg demuxer (wav, w64) reports no start time, and a bit rate from the header.
_RIFF_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64"})

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
    "IMA_ADPCM": "s16p",
    "MS_ADPCM": "s16",
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
_PCM_BITS = {
    "PCM_U8": 8,
    "PCM_S8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ULAW": 8,
    "ALAW": 8,
}
#: Containers libsndfile writes big-endian (CAF's "lpcm" default included), as FFmpeg names them.
_BIG_ENDIAN_FORMATS = frozenset({"AIFF", "AU", "CAF"})
_CODECS = {
    "PCM_U8": "pcm_u8",
    "ULAW": "pcm_mulaw",
    "ALAW": "pcm_alaw",
    "IMA_ADPCM": "adpcm_ima_wav",
    "MS_ADPCM": "adpcm_ms",
    "VORBIS": "vorbis",
    "OPUS": "opus",
    "MPEG_LAYER_III": "mp3",
}


def _codec_name(container: str, subtype: str) -> Optional[str]:
    """FFmpeg's codec name for a libsndfile subtype in a container (PCM names carry the byte order)."""
    pcm = _PCM_CODECS.get(subtype)
    if pcm is not None:
        return pcm + ("be" if container in _BIG_ENDIAN_FORMATS else "le")
    return _CODECS.get(subtype)


def _layout_name(channels: int) -> str:
    """FFmpeg's default layout for a channel count, as torchcodec asks libswresample for it."""
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")


def _head(source: Any, size: int) -> bytes:
    """The first ``size`` bytes of a path or of a file object (left where it was)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file_:
            return file_.read(size)
    origin = source.tell()
    try:
        return bytes(source.read(size))
    finally:
        source.seek(origin)


def _is_ogg(source: Any) -> bool:
    return _head(source, 4) == b"OggS"


def _riff_byte_rate(source: Any, container: str) -> Optional[int]:
    """The bit rate FFmpeg's wav and w64 demuxers report: the ``fmt`` chunk's bytes per second,
    times 8 (its body follows a 4-byte id and size in RIFF, a 16-byte GUID and 8-byte size in W64)."""
    head = _head(source, 1 << 12)
    position = head.find(b"fmt ")
    body = position + (24 if container == "W64" else 8)
    if position < 0 or body + 12 > len(head):
        return None
    return int(struct.unpack_from("<I", head, body + 8)[0]) * 8


def _vorbis_nominal_bit_rate(source: Any) -> Optional[int]:
    """The nominal bit rate of a Vorbis identification header, which FFmpeg reports as the bit rate."""
    head = _head(source, 1 << 12)
    position = head.find(b"\x01vorbis")
    if position < 0 or position + 24 > len(head):
        return None
    return int(struct.unpack_from("<i", head, position + 20)[0])


#: Ogg pages are at most 27 + 255 + 255 * 255 bytes: the last two pages' headers lie within this.
_OGG_TAIL = 2 * (27 + 255 + 255 * 255)


def _last_ogg_page_start(source: Any) -> int:
    """The first sample of the last page of an Ogg stream (the granule position of the page
    before it), or 0 where it cannot be told; ``source`` is left where it was."""
    if isinstance(source, (str, os.PathLike)):
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
