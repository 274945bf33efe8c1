"""Another local user watching a folder while someone saves into it: what can they read?

Usage: ``python save_spy.py FOLDER UID:GID`` (started as root). It drops to that user and group
with no supplementary groups, prints ``watching``, then until its stdin is closed lists ``FOLDER``
over and over and opens every file in it for reading, keeping each descriptor it gets (an
attacker would: the file may fill later, or be renamed into place). At the end it reads every
kept descriptor to its end and prints one JSON line: ``{"opened": {name: bytes read}, "rounds": n}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
from typing import Dict


def main() -> None:
    folder, user = sys.argv[1], sys.argv[2]
    uid, gid = (int(part) for part in user.split(":"))
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    kept: Dict[str, int] = {}
    rounds = 0
    print("watching", flush=True)
    while not select.select([sys.stdin], [], [], 0)[0]:
        rounds += 1
        for name in os.listdir(folder):
            if name in kept:
                continue
            with contextlib.suppress(OSError):  # refused: exactly what should happen
                kept[name] = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NONBLOCK)
    opened = {}
    for name, fd in kept.items():
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
        opened[name] = total
        os.close(fd)
    print(json.dumps({"opened": opened, "rounds": rounds}), flush=True)


if __name__ == "__main__":
    main()
