"""Writing a file as legacy torchaudio's soundfile backend wrote it, for ``torchaudio.save`` and
the torchcodec fallback's ``save_with_torchcodec`` alike: in place, through libsndfile's own open of
the path, after the checks that keep an argument libsndfile rejects (or samples LAME aborts on)
from touching the destination."""

from __future__ import annotations

import os
from typing import Any, Optional

__all__ = ["refuse_samples_lame_aborts_on", "write_path"]


def write_path(soundfile: Any, path: Any, data: Any, *, samplerate: int, subtype: str, format: Optional[str]) -> None:
    """Write ``data`` to ``path`` as legacy torchaudio's soundfile backend did: ``soundfile.write(path, ...)``.

    libsndfile opens the path itself (``O_WRONLY | O_CREAT | O_TRUNC``, mode 0o666 minus the umask
    for a new file), so the kernel decides who may write, follows the links, and the file keeps its
    inode: owner, group, mode, hard links, extended attributes, inode flags, other processes' open
    handles and the events a directory watcher sees are legacy's. Only the order differs: libsndfile
    first checks rate, channels, format and subtype on an in-memory file, so that an argument it
    rejects leaves the destination as it was, where legacy had already created or truncated it.
    """
    _check_encodable(
        soundfile,
        path,
        data,
        samplerate=samplerate,
        subtype=subtype,
        # soundfile takes the format from the name; an in-memory file has none.
        format=format or _format_from_name(soundfile, path),
    )
    soundfile.write(file=path, data=data, samplerate=samplerate, subtype=subtype, format=format)


#: LAME's subtype: libsndfile's MP3 encoder.
_LAME = "MPEG_LAYER_III"


def refuse_samples_lame_aborts_on(data: Any, subtype: str) -> None:
    """Raise ``ValueError`` for NaN or infinite samples about to be encoded as MP3.

    LAME fails an assertion on them (``calc_energy: Assertion `el >= 0' failed``) and aborts the
    whole interpreter (exit 134), as legacy torchaudio and torchaudio 2.11 do; a clear exception
    before the destination is touched costs one pass over the samples. libsndfile's other
    encoders (PCM, FLAC, Vorbis, Opus, GSM, ADPCM) do not abort on them, and are left as legacy.
    """
    import numpy as np

    if subtype == _LAME and data.dtype.kind == "f" and not np.isfinite(data).all():
        raise ValueError(
            "Cannot save NaN or infinite samples as MP3: the LAME encoder would abort the process "
            "(replace them first, e.g. with torch.nan_to_num)."
        )


def _check_encodable(soundfile: Any, path: Any, data: Any, **encoder: Any) -> None:
    """Open the encoder on an in-memory file with no frames, so that libsndfile's objections (rate,
    channels, format, subtype) come before the destination is opened; the exception names ``path``."""
    import io

    try:
        soundfile.write(file=io.BytesIO(), data=data[:0], **encoder)
    except Exception as exc:
        renamed = _as_if_opened_at(path, exc)
        if renamed is None:
            raise
        raise renamed.with_traceback(exc.__traceback__) from None


def _as_if_opened_at(path: Any, exc: BaseException) -> Optional[BaseException]:
    """``exc`` as soundfile raises it for ``path``: "Error opening <path>: ..." instead of the
    in-memory file it was raised for (None if it names no file)."""
    prefix = getattr(exc, "prefix", None)
    if not isinstance(prefix, str) or not prefix.startswith("Error opening ") or not isinstance(exc, RuntimeError):
        return None
    error_class: Any = type(exc)
    try:
        renamed: BaseException = error_class(getattr(exc, "code", None), prefix=f"Error opening {os.fspath(path)!r}: ")
    except Exception:
        return None
    return renamed


def _format_from_name(soundfile: Any, path: Any) -> str:
    """The format soundfile derives from a file name (``soundfile._get_format_from_filename``)."""
    tail: Any = os.path.splitext(path)[-1][1:]
    extension = tail.decode("utf-8", "replace") if isinstance(tail, bytes) else str(tail)
    known = getattr(soundfile, "_formats", None) or soundfile.available_formats()
    if extension.upper() not in known:
        raise TypeError(f"No format specified and unable to get format from file extension: {os.fspath(path)!r}")
    return extension
