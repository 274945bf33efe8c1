"""Run a command with FFmpeg's shared libraries hidden from the dynamic loader, as on a machine
without FFmpeg: ``python codec_without_ffmpeg.py PROGRAM [ARG...]``.

In a private mount namespace (Linux, root), each folder that holds FFmpeg libraries (as
``ldconfig -p`` lists them) is replaced by a folder of links to everything else it holds, then
the command runs there: ``dlopen("libavutil.so.57")`` fails with "No such file or directory",
exactly as where FFmpeg was never installed, and nothing outside this process tree changes.
Exits 77 (the automake "skip" status) where the namespace cannot be made.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import tempfile
from typing import Dict, List

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
SKIP = 77

#: Sonames of FFmpeg's libraries (torchcodec links against all but libpostproc).
FFMPEG = re.compile(r"^lib(avutil|avcodec|avformat|avdevice|avfilter|swscale|swresample|postproc)\.so")


def ffmpeg_folders() -> Dict[str, List[str]]:
    """{folder: [entries to hide]}: FFmpeg's libraries as the loader cache lists them, with every
    file name in that folder that starts like one of them (the versioned files behind the links)."""
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    folders: Dict[str, List[str]] = {}
    for line in listing.splitlines():
        name, _, path = line.strip().partition(" => ")
        if FFMPEG.match(name.split()[0] if name else ""):
            folder = os.path.dirname(os.path.realpath(path))
            folders.setdefault(folder, [])
    for folder in folders:
        folders[folder] = [entry for entry in os.listdir(folder) if FFMPEG.match(entry)]
    return folders


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        print(f"cannot hide FFmpeg: {what}: {os.strerror(error)}", file=sys.stderr)
        sys.exit(SKIP)


def hide(folders: Dict[str, List[str]]) -> None:
    """Enter a private mount namespace and shadow each folder without its FFmpeg entries."""
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    scratch = tempfile.mkdtemp(prefix="without-ffmpeg-")
    for index, (folder, hidden) in enumerate(sorted(folders.items())):
        original = os.path.join(scratch, f"original-{index}")
        shadow = os.path.join(scratch, f"shadow-{index}")
        os.mkdir(original)
        os.mkdir(shadow)
        _check(libc.mount(folder.encode(), original.encode(), None, MS_BIND, None), f"bind {folder}")
        for entry in os.listdir(folder):
            if entry not in hidden:
                os.symlink(os.path.join(original, entry), os.path.join(shadow, entry))
        _check(libc.mount(shadow.encode(), folder.encode(), None, MS_BIND, None), f"bind over {folder}")


def main(argv: List[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    if sys.platform != "linux" or os.geteuid() != 0:
        print("cannot hide FFmpeg: needs root on Linux (a private mount namespace)", file=sys.stderr)
        sys.exit(SKIP)
    hide(ffmpeg_folders())
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
