"""Under ``python -S`` no ``.pth`` file runs: ``ta_compat.install()`` applies the shims by hand,
also to a torchaudio imported before it.

Usage: ``python -S install_without_site.py AUDIO SYS_PATH_ENTRY...``; prints ``info()``'s frames.
"""

from __future__ import annotations

import sys

sys.path.extend(sys.argv[2:])
import torchaudio

assert not hasattr(torchaudio, "AudioMetaData")
import ta_compat  # noqa: E402

ta_compat.install()  # torchaudio is already imported: patched at once
print(torchaudio.info(sys.argv[1]).num_frames)
