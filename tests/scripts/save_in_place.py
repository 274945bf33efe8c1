"""What other code sees of a ``torchaudio.save`` to a path: run the same on legacy torchaudio 2.8 and on ta-compat.

Usage: ``python save_in_place.py SCENARIO FOLDER``; prints ``RESULT {json}``. Scenarios:

- ``named-temporary-file``: the ``tempfile.NamedTemporaryFile`` pattern: save to ``tmp.name``, then
  read through ``tmp``; reports the bytes read and the file's size.
- ``inode``: the inode number of a new file, then after a save over it.
- ``open-handle``: another process opens the file, the save rewrites it, the other process reads
  from its old handle: does it see the new data?
- ``inotify``: the inotify events in FOLDER for a save to a new name and a save over that file
  (libc's ``inotify_init1``/``inotify_add_watch`` through ctypes), runs of one event made one.
- ``chattr``: the inode flags ``d`` (no dump) and ``A`` (no atime) set on a file, after a save over
  it (``FS_IOC_GETFLAGS``/``FS_IOC_SETFLAGS``); ``unsupported`` where the file system has none.
- ``concurrent-new`` / ``concurrent-existing``: two processes save different recordings to one
  path ``ROUNDS`` times each while this one polls it; the final file, what else is in FOLDER, and
  how often the poll read something that was neither recording (a half-written file).
- ``mp3-nan`` / ``mp3-nan-torchcodec``: ``torchaudio.save`` / ``save_with_torchcodec`` of samples
  holding NaN to an ``.mp3`` path: the exception, and whether the file was created (legacy
  torchaudio aborts here: LAME's assertion, no RESULT line).

``writer PATH SEED ROUNDS`` and ``hold PATH`` are the helper processes of the scenarios above.
"""

from __future__ import annotations

import array
import ctypes
import errno
import fcntl
import functools
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from typing import Any, Callable, Dict, List

import numpy as np
import torch
import torchaudio

RATE = 16000
ROUNDS = 15
#: ``linux/fs.h``: the ioctls of ``lsattr``/``chattr``, and the flags ``d`` and ``A``.
FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086602
FS_NODUMP_FL, FS_NOATIME_FL = 0x40, 0x80
#: ``linux/inotify.h``: the events of a watched folder's entries.
INOTIFY_EVENTS = {
    0x1: "ACCESS",
    0x2: "MODIFY",
    0x4: "ATTRIB",
    0x8: "CLOSE_WRITE",
    0x10: "CLOSE_NOWRITE",
    0x20: "OPEN",
    0x40: "MOVED_FROM",
    0x80: "MOVED_TO",
    0x100: "CREATE",
    0x200: "DELETE",
}
IN_ALL_EVENTS = 0xFFF


def waveform(seed: int, frames: int = RATE) -> torch.Tensor:
    """Stereo int16 noise (int16: the WAV holds no clock, so equal samples give equal bytes)."""
    samples = np.random.default_rng(seed).integers(-20000, 20000, (2, frames), dtype=np.int16)
    return torch.from_numpy(samples)


def save(path: str, seed: int) -> None:
    """Through the soundfile backend: legacy torchaudio prefers FFmpeg's where its libraries are installed."""
    torchaudio.save(path, waveform(seed), RATE, backend="soundfile")


def content(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def named_temporary_file(folder: str) -> Dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".wav", dir=folder) as tmp:
        save(tmp.name, 1)
        tmp.seek(0)
        return {"bytes_read": len(tmp.read()), "size": os.path.getsize(tmp.name)}


def inode(folder: str) -> Dict[str, Any]:
    path = os.path.join(folder, "take.wav")
    save(path, 1)
    before = os.stat(path).st_ino
    save(path, 2)
    return {"inode_kept": os.stat(path).st_ino == before}


def open_handle(folder: str) -> Dict[str, Any]:
    path = os.path.join(folder, "take.wav")
    save(path, 1)
    holder = helper("hold", path)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    save(path, 2)
    seen, _ = holder.communicate("read\n", timeout=120)
    digest = hashlib.sha256(content(path)).hexdigest()
    return {"handle_sees_new_data": json.loads(seen)["sha256"] == digest}


def hold(path: str) -> None:
    """Open ``path``, say so, and once told read it from the start through that handle."""
    with open(path, "rb") as file:
        print("holding", flush=True)
        sys.stdin.readline()
        file.seek(0)
        print(json.dumps({"sha256": hashlib.sha256(file.read()).hexdigest()}), flush=True)


def inotify(folder: str) -> Dict[str, Any]:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, os.fsencode(folder), IN_ALL_EVENTS) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    path = os.path.join(folder, "take.wav")
    try:
        save(path, 1)
        new = events(fd)
        save(path, 2)
        over = events(fd)
    finally:
        os.close(fd)
    return {"new_name": new, "over_a_file": over}


def events(fd: int) -> List[str]:
    """The events read so far as ``EVENT name``, a run of the same event counted once (how many
    writes libsndfile splits the data into is not what a watcher reacts to)."""
    raw = b""
    while True:
        try:
            raw += os.read(fd, 1 << 16)
        except BlockingIOError:
            break
    found: List[str] = []
    while raw:
        _, mask, _, length = struct.unpack_from("iIII", raw)
        name = raw[16 : 16 + length].rstrip(b"\0").decode()
        raw = raw[16 + length :]
        for bit, label in INOTIFY_EVENTS.items():
            event = f"{label} {name}"
            if mask & bit and (not found or found[-1] != event):
                found.append(event)
    return found


def chattr(folder: str) -> Dict[str, Any]:
    path = os.path.join(folder, "take.wav")
    save(path, 1)
    wanted = FS_NODUMP_FL | FS_NOATIME_FL
    try:
        set_flags(path, flags(path) | wanted)
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM):
            return {"unsupported": f"{os.strerror(exc.errno)}"}
        raise
    save(path, 2)
    return {"flags_kept": flags(path) & wanted == wanted}


def flags(path: str) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        buffer = array.array("i", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buffer, True)
        return buffer[0]
    finally:
        os.close(fd)


def set_flags(path: str, value: int) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, array.array("i", [value]))
    finally:
        os.close(fd)


def concurrent(folder: str, existing: bool) -> Dict[str, Any]:
    path = os.path.join(folder, "take.wav")
    outputs = set()
    for seed in (1, 2):
        reference = os.path.join(folder, f"reference-{seed}.wav")
        save(reference, seed)
        outputs.add(content(reference))
        os.unlink(reference)
    recordings = set(outputs)  # what a reader may see between saves
    if existing:
        save(path, 3)
        recordings.add(content(path))
    # The second writer saves a few more times than the first: two in-place saves that overlap can
    # interleave their bytes (legacy's and ours alike), so the last one must stand alone for the
    # final file to be well defined.
    writers = [helper("writer", path, str(seed), str(ROUNDS + 3 * (seed - 1))) for seed in (1, 2)]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    reads = glitches = 0
    while any(writer.poll() is None for writer in writers):
        try:
            seen = content(path)
        except FileNotFoundError:
            continue  # a new path before the first save opened it
        reads += 1
        glitches += seen not in recordings
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    final = content(path)
    return {
        "final_is_one_writers_output": final in outputs,
        "listing": sorted(os.listdir(folder)),
        "reads": reads,
        "glitches": glitches,
    }


def writer(path: str, seed: str, rounds: str) -> None:
    """Say ``ready`` once imported, wait for ``go``, then save ``rounds`` times."""
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(int(rounds)):
        save(path, int(seed))


def mp3_nan(folder: str, call: Callable[..., None]) -> Dict[str, Any]:
    path = os.path.join(folder, "take.mp3")
    samples = torch.zeros(1, RATE)
    samples[0, 100] = float("nan")
    try:
        call(path, samples, RATE)
    except Exception as exc:
        outcome: Dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    else:
        outcome = {"error": None}
    outcome["created"] = os.path.exists(path)
    return outcome


def helper(*arguments: str) -> subprocess.Popen:  # type: ignore[type-arg]
    """This script as one of the helper processes, talking through its stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, __file__, *arguments], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def main() -> None:
    scenario, argument = sys.argv[1], sys.argv[2]
    if scenario == "hold":
        hold(argument)
        return
    if scenario == "writer":
        writer(argument, *sys.argv[3:])
        return
    scenarios: Dict[str, Callable[[], Dict[str, Any]]] = {
        "named-temporary-file": lambda: named_temporary_file(argument),
        "inode": lambda: inode(argument),
        "open-handle": lambda: open_handle(argument),
        "inotify": lambda: inotify(argument),
        "chattr": lambda: chattr(argument),
        "concurrent-new": lambda: concurrent(argument, existing=False),
        "concurrent-existing": lambda: concurrent(argument, existing=True),
        "mp3-nan": lambda: mp3_nan(argument, functools.partial(torchaudio.save, backend="soundfile")),
        "mp3-nan-torchcodec": lambda: mp3_nan(argument, torchaudio.save_with_torchcodec),
    }
    print("RESULT " + json.dumps(scenarios[scenario]()), flush=True)


if __name__ == "__main__":
    main()
