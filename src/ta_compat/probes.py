"""The doctor's probes: each runs in a fresh interpreter (``python -m ta_compat.probes NAME,...``).

A family's probe (named in its registry entry) exercises what the family restores the way legacy
code uses it and raises where that fails: an upstream error, or a result that differs from
legacy torchaudio or pyannote (``ProbeFailure``). Probes use real files made on the spot and a
pyannote checkpoint built from pyannote's own classes; nothing is downloaded. ``ta_compat.doctor``
runs them with the family on and off and reads the JSON this module prints.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from importlib.util import find_spec
from typing import Dict, List, Optional, Tuple

from .families import by_name

__all__ = ["ProbeFailure", "main", "run"]


class ProbeFailure(Exception):
    """A probe saw upstream behaviour that differs from legacy torchaudio/pyannote."""


def _version_at_least(version: str, minimum: Tuple[int, ...]) -> bool:
    """Whether a version string (``"2.8.0+cu128"``) is at least ``minimum``, by its leading numbers."""
    numbers = []
    for part in version.split("+")[0].split(".")[: len(minimum)]:
        digits = "".join(char for char in part if char.isdigit()) if part[:1].isdigit() else ""
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers) >= minimum


def _wav(folder: str, seconds: float = 60.0) -> str:
    from .fixtures import write_speechlike_wav

    return write_speechlike_wav(os.path.join(folder, "probe.wav"), seconds=seconds)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ProbeFailure(message)


def audiometadata(folder: str) -> None:
    import torchaudio

    meta = torchaudio.AudioMetaData(
        sample_rate=16000, num_frames=1, num_channels=1, bits_per_sample=16, encoding="PCM_S"
    )
    _expect(meta.num_frames == 1, "AudioMetaData does not keep its fields")
    if find_spec("pyannote") and find_spec("pyannote.audio"):
        import pyannote.audio  # noqa: F401  (3.3+ evaluates torchaudio.AudioMetaData at import)


def backends(folder: str) -> None:
    import torchaudio

    backends = torchaudio.list_audio_backends()
    _expect("soundfile" in backends, f"list_audio_backends() returned {backends!r}")
    torchaudio.set_audio_backend("soundfile")
    torchaudio.get_audio_backend()


def info(folder: str) -> None:
    import torchaudio

    meta = torchaudio.info(_wav(folder, 2.0))
    got = (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample, meta.encoding)
    _expect(got == (16000, 32000, 1, 16, "PCM_S"), f"info() returned {got}, legacy: (16000, 32000, 1, 16, 'PCM_S')")


class _CountingReader:
    """A seekable binary file that counts the bytes read through it."""

    def __init__(self, path: str):
        self._file = open(path, "rb")  # noqa: SIM115  (closed by close(), like any file object)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: bytearray) -> int:
        count = self._file.readinto(buffer)
        self.bytes_read += count or 0
        return count or 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()


def load(folder: str) -> None:
    import warnings

    import torchaudio

    path = _wav(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the torchcodec route warns that it ignores normalize
        # backend="soundfile" as pyannote >= 3.3 passes it: legacy torchaudio with FFmpeg
        # libraries installed would otherwise pick its FFmpeg backend, which reads whole files.
        waveform, rate = torchaudio.load(path, normalize=False, backend="soundfile")
    _expect(
        str(waveform.dtype) == "torch.int16",
        f"load(normalize=False) returned {waveform.dtype} for a PCM_16 WAV, legacy: torch.int16",
    )
    _expect(tuple(waveform.shape) == (1, 60 * rate), f"load() shape {tuple(waveform.shape)}, legacy: (1, {60 * rate})")
    reader = _CountingReader(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            crop, _ = torchaudio.load(reader, frame_offset=30 * rate, num_frames=rate, backend="soundfile")
    finally:
        reader.close()
    _expect(tuple(crop.shape) == (1, rate), f"a 1 s crop has shape {tuple(crop.shape)}")
    size = os.path.getsize(path)
    _expect(
        reader.bytes_read < size // 10,
        f"a 1 s crop of a 60 s WAV read {reader.bytes_read} of {size} bytes (legacy seeks: about {2 * rate} bytes)",
    )


def save(folder: str) -> None:
    import soundfile
    import torch
    import torchaudio

    path = os.path.join(folder, "saved.wav")
    tone = (torch.arange(1600, dtype=torch.int16) * 7).reshape(1, -1)
    torchaudio.save(path, tone, 16000)
    written = soundfile.info(path)
    _expect(written.subtype == "PCM_16", f"save() of an int16 tensor wrote {written.subtype}, legacy: PCM_16")
    data, _ = soundfile.read(path, dtype="int16")
    _expect(
        bool((torch.from_numpy(data) == tone[0]).all()),
        f"save() of int16 samples {tone[0, 1:4].tolist()} wrote {data[1:4].tolist()}, legacy writes them unchanged",
    )


def backend_module(folder: str) -> None:
    from torchaudio.backend.common import AudioMetaData  # noqa: F401  (pyannote 3.1.1)


def checkpoints(folder: str) -> None:
    import pyannote.audio
    from pyannote.audio import Model

    from .fixtures import write_segmentation_checkpoint, write_wespeaker_checkpoint

    Model.from_pretrained(write_wespeaker_checkpoint(os.path.join(folder, "pytorch_model.bin")))
    if not str(pyannote.audio.__version__).startswith("3."):
        return  # pyannote 4 loads with weights_only=False itself; the family stands aside there
    import torch
    from pyannote.audio.models.segmentation import PyanNet

    path = write_segmentation_checkpoint(os.path.join(folder, "segmentation.ckpt"))
    PyanNet.load_from_checkpoint(path)  # lightning's loading (Trainer(ckpt_path=...) uses the same)
    torch.load(path)  # a plain load, once pyannote is imported


def numpy_aliases(folder: str) -> None:
    import pyannote.audio  # noqa: F401  (3.1.x evaluates np.NaN at import)
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from .fixtures import segmentation_model

    diarization = Annotation(uri="probe")
    diarization[Segment(0.5, 3.0)] = "A"
    try:
        from pyannote.audio.pipelines import Resegmentation  # 3.x; 3.4.0 still calls np.NAN there
    except ImportError:
        pass  # pyannote 4 has none
    else:
        pipeline = Resegmentation(segmentation=segmentation_model(duration=5.0))
        pipeline.instantiate(
            {"warm_up": 0.0, "onset": 0.5, "offset": 0.5, "min_duration_on": 0.0, "min_duration_off": 0.0}
        )
        pipeline({"uri": "probe", "audio": _wav(folder, 8.0)}, diarization=diarization)
    metric = DiarizationErrorRate()  # pyannote.metrics 3.x reports np.NaN percentages for a silent file
    metric(Annotation(uri="probe"), diarization)
    metric.report(display=False)


class _TokenSeen(Exception):
    """Raised by the hub probe's stand-in for pyannote 4's download: the token it was given."""


def hub(folder: str) -> None:
    from pyannote.audio import Model, Pipeline

    token = "hf_ta_compat_doctor_probe"
    # pyannote 4 downloads through pyannote.audio.utils.hf_hub: record the token that reaches it.
    hf_hub = sys.modules.get("pyannote.audio.utils.hf_hub")
    download = getattr(hf_hub, "hf_hub_download", None)

    def seen(*args: object, **kwargs: object) -> None:
        raise _TokenSeen(kwargs.get("token"))

    if hf_hub is not None:
        hf_hub.hf_hub_download = seen  # type: ignore[attr-defined]
    try:
        for loader in (Model, Pipeline):
            try:  # a Hub id, resolved offline in an empty cache: pyannote's own hf_hub_download call
                loader.from_pretrained("ta-compat/doctor-probe", use_auth_token=token, cache_dir=folder)
            except TypeError as exc:
                if "use_auth_token" in str(exc):
                    raise
            except _TokenSeen as exc:
                received = exc.args[0]
                _expect(
                    received == token,
                    f"{loader.__name__}.from_pretrained(use_auth_token=...) passed token={received!r} to the Hub",
                )
            except Exception:
                pass  # the call was accepted; the (offline, empty) cache had nothing, as expected
    finally:
        if hf_hub is not None:
            hf_hub.hf_hub_download = download  # type: ignore[attr-defined]


def torchcodec_fallback(folder: str) -> None:
    """pyannote.audio 4 reads, crops and measures a WAV, and torchaudio's ``*_with_torchcodec``
    round-trip one, where they are installed; a failure names why torchcodec cannot decode."""
    from importlib.metadata import PackageNotFoundError, version

    path = _wav(folder, 2.0)
    try:
        pyannote_major = int(version("pyannote.audio").split(".")[0])
    except (PackageNotFoundError, ValueError):
        pyannote_major = 0
    try:
        if pyannote_major >= 4:
            from pyannote.audio import Audio
            from pyannote.core import Segment

            waveform, rate = Audio()(path)
            _expect(tuple(waveform.shape) == (1, 32000) and rate == 16000, f"Audio()(wav) gave {waveform.shape}")
            crop, _ = Audio().crop(path, Segment(0.5, 1.5))
            _expect(tuple(crop.shape) == (1, 16000), f"Audio().crop(wav, 1 s) gave {tuple(crop.shape)}")
            _expect(Audio().get_duration(path) == 2.0, "get_duration(2 s WAV) is not 2.0")
        import torchaudio

        # torchaudio <= 2.8's *_with_torchcodec are an opt-in preview legacy code never calls;
        # from 2.9 on, they are the route torchaudio's own load/save take.
        if hasattr(torchaudio, "load_with_torchcodec") and _version_at_least(torchaudio.__version__, (2, 9)):
            waveform, rate = torchaudio.load_with_torchcodec(path)
            torchaudio.save_with_torchcodec(os.path.join(folder, "saved.wav"), waveform, rate)
    except Exception as exc:
        from .shims.torchcodec_fallback import torchcodec_failure

        failure = torchcodec_failure()
        if failure is None:
            raise
        raise ProbeFailure(f"torchcodec cannot decode here: {failure}") from exc


def run(names: List[str]) -> Dict[str, Optional[str]]:
    """Run the probes of the families ``names`` here; map each to None (passed) or the one-line
    error it saw."""
    results: Dict[str, Optional[str]] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="ta-compat-doctor-") as folder:
            try:
                by_name(name).run_probe(folder)
            except Exception as exc:
                results[name] = f"{type(exc).__name__}: {_key_line(str(exc))}"[:500]
            else:
                results[name] = None
    return results


def _key_line(message: str) -> str:
    """The informative line of an error (torch's weights_only errors bury the global's name)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()] or [""]
    for line in lines:
        if "Unsupported global" in line:
            return line[line.index("Unsupported global") :]
    return lines[0]


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m ta_compat.probes a,b``: run probes here and print their results as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ta_compat.probes NAME[,NAME...]  (see `ta-compat doctor`)", file=sys.stderr)
        return 2
    os.environ["HF_HUB_OFFLINE"] = "1"  # probes never reach the network
    print(json.dumps(run([name for name in args[0].split(",") if name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
