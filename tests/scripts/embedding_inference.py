"""Unmodified pyannote 3.x user code: load a model checkpoint and embed a whole file.

Usage: ``python embedding_inference.py CHECKPOINT AUDIO``; prints the model class and the
embedding's shape.
"""

from __future__ import annotations

import sys

from pyannote.audio import Inference, Model

model = Model.from_pretrained(sys.argv[1])
embedding = Inference(model, window="whole")(sys.argv[2])
print(type(model).__name__, embedding.shape)
