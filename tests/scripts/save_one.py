"""Save one deterministic waveform to a path, the way a user's program would, and report the outcome.

Usage: ``python save_one.py --api API PATH [--frames N] [--channels C] [--rate R] [--umask 022]
[--as-user UID:GID]``; prints one JSON line: ``{"ok": true}`` or ``{"error": {"type", "message"}}``.

``--api`` picks what does the saving:

- ``torchaudio``: ``torchaudio.save(PATH, waveform, rate, backend="soundfile")``: on torchaudio 2.8
  its own soundfile backend (the legacy reference), on torchaudio >= 2.9 ta-compat's.
- ``soundfile``: ``soundfile.write(PATH, ...)``, which is all torchaudio 2.8's soundfile backend
  did with a path (the reference where torch is not installed).
- ``write-path``: ``ta_compat._writing.write_path``, what ta-compat's ``save`` calls once the
  tensor is a numpy array (no torch needed).

With ``--as-user`` the program first saves the same waveform once into a private scratch folder
(so every library is imported and warmed up while it is still root), then drops to that user and
group with no supplementary groups, and only then saves to ``PATH``: the save itself runs with
exactly that user's rights.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import tempfile
from typing import Any, Callable

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--api", choices=("torchaudio", "soundfile", "write-path"), required=True)
    parser.add_argument("--frames", type=int, default=16000)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--rate", type=int, default=16000)
    parser.add_argument("--umask", default="022")
    parser.add_argument("--as-user", default=None, help="UID:GID to drop to before the save")
    args = parser.parse_args()
    os.umask(int(args.umask, 8))
    save = saver(args.api, waveform(args.frames, args.channels), args.rate)
    if args.as_user:
        scratch = tempfile.mkdtemp()
        try:
            save(os.path.join(scratch, "warm-up" + os.path.splitext(args.path)[1]))
        finally:
            shutil.rmtree(scratch)
        uid, gid = (int(part) for part in args.as_user.split(":"))
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    try:
        save(args.path)
    except Exception as exc:
        outcome: Any = {"error": {"type": f"{type(exc).__module__}.{type(exc).__qualname__}", "message": str(exc)}}
    else:
        outcome = {"ok": True}
    print(json.dumps(outcome), flush=True)


def waveform(frames: int, channels: int) -> Any:
    """A tone plus seeded noise, ``(frames, channels)`` int16: the same in every process."""
    tone = (6000 * np.sin(2 * np.pi * 220.0 * np.arange(frames) / 16000.0)).astype(np.int16)
    return tone[:, None] + np.random.default_rng(7).integers(-1600, 1600, (frames, channels), dtype=np.int16)


def saver(api: str, data: Any, rate: int) -> Callable[[str], None]:
    """A function that saves ``data`` to a path with ``api`` (16-bit PCM, torchaudio's subtype for
    an int16 tensor: every api writes the same bytes, and float WAV's PEAK chunk holds a clock)."""
    if api == "torchaudio":
        # Imported by name: whichever torch and torchaudio this interpreter has (legacy or modern).
        torch, torchaudio = importlib.import_module("torch"), importlib.import_module("torchaudio")
        tensor = torch.from_numpy(data).t().contiguous()
        return lambda path: torchaudio.save(path, tensor, rate, backend="soundfile")
    import soundfile

    if api == "soundfile":
        return lambda path: soundfile.write(path, data, rate, subtype="PCM_16")
    from ta_compat._writing import write_path

    return lambda path: write_path(soundfile, path, data, samplerate=rate, subtype="PCM_16", format=None)


if __name__ == "__main__":
    main()
