"""``from torchaudio import *`` as legacy scripts write it; prints which legacy I/O names it brought."""

import json
import warnings

warnings.simplefilter("ignore")

from torchaudio import *  # noqa: E402, F403

LEGACY_IO = ("AudioMetaData", "get_audio_backend", "info", "list_audio_backends", "load", "save", "set_audio_backend")
print("RESULT " + json.dumps({"brought": sorted(name for name in LEGACY_IO if name in globals())}))
