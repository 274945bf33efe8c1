"""How ``torchaudio.save`` writes to a path: never leaving a truncated file where a good one was.

The samples are written to a temporary file beside the destination and renamed over it, so a
failure or an interruption leaves the destination as it was. Non-regular destinations (a device,
a FIFO) and directories where no temporary file can be created are written directly, as legacy
torchaudio did.
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import Any, Optional

__all__ = ["write"]


def write(soundfile: Any, path: Any, data: Any, *, samplerate: int, subtype: str, format: Optional[str]) -> None:
    """Write to a temporary file beside ``path`` and rename it over ``path``.

    A failure or an interruption leaves ``path`` as it was. Non-regular destinations (a device,
    a FIFO) and directories where no temporary file can be created are written directly, as
    legacy torchaudio did.
    """
    if format is None:
        # soundfile takes the format from the name: the caller's, not the temporary file's or
        # a symlink target's (and a bad extension fails naming the caller's path, as legacy).
        format = _format_from_name(soundfile, path)
    original, path = path, os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else None
        regular = mode is None or os.path.isfile(target)
    except OSError:
        mode, regular = None, True
    tmp = _create_temporary_beside(target) if regular else None
    if tmp is None:
        soundfile.write(file=original, data=data, samplerate=samplerate, subtype=subtype, format=format)
        return
    try:
        soundfile.write(file=tmp, data=data, samplerate=samplerate, subtype=subtype, format=format)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        renamed = _name_the_destination(exc, tmp, original)
        if renamed is not None:
            raise renamed.with_traceback(exc.__traceback__) from None
        raise


def _name_the_destination(exc: BaseException, tmp: str, original: Any) -> Optional[BaseException]:
    """The soundfile error ``exc`` as legacy raised it: naming the caller's path, not ``tmp``."""
    prefix = getattr(exc, "prefix", None)
    code = getattr(exc, "code", None)
    if not isinstance(prefix, str) or repr(tmp) not in prefix or not isinstance(exc, RuntimeError):
        return None
    error_class: Any = type(exc)
    try:
        renamed: BaseException = error_class(code, prefix=prefix.replace(repr(tmp), repr(original)))
        return renamed
    except Exception:
        return None


def _format_from_name(soundfile: Any, path: Any) -> str:
    """The format soundfile derives from a file name (``soundfile._get_format_from_filename``)."""
    tail: Any = os.path.splitext(path)[-1][1:]
    extension = tail.decode("utf-8", "replace") if isinstance(tail, bytes) else str(tail)
    known = getattr(soundfile, "_formats", None) or soundfile.available_formats()
    if extension.upper() not in known:
        raise TypeError(f"No format specified and unable to get format from file extension: {path!r}")
    return extension


def _create_temporary_beside(path: str) -> Optional[str]:
    """Create an empty file next to ``path`` with the same extension (soundfile reads the format
    from it) and the permissions a new file would get; None if the directory refuses it."""
    directory, name = os.path.split(path)
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension if dot else ""
    for _ in range(100):
        candidate = os.path.join(directory, f".{stem or name}.ta-compat-{os.urandom(4).hex()}{suffix}")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError:
            return None
        return candidate
    return None
