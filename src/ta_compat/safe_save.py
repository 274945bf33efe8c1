"""How ``torchaudio.save`` writes to a path: as legacy torchaudio did, atomically where that changes nothing else.

Legacy torchaudio (2.1-2.8, soundfile backend) called ``soundfile.write(path, ...)``: libsndfile
opened the destination in place (``O_WRONLY | O_CREAT | O_TRUNC``, following links, mode 0o666
minus the umask for a new file), so the kernel decided who may write it, and the file kept its
inode: owner, group, mode, hard links, extended attributes, a bind mount. An interruption or a
failure after the truncation left a damaged file behind. ``write`` keeps what legacy kept and adds
"the old file or the new one, never a damaged one" wherever a new inode cannot be told from the old:

=============================================  ==================================================
destination (as the kernel resolves the path)  how it is written
=============================================  ==================================================
none yet (the name is free)                    temporary file beside it, created with legacy's
                                               mode (0o666 minus the umask), synced, then
                                               hard-linked to the name, which never replaces a
                                               file that appeared meanwhile
a regular file with one link, owned by us,     temporary file created 0o600 in the directory that
without setuid/setgid bits, whose group, mode  holds the file (a symlink's target: the entry must
and extended attributes (ACLs, SELinux label,  be the very inode the kernel opened), given the
``user.*``) a new file in that directory can   file's group, then its mode, before any data,
carry                                          synced, then renamed over it
any other file: another owner's, hard-linked,  in place, as legacy, once libsndfile has accepted
setuid/setgid, extended attributes a new file  rate, channels, format and subtype on an in-memory
would not have; a dangling symlink, a device,  file (so its objections come before the first
a FIFO; the SD2 format (libsndfile writes its  byte)
resource fork beside the path)
the temporary file or the rename fails (EBUSY  in place, as above, once the temporary file is gone;
for a bind-mounted file, EXDEV, EPERM, EACCES  but where the disk is full and the samples of an
in a directory we may not write, a full disk   uncompressed format alone need more room than the
or quota, a Windows sharing violation)         free space plus the old file: legacy's error, the
                                               file untouched
a path the kernel refuses (permission, a       legacy's own call, which raises legacy's exception
symlink loop, ``fs.protected_symlinks``, a
directory, a missing folder)
=============================================  ==================================================

The package never resolves a link to decide anything: the kernel opens the path first (which
applies permissions, ``ELOOP``, ``fs.protected_symlinks`` and ``fs.protected_regular`` as legacy's
open did) and only the file it opened is replaced. python-soundfile syncs a file when it closes
it, but libsndfile rewrites the header after that: the temporary file is synced again before it
gets the name, which costs one flush of the disk's cache. Temporary files are named
``.<name>.ta-compat-<8 hex>.tmp`` with at most 100 bytes of the name, so the leftover of a killed
process is hidden, matches no audio glob and fits every file system's name limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import errno
import functools
import io
import os
import shutil
import stat
import sys
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Union

__all__ = ["write"]

#: libsndfile's mode for a file it creates (``psf_open_fd`` in file_io.c of libsndfile 1.2.2).
_NEW_FILE_MODE = 0o666
#: A temporary file that will replace an existing one starts tighter than any destination.
_PRIVATE_MODE = 0o600
_TEMPORARY_MARK = ".ta-compat-"
_TEMPORARY_SUFFIX = ".tmp"
#: At most this much of the destination's name goes into a temporary name (NAME_MAX is 255 bytes
#: on most file systems, 143 on eCryptfs): a long name keeps the same guarantee.
_NAME_PREFIX_BYTES = 100
#: libsndfile refuses to write SD2 to a descriptor: it writes a resource fork beside the path.
_NEEDS_A_PATH = frozenset({"SD2"})
#: libsndfile's SF_ERR_SYSTEM: an OS call failed (the errno itself is not passed on).
_SYSTEM_ERROR = 2
_OUT_OF_SPACE = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None)
_SPACE_PROBE_BYTES = 1 << 20
#: Containers that store PCM, float and 8-bit companded samples as they are (FLAC, Ogg and MP3
#: compress), and the bytes per sample of those subtypes: their size is known before writing.
_UNCOMPRESSED = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "AU", "CAF", "NIST", "IRCAM", "RAW"})
_SAMPLE_BYTES = {
    **dict.fromkeys(("PCM_S8", "PCM_U8", "ULAW", "ALAW"), 1),
    "PCM_16": 2,
    "PCM_24": 3,
    **dict.fromkeys(("PCM_32", "FLOAT"), 4),
    "DOUBLE": 8,
}
_NO_XATTRS = frozenset(code for code in (errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", None)) if code is not None)
_WINDOWS = sys.platform == "win32"
#: Binary mode on Windows (no newline translation), never inherited by child processes.
_FILE_FLAGS = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0) | getattr(os, "O_CLOEXEC", 0)
#: Directories are pinned by a descriptor where ``*at`` calls exist; ``O_PATH`` needs only search
#: permission, as a path lookup does.
_PINNED = {os.open, os.stat, os.rename, os.unlink} <= os.supports_dir_fd
_DIRECTORY_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | _FILE_FLAGS
#: How the destination itself is opened to learn what the kernel gives for it: for writing, as
#: libsndfile does, but never created, truncated, made a controlling terminal or waited on (FIFO).
_PROBE_FLAGS = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)


def write(soundfile: Any, path: Any, data: Any, *, samplerate: int, subtype: str, format: Optional[str]) -> None:
    """Write ``data`` to ``path`` as legacy ``soundfile.write(path, ...)`` did, atomically where
    that changes nothing else (the module docstring says which destination takes which route).

    Exceptions are legacy's, and name ``path``, never a temporary file.
    """
    encode = functools.partial(
        soundfile.write,
        data=data,
        samplerate=samplerate,
        subtype=subtype,
        # soundfile takes the format from the name: the caller's, not a temporary file's (a bad
        # extension fails here, naming the caller's path, as legacy did).
        format=format or _format_from_name(soundfile, path),
    )
    label = os.fspath(path)  # what soundfile names the file in "Error opening ...: "
    with contextlib.ExitStack() as cleanup:
        route = _choose_route(os.fsdecode(label), encode.keywords["format"], cleanup)
        if route is _Route.LEGACY_CALL:
            encode(file=path)
            return
        if isinstance(route, _Replacement):
            try:
                route.write(encode, label)
                return
            except _WriteInPlace:
                pass
    _check_encodable(encode, label)
    encode(file=path)


class _Route(enum.Enum):
    """The routes that need no state (an atomic one is a ``_Replacement``)."""

    IN_PLACE = "checked on an in-memory file, then legacy's call"
    LEGACY_CALL = "legacy's call alone: the kernel refused the path, legacy's exception follows"


class _WriteInPlace(Exception):
    """Raised inside a replacement that cannot keep what legacy kept: write in place instead."""


class _OutOfSpace(Exception):
    """The temporary file filled the file system or the quota; ``error`` is libsndfile's."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


@dataclasses.dataclass
class _Replacement:
    """A directory entry to fill atomically: a free name (``existing`` None) or the name of a file
    whose new inode will carry ``existing``'s group and mode and equal extended attributes."""

    folder: _Folder
    name: str
    existing: Optional[os.stat_result]
    xattrs: Dict[str, bytes]

    def write(self, encode: functools.partial[None], label: Any) -> None:
        """Encode into a temporary file, fsync it, then give it the name.

        Raises ``_WriteInPlace`` (the temporary file removed) wherever the OS refuses a step, so
        that the caller writes in place as legacy did.
        """
        mode = _NEW_FILE_MODE if self.existing is None else _PRIVATE_MODE
        try:
            temporary = _Temporary.create(self.folder, self.name, mode)
        except OSError:
            raise _WriteInPlace from None
        try:
            if self.existing is not None:
                temporary.take_identity_of(self.existing, self.xattrs)
            temporary.fill(encode, label)
            temporary.sync()
            if self.existing is None:
                temporary.publish_as_new(self.name)
            else:
                temporary.publish_over(self.name, self.existing)
        except OSError:
            temporary.discard()
            raise _WriteInPlace from None
        except _OutOfSpace as full:
            temporary.discard()
            if _sure_not_to_fit(encode, self.folder, self.existing):
                raise full.error.with_traceback(full.error.__traceback__) from None  # legacy's error, no damage
            raise _WriteInPlace from None
        except BaseException:
            temporary.discard()
            raise


class _Folder:
    """A directory, pinned by a descriptor where the platform has ``*at`` calls, so that every step
    of one save happens in the same directory even if a component of its path is replaced meanwhile."""

    def __init__(self, path: str, fd: Optional[int]) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    @contextlib.contextmanager
    def pinned(cls, path: str) -> Iterator[_Folder]:
        """The directory ``path`` (the kernel follows its links), pinned while the block runs."""
        path = path or os.curdir
        if not _PINNED:
            yield cls(path, None)
            return
        fd = os.open(path, _DIRECTORY_FLAGS)
        try:
            yield cls(path, fd)
        finally:
            os.close(fd)

    def stat(self, name: str, *, follow_symlinks: bool = True) -> os.stat_result:
        """``stat`` (or ``lstat``) of an entry."""
        where, pinned = self._where(name)
        return os.stat(where, follow_symlinks=follow_symlinks, **pinned)

    def open(self, name: str, flags: int, mode: int = 0o777) -> int:
        """``os.open`` of an entry, binary and not inherited."""
        where, pinned = self._where(name)
        return os.open(where, flags | _FILE_FLAGS, mode, **pinned)

    def inspect(self, name: str) -> Tuple[os.stat_result, Optional[Dict[str, bytes]]]:
        """What the kernel opens for writing at ``name`` (every rule of legacy's open applies, and
        nothing is created or truncated): its ``fstat`` and extended attributes."""
        fd = self.open(name, _PROBE_FLAGS)
        try:
            return os.fstat(fd), _extended_attributes(fd)
        finally:
            os.close(fd)

    def replace(self, source: str, target: str) -> None:
        """Rename ``source`` over ``target`` (both in this directory)."""
        self._between(os.replace, source, target)

    def link(self, source: str, target: str) -> None:
        """Give ``source`` the free name ``target``, failing with ``FileExistsError`` if it is taken
        (a hard link where the file system has them, else a checked rename)."""
        if hasattr(os, "link"):
            try:
                self._between(os.link, source, target)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network shares)
                pass
            else:
                with contextlib.suppress(OSError):
                    self.unlink(source)
                return
        with contextlib.suppress(FileNotFoundError):
            self.stat(target, follow_symlinks=False)
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
        self._between(os.rename, source, target)  # on Windows, rename never replaces either

    def unlink(self, name: str) -> None:
        where, pinned = self._where(name)
        os.unlink(where, **pinned)

    def _where(self, name: str) -> Tuple[str, Dict[str, int]]:
        """``name`` for a call relative to the pinned descriptor, or joined to the path."""
        if self.fd is None:
            return os.path.join(self.path, name), {}
        return name, {"dir_fd": self.fd}

    def _between(self, call: Callable[..., None], source: str, target: str) -> None:
        """A two-name call (``rename``, ``link``) within this directory."""
        if self.fd is None:
            call(os.path.join(self.path, source), os.path.join(self.path, target))
        else:
            call(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)


class _Temporary:
    """A new file beside the destination, named so that no audio tool takes it for audio."""

    def __init__(self, folder: _Folder, name: str, fd: Optional[int]) -> None:
        self.folder = folder
        self.name = name
        self.fd = fd

    @classmethod
    def create(cls, folder: _Folder, destination: str, mode: int) -> _Temporary:
        """Create it exclusively (``O_EXCL`` never follows a link) with ``mode`` minus the umask."""
        stem = destination.encode("utf-8", "surrogateescape")[:_NAME_PREFIX_BYTES].decode("utf-8", "ignore")
        for _ in range(100):
            name = f".{stem}{_TEMPORARY_MARK}{os.urandom(4).hex()}{_TEMPORARY_SUFFIX}"
            try:
                fd = folder.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            except FileExistsError:
                continue
            return cls(folder, name, fd)
        raise FileExistsError(errno.EEXIST, "no free temporary name")

    def take_identity_of(self, existing: os.stat_result, xattrs: Dict[str, bytes]) -> None:
        """Give the still empty file ``existing``'s group, then its mode (in that order, so that no
        other group can read it), and check that its extended attributes equal ``xattrs``."""
        fd = self._fd()
        made = os.fstat(fd)
        if made.st_gid != existing.st_gid:
            if not hasattr(os, "fchown"):
                raise _WriteInPlace
            os.fchown(fd, -1, existing.st_gid)  # EPERM unless we are in that group: in place
        wanted = stat.S_IMODE(existing.st_mode)
        if stat.S_IMODE(made.st_mode) != wanted:
            if not hasattr(os, "fchmod"):
                raise _WriteInPlace
            os.fchmod(fd, wanted)
        if _extended_attributes(fd) != xattrs:
            raise _WriteInPlace

    def fill(self, encode: functools.partial[None], label: Any) -> None:
        """Encode the audio into the file; errors name ``label``. A full disk or quota (the old and
        the new file must fit at once, where legacy needed room for one) raises ``_OutOfSpace``."""
        try:
            if _WINDOWS:
                # libsndfile may link another C runtime than Python, whose descriptors it could
                # not use: it opens the file by its name (nobody else can have replaced it).
                os.close(self._fd())
                self.fd = None
                encode(file=os.path.join(self.folder.path, self.name))
                self.fd = self.folder.open(self.name, os.O_WRONLY)
            else:
                encode(file=self._fd(), closefd=False)
        except Exception as exc:
            if getattr(exc, "code", None) == _SYSTEM_ERROR and self._out_of_space():
                raise _OutOfSpace(exc) from None
            renamed = _as_if_opened_at(label, exc)
            if renamed is None:
                raise
            raise renamed.with_traceback(exc.__traceback__) from None

    def sync(self) -> None:
        """Put the data on disk before a rename can make it visible (a crash then leaves the old
        file or the new one)."""
        getattr(os, "fdatasync", os.fsync)(self._fd())

    def publish_over(self, target: str, existing: os.stat_result) -> None:
        """Rename over ``target`` if it still is the file inspected (else write in place, into
        whatever is there now, as legacy would have)."""
        self.close()
        if not _same_file(self.folder.stat(target, follow_symlinks=False), existing):
            raise _WriteInPlace
        self.folder.replace(self.name, target)

    def publish_as_new(self, target: str) -> None:
        """Give the file the free name ``target``; if a file appeared there meanwhile, write in
        place into it instead (the kernel then decides, as for legacy)."""
        self.close()
        try:
            self.folder.link(self.name, target)
        except FileExistsError:
            raise _WriteInPlace from None

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def discard(self) -> None:
        """Close and remove the file (best effort: this runs while another error propagates)."""
        with contextlib.suppress(OSError):
            self.close()
        with contextlib.suppress(OSError):
            self.folder.unlink(self.name)

    def _out_of_space(self) -> bool:
        """Whether the file system or the quota is full (libsndfile keeps the errno to itself)."""
        if hasattr(os, "posix_fallocate") and self.fd is not None:
            try:
                os.posix_fallocate(self.fd, os.fstat(self.fd).st_size, _SPACE_PROBE_BYTES)
            except OSError as exc:
                return exc.errno in _OUT_OF_SPACE
            return False
        return shutil.disk_usage(self.folder.path).free < _SPACE_PROBE_BYTES

    def _fd(self) -> int:
        if self.fd is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return self.fd


def _choose_route(path: str, format: str, cleanup: contextlib.ExitStack) -> Union[_Route, _Replacement]:
    """Decide how to write ``path`` from what the kernel gives for it, without writing anything."""
    if format.upper() in _NEEDS_A_PATH:
        return _Route.IN_PLACE
    directory, name = os.path.split(path)
    if name in ("", os.curdir, os.pardir):
        return _Route.LEGACY_CALL
    try:
        folder = cleanup.enter_context(_Folder.pinned(directory))
    except OSError:
        return _Route.LEGACY_CALL
    try:
        found = folder.stat(name)  # the kernel follows the links
    except FileNotFoundError:
        return _route_for_a_free_name(folder, name)
    except OSError:
        return _Route.LEGACY_CALL
    if stat.S_ISDIR(found.st_mode):
        return _Route.LEGACY_CALL
    if not stat.S_ISREG(found.st_mode):
        return _Route.IN_PLACE  # a device or a FIFO: written as it is, never replaced
    try:
        opened, xattrs = folder.inspect(name)
    except OSError:
        return _Route.LEGACY_CALL
    if xattrs is None or not _replaceable(opened):
        return _Route.IN_PLACE
    entry = _entry_holding(opened, folder, name, path, cleanup)
    if entry is None:
        return _Route.IN_PLACE
    return _Replacement(entry[0], entry[1], opened, xattrs)


def _route_for_a_free_name(folder: _Folder, name: str) -> Union[_Route, _Replacement]:
    """A missing file is created atomically, unless ``name`` is a dangling symlink: legacy created
    its target through it, and the kernel does so again (in place)."""
    try:
        folder.stat(name, follow_symlinks=False)
    except FileNotFoundError:
        return _Replacement(folder, name, None, {})
    except OSError:
        return _Route.LEGACY_CALL
    return _Route.IN_PLACE


def _replaceable(opened: os.stat_result) -> bool:
    """Whether a new inode with ``opened``'s group and mode is the same file to everyone: one
    link, our own (a rename would change the owner), no setuid/setgid bit."""
    owner = os.geteuid() if hasattr(os, "geteuid") else opened.st_uid
    return opened.st_nlink == 1 and opened.st_uid == owner and not opened.st_mode & (stat.S_ISUID | stat.S_ISGID)


def _entry_holding(
    opened: os.stat_result, folder: _Folder, name: str, path: str, cleanup: contextlib.ExitStack
) -> Optional[Tuple[_Folder, str]]:
    """The directory entry of the inode the kernel opened for ``path``: ``name`` itself, or, for a
    symlink, its target's entry (located with ``realpath`` and accepted only if it holds that very
    inode, so a link changed meanwhile is never followed by the package). None: write in place."""
    try:
        entry = folder.stat(name, follow_symlinks=False)
        if stat.S_ISLNK(entry.st_mode):
            target = os.path.realpath(path)
            folder = cleanup.enter_context(_Folder.pinned(os.path.dirname(target)))
            name = os.path.basename(target)
            entry = folder.stat(name, follow_symlinks=False)
    except OSError:
        return None
    return (folder, name) if _same_file(entry, opened) else None


def _sure_not_to_fit(encode: functools.partial[None], folder: _Folder, existing: Optional[os.stat_result]) -> bool:
    """Whether an in-place write would run out of space too: for a subtype of fixed size, the
    samples alone need more than the free space plus what the old file occupies. Then the save
    fails as legacy's would, without truncating the file first."""
    per_sample = _SAMPLE_BYTES.get(str(encode.keywords["subtype"]).upper())
    samples = getattr(encode.keywords["data"], "size", None)
    raw = str(encode.keywords["format"]).upper() in _UNCOMPRESSED
    if not raw or per_sample is None or not isinstance(samples, int):
        return False  # compressed: only writing tells
    held = 0 if existing is None else getattr(existing, "st_blocks", 0) * 512 or existing.st_size
    return samples * per_sample > _free_bytes(folder.path) + held


def _free_bytes(path: str) -> int:
    """Free space for this process in the file system of ``path`` (root may use the reserve)."""
    if not hasattr(os, "statvfs"):
        return shutil.disk_usage(path).free
    found = os.statvfs(path)
    privileged = hasattr(os, "geteuid") and os.geteuid() == 0
    return (found.f_bfree if privileged else found.f_bavail) * found.f_frsize


def _same_file(entry: os.stat_result, opened: os.stat_result) -> bool:
    return stat.S_ISREG(entry.st_mode) and (entry.st_dev, entry.st_ino) == (opened.st_dev, opened.st_ino)


def _extended_attributes(fd: int) -> Optional[Dict[str, bytes]]:
    """Every extended attribute of an open file (POSIX ACLs, the SELinux label, ``user.*``): {}
    where the platform or the file system has none, None where they cannot be read."""
    if not hasattr(os, "listxattr"):
        return {}
    try:
        return {name: os.getxattr(fd, name) for name in os.listxattr(fd)}
    except OSError as exc:
        return {} if exc.errno in _NO_XATTRS else None


def _check_encodable(encode: functools.partial[None], label: Any) -> None:
    """Open the encoder on an in-memory file with no frames, so that libsndfile's objections (rate,
    channels, format, subtype) come before an in-place write truncates the destination."""
    data = encode.keywords["data"]
    try:
        encode(file=io.BytesIO(), data=data[:0])
    except Exception as exc:
        renamed = _as_if_opened_at(label, exc)
        if renamed is None:
            raise
        raise renamed.with_traceback(exc.__traceback__) from None


def _as_if_opened_at(label: Any, exc: BaseException) -> Optional[BaseException]:
    """``exc`` as soundfile raises it for ``label``: "Error opening <label>: ..." instead of the
    descriptor or in-memory file it was raised for (None if it names no file)."""
    prefix = getattr(exc, "prefix", None)
    if not isinstance(prefix, str) or not prefix.startswith("Error opening ") or not isinstance(exc, RuntimeError):
        return None
    error_class: Any = type(exc)
    try:
        renamed: BaseException = error_class(getattr(exc, "code", None), prefix=f"Error opening {label!r}: ")
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
