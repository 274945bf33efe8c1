"""Unpickle an ``AudioMetaData`` (pickled on the modern stack) with this stack's torchaudio.

Usage: ``python unpickle_metadata.py PICKLE``; prints the object.
"""

from __future__ import annotations

import pickle
import sys
import warnings

warnings.simplefilter("ignore")
import torchaudio  # noqa: E402

with open(sys.argv[1], "rb") as file:
    meta = pickle.load(file)
assert isinstance(meta, torchaudio.AudioMetaData), type(meta)
print(meta)
