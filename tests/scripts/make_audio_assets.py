"""Write the assets of the autoload tests into a folder: a 2 s speech-like WAV, the same as FLAC,
and a WeSpeaker checkpoint built from pyannote's own class.

Usage: ``python make_audio_assets.py FOLDER``
"""

from __future__ import annotations

import os
import sys

import soundfile

from ta_compat._fixtures import write_speechlike_wav, write_wespeaker_checkpoint

folder = sys.argv[1]
wav = write_speechlike_wav(os.path.join(folder, "speech.wav"), seconds=2.0)
data, rate = soundfile.read(wav)
soundfile.write(os.path.join(folder, "speech.flac"), data, rate, subtype="PCM_16")
write_wespeaker_checkpoint(os.path.join(folder, "pytorch_model.bin"))
