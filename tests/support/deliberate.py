"""The deliberate differences from legacy torchaudio: name -> reason.

The differential suite (``test_legacy_io_differential.py``) explains a mismatch only with one of
these and checks that each still happens; docs/testing.md lists the reasons (``tests/scripts/render_docs.py``).
"""

from __future__ import annotations

from typing import Dict

DELIBERATE: Dict[str, str] = {
    "no-deprecation-warnings": (
        "ta-compat emits no deprecation warnings by default: torchaudio 2.8 warned on every "
        "load/save/info/list_audio_backends/get_audio_backend/set_audio_backend call and every "
        "AudioMetaData construction (the point of ta-compat is to make old code run quietly; "
        "TA_COMPAT_WARN=1 turns on one porting hint per call site instead)."
    ),
    "failed-save-leaves-destination-untouched": (
        "A save() that fails on its arguments leaves its destination as it was. ta-compat checks the "
        "samples (e.g. uint8/int8/int64/float16 tensors, which soundfile cannot write) and lets "
        "libsndfile check rate, channels, format and subtype on an in-memory file before it opens "
        "the destination. Legacy soundfile created or truncated the file (or wrote a header into "
        "the file object) first and then failed, leaving an empty or header-only file where a good "
        "one may have been. The exception (class and message) is the same."
    ),
    "qualified-name-in-call-errors": (
        "A call with a wrong signature raises the same TypeError, but its message names the "
        "function `info()`/`load()`/`save()`: legacy torchaudio's functions were closures, so "
        "Python called them `get_info_func.<locals>.info()` and so on."
    ),
    "audiometadata-module": (
        "AudioMetaData lives at `torchaudio.AudioMetaData` (its `__module__` is `torchaudio`, so "
        "its default repr reads `<torchaudio.AudioMetaData object at ...>` and pickles refer to "
        "`torchaudio.AudioMetaData`, loadable by legacy torchaudio too); legacy defined it in the "
        "private `torchaudio._backend.common`, which torchaudio 2.9 deleted and ta-compat does not "
        "re-create (so pickles written by legacy torchaudio, which name that module, do not load)."
    ),
    "huge-declared-length-is-read-not-allocated": (
        "load() reads what a file really holds when its header (or num_frames on a stream of "
        "unknown length, e.g. a FIFO) declares more frames than memory can hold: legacy asked "
        "soundfile to allocate the declared length up front and raised MemoryError; ta-compat "
        "then reads block by block and returns the data (or soundfile's RuntimeError if the "
        "decoder fails), so only RuntimeError/ValueError/TypeError subclasses come out."
    ),
    "soundfile-backend-only": (
        'ta-compat has one backend, soundfile: list_audio_backends() is ["soundfile"], '
        'backend=None means soundfile, and backend="ffmpeg" or "sox" raise the legacy '
        '"Unsupported backend" ValueError. Legacy torchaudio listed (and, for backend=None, '
        "preferred) FFmpeg and SoX when their libraries were installed, which made results depend "
        "on the machine; pyannote >= 3.3 asks for soundfile explicitly."
    ),
}
