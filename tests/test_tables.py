"""The legacy tables of ``ta_compat._legacy_io``, without torch.

Expected values are legacy torchaudio's (``torchaudio/_backend/soundfile_backend.py`` of
torchaudio 2.8.0): ``info`` on files that soundfile writes in each subtype, and ``save``'s subtype
selection (``_get_subtype``) for every container, checked against what soundfile can write.
The choice by tensor dtype needs torch: the torch test layer covers it (``nox -s tests``).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import soundfile

from support.fakes import fake_torch
from ta_compat import _legacy_io as legacy_io

# extension or ``format=`` -> the soundfile container legacy ``save`` writes for it
CONTAINERS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "vorbis": "OGG", "mp3": "MP3", "sph": "NIST", "nist": "NIST"}


@pytest.fixture
def torch_for_wav(monkeypatch: pytest.MonkeyPatch) -> None:
    """The WAV rules import torch for its dtypes; the rules with an ``encoding`` or
    ``bits_per_sample`` use none, so the fake torch (which has none) stands in."""
    monkeypatch.setitem(sys.modules, "torch", fake_torch())


# --- info: bits_per_sample and encoding of real files ----------------------------------------------


@pytest.mark.parametrize(
    ("container", "subtype", "bits_per_sample", "encoding"),
    [
        ("WAV", "PCM_U8", 8, "PCM_U"),
        ("WAV", "PCM_16", 16, "PCM_S"),
        ("WAV", "PCM_24", 24, "PCM_S"),
        ("WAV", "PCM_32", 32, "PCM_S"),
        ("WAV", "FLOAT", 32, "PCM_F"),
        ("WAV", "DOUBLE", 64, "PCM_F"),
        ("WAV", "ULAW", 8, "ULAW"),
        ("WAV", "ALAW", 8, "ALAW"),
        ("WAV", "IMA_ADPCM", 0, "UNKNOWN"),
        ("WAV", "MS_ADPCM", 0, "UNKNOWN"),
        ("WAV", "GSM610", 0, "UNKNOWN"),
        ("AIFF", "PCM_S8", 8, "PCM_S"),
        ("AIFF", "DWVW_16", 16, "UNKNOWN"),
        ("XI", "DPCM_16", 16, "UNKNOWN"),
        ("AU", "G721_32", 0, "UNKNOWN"),
        ("FLAC", "PCM_S8", 8, "FLAC"),  # FLAC files are "FLAC" whatever the subtype
        ("FLAC", "PCM_16", 16, "FLAC"),
        ("FLAC", "PCM_24", 24, "FLAC"),
        ("OGG", "VORBIS", 0, "VORBIS"),
        ("CAF", "ALAC_20", 20, "UNKNOWN"),
    ],
)
def test_info_reports_the_legacy_bit_depth_and_encoding(
    tmp_path: Path, container: str, subtype: str, bits_per_sample: int, encoding: str
) -> None:
    path = tmp_path / f"tone.{container.lower()}"
    soundfile.write(path, np.zeros(800), 8000, format=container, subtype=subtype)
    meta = legacy_io.info(str(path))
    assert (meta.bits_per_sample, meta.encoding) == (bits_per_sample, encoding)


@pytest.mark.parametrize(("container", "subtype"), [("OGG", "OPUS"), ("MP3", "MPEG_LAYER_III")])
def test_info_on_a_subtype_legacy_did_not_know_warns_and_reports_zero_bits(
    tmp_path: Path, container: str, subtype: str
) -> None:
    path = tmp_path / f"tone.{container.lower()}"
    soundfile.write(path, np.zeros((1600, 1)), 16000, format=container, subtype=subtype)
    with pytest.warns(UserWarning, match=f"The {subtype} subtype is unknown to TorchAudio"):
        meta = legacy_io.info(str(path))
    assert (meta.bits_per_sample, meta.encoding) == (0, "UNKNOWN")


def test_the_tables_name_subtypes_as_soundfile_does() -> None:
    known = set(soundfile._subtypes)  # the names soundfile.info() reports (not all are in every libsndfile)
    for table in (legacy_io._SUBTYPE_TO_BITS_PER_SAMPLE, legacy_io._SUBTYPE_TO_ENCODING, legacy_io._SUBTYPE_TO_DTYPE):
        assert set(table) <= known


def test_the_raw_read_dtypes_hold_the_bits_of_their_subtype() -> None:
    # load(normalize=False) of a WAV: int8 for PCM_S8, ..., float64 for DOUBLE
    for subtype, dtype in legacy_io._SUBTYPE_TO_DTYPE.items():
        assert np.dtype(dtype).itemsize * 8 == legacy_io._SUBTYPE_TO_BITS_PER_SAMPLE[subtype], subtype


# --- save: the subtype for a container, encoding and bit depth --------------------------------------


@pytest.mark.parametrize(
    ("ext", "encoding", "bits_per_sample", "subtype"),
    [
        ("wav", None, 8, "PCM_U8"),
        ("wav", None, 16, "PCM_16"),
        ("wav", None, 24, "PCM_24"),
        ("wav", None, 32, "PCM_32"),
        ("wav", "PCM_S", None, "PCM_32"),
        ("wav", "PCM_S", 16, "PCM_16"),
        ("wav", "PCM_S", 24, "PCM_24"),
        ("wav", "PCM_U", None, "PCM_U8"),
        ("wav", "PCM_U", 8, "PCM_U8"),
        ("wav", "PCM_F", None, "FLOAT"),
        ("wav", "PCM_F", 32, "FLOAT"),
        ("wav", "PCM_F", 64, "DOUBLE"),
        ("wav", "ULAW", None, "ULAW"),
        ("wav", "ULAW", 8, "ULAW"),
        ("wav", "ALAW", None, "ALAW"),
        ("wav", "ALAW", 8, "ALAW"),
        ("flac", None, None, "PCM_16"),
        ("flac", None, 8, "PCM_S8"),
        ("flac", None, 16, "PCM_16"),
        ("flac", None, 24, "PCM_24"),
        ("ogg", None, None, "VORBIS"),
        ("ogg", "vorbis", None, "VORBIS"),
        ("ogg", "opus", None, "OPUS"),
        ("vorbis", None, None, "VORBIS"),
        ("mp3", None, None, "MPEG_LAYER_III"),
        ("mp3", "PCM_S", 16, "MPEG_LAYER_III"),  # mp3 ignores both
        ("sph", None, None, "PCM_32"),
        ("sph", "PCM_S", 16, "PCM_16"),
        ("sph", "PCM_S", 24, "PCM_24"),
        ("sph", "ULAW", None, "ULAW"),
        ("sph", "ULAW", 8, "ULAW"),
        ("sph", "ALAW", None, "ALAW"),
        ("sph", "ALAW", 16, "ALAW"),  # legacy checks no bit depth for a-law in sph
        ("nist", "ULAW", 8, "PCM_16"),  # legacy ignores both for nis/nist
    ],
)
def test_subtype_selection_gives_a_subtype_soundfile_writes(
    torch_for_wav: None, ext: str, encoding: Optional[str], bits_per_sample: Optional[int], subtype: str
) -> None:
    assert legacy_io._subtype(None, ext, encoding, bits_per_sample) == subtype
    assert soundfile.check_format(CONTAINERS[ext], subtype)


@pytest.mark.parametrize(
    ("ext", "encoding", "bits_per_sample"),
    [("wav", None, 64), ("wav", "PCM_S", 64), ("sph", None, 8), ("sph", "PCM_S", 64)],
)
def test_subtype_selection_passes_on_legacy_names_soundfile_rejects(
    torch_for_wav: None, ext: str, encoding: Optional[str], bits_per_sample: int
) -> None:
    # legacy builds "PCM_<bits>" unchecked here; soundfile then refuses it at write time, as it did
    subtype = legacy_io._subtype(None, ext, encoding, bits_per_sample)
    assert subtype == f"PCM_{bits_per_sample}"
    assert not soundfile.check_format(CONTAINERS[ext], subtype)


@pytest.mark.parametrize(
    ("ext", "encoding", "bits_per_sample", "message"),
    [
        ("wav", "PCM_S", 8, "wav does not support 8-bit signed PCM encoding."),
        ("wav", "PCM_U", 16, "wav only supports 8-bit unsigned PCM encoding."),
        ("wav", "PCM_F", 16, "wav only supports 32/64-bit float PCM encoding."),
        ("wav", "ULAW", 16, "wav only supports 8-bit mu-law encoding."),
        ("wav", "ALAW", 16, "wav only supports 8-bit a-law encoding."),
        ("wav", "GSM", None, "wav does not support GSM."),
        ("flac", "PCM_S", None, "flac does not support encoding."),
        ("flac", None, 32, "flac does not support bits_per_sample > 24."),
        ("ogg", None, 16, "ogg/vorbis does not support bits_per_sample."),
        ("vorbis", "mp3", None, "Unexpected encoding: mp3"),
        ("sph", "PCM_U", None, "sph does not support PCM_U encoding."),
        ("sph", "PCM_F", 32, "sph does not support PCM_F encoding."),
        ("sph", "ULAW", 16, "sph only supports 8-bit for mu-law encoding."),
        ("sph", "GSM", None, "sph does not support GSM."),
        ("aiff", None, None, "Unsupported format: aiff"),
        ("WAV", None, None, "Unsupported format: WAV"),  # callers lower-case the extension first
    ],
)
def test_subtype_selection_refuses_with_the_legacy_message(
    torch_for_wav: None, ext: str, encoding: Optional[str], bits_per_sample: Optional[int], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        legacy_io._subtype(None, ext, encoding, bits_per_sample)
    assert str(raised.value) == message


def test_bit_depth_of_an_unknown_subtype_is_zero_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert legacy_io._bit_depth("NMS_ADPCM_16") == 0
        assert legacy_io._bit_depth("PCM_24") == 24
    (warning,) = caught
    assert str(warning.message).startswith("The NMS_ADPCM_16 subtype is unknown to TorchAudio.")
