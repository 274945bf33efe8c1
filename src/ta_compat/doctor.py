"""``ta-compat doctor``: for each shim family, is it still needed, and does it work?

The field note's removal checklist, automated. Every family's probe runs in fresh interpreters:
once with every shim on, once with only that family off, once with all off. A probe that passes
with its family off means upstream works (``not needed``: safe to drop); one that fails shows the
exact error or difference that the shim covers (``needed``). Probes use real files made on the
spot and a pyannote checkpoint built from pyannote's own classes; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from typing import Callable, Dict, List, Optional

from .families import FAMILIES, Family

PROBE_TIMEOUT = 300

# Exit statuses of ``doctor`` (documented in the README).
EXIT_OK = 0  # every needed family is active and works
EXIT_BROKEN = 1  # a needed family is disabled, failed, or does not fix its probe
EXIT_STILL_NEEDED = 3  # ``--removable``: some family is still needed


class ProbeFailure(Exception):
    """A probe saw upstream behaviour that differs from legacy torchaudio/pyannote."""


# --- probes: run inside the probed interpreter (``python -m ta_compat.doctor --probe NAME``) ---


def _wav(folder: str, seconds: float = 60.0) -> str:
    from .fixtures import write_speechlike_wav

    return write_speechlike_wav(os.path.join(folder, "probe.wav"), seconds=seconds)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ProbeFailure(message)


def probe_audiometadata(folder: str) -> None:
    import torchaudio

    meta = torchaudio.AudioMetaData(
        sample_rate=16000, num_frames=1, num_channels=1, bits_per_sample=16, encoding="PCM_S"
    )
    _expect(meta.num_frames == 1, "AudioMetaData does not keep its fields")
    if find_spec("pyannote") and find_spec("pyannote.audio"):
        import pyannote.audio  # noqa: F401  (3.3+ evaluates torchaudio.AudioMetaData at import)


def probe_backends(folder: str) -> None:
    import torchaudio

    backends = torchaudio.list_audio_backends()
    _expect("soundfile" in backends, f"list_audio_backends() returned {backends!r}")
    torchaudio.set_audio_backend("soundfile")
    torchaudio.get_audio_backend()


def probe_info(folder: str) -> None:
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


def probe_load(folder: str) -> None:
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


def probe_save(folder: str) -> None:
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


def probe_backend_module(folder: str) -> None:
    from torchaudio.backend.common import AudioMetaData  # noqa: F401  (pyannote 3.1.1)


def probe_checkpoints(folder: str) -> None:
    from pyannote.audio import Model

    from .fixtures import write_wespeaker_checkpoint

    Model.from_pretrained(write_wespeaker_checkpoint(os.path.join(folder, "pytorch_model.bin")))


def probe_hub(folder: str) -> None:
    from pyannote.audio import Model

    try:  # a Hub id, resolved offline in an empty cache: pyannote's own hf_hub_download call
        Model.from_pretrained("ta-compat/doctor-probe", cache_dir=folder)
    except TypeError as exc:
        if "use_auth_token" in str(exc):
            raise
    except Exception:
        pass  # the call was accepted; the (offline, empty) cache had nothing, as expected


PROBES: Dict[str, Callable[[str], None]] = {
    "audiometadata": probe_audiometadata,
    "backends": probe_backends,
    "info": probe_info,
    "load": probe_load,
    "save": probe_save,
    "backend-module": probe_backend_module,
    "checkpoints": probe_checkpoints,
    "hub": probe_hub,
}

# Which distributions a family's probe needs; without them the family is not applicable.
REQUIRES = {"checkpoints": ("torch", "pyannote.audio"), "hub": ("pyannote.audio", "huggingface_hub")}


def run_probes(names: List[str]) -> Dict[str, Optional[str]]:
    """Run probes here; map each name to None (passed) or the one-line error it saw."""
    results: Dict[str, Optional[str]] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="ta-compat-doctor-") as folder:
            try:
                PROBES[name](folder)
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


# --- the doctor itself: subprocesses, verdicts, report ---


@dataclass
class Verdict:
    family: str
    verdict: str  # "needed", "not needed", "not applicable"
    working: bool  # with ta-compat on, the probe passes
    evidence: str  # the error seen with the family off (needed) or with ta-compat on (not working)


def _probe_in_subprocess(names: List[str], disable: Optional[str]) -> Dict[str, Optional[str]]:
    """Probe in a fresh interpreter; ``disable=None`` keeps the user's own ``TA_COMPAT_DISABLE``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TA_COMPAT_WARN", "TA_COMPAT_DEBUG")}
    if disable is not None:
        env["TA_COMPAT_DISABLE"] = disable
    command = [sys.executable, "-m", "ta_compat.doctor", "--probe", ",".join(names)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {name: f"probe timed out after {PROBE_TIMEOUT} s" for name in names}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {name: f"probe process failed (exit {done.returncode}): {tail}" for name in names}


def _applicable(family: Family) -> bool:
    modules = REQUIRES.get(family.name, ("torchaudio",))
    try:
        return all(find_spec(module) is not None for module in modules)
    except (ImportError, ValueError):
        return False


def diagnose(workers: int = 4) -> List[Verdict]:
    """Probe every family as configured (normally all on) and with only that family off."""
    applicable = [family.name for family in FAMILIES if _applicable(family)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        each_off = {name: pool.submit(_probe_in_subprocess, [name], name) for name in applicable}
        on = pool.submit(_probe_in_subprocess, applicable, None) if applicable else None
        with_on = on.result() if on else {}
        off = {name: future.result()[name] for name, future in each_off.items()}
    verdicts = []
    for family in FAMILIES:
        if family.name not in applicable:
            verdicts.append(Verdict(family.name, "not applicable", True, "target not installed"))
            continue
        error_on, error_off = with_on.get(family.name), off[family.name]
        verdict = "needed" if error_off else "not needed"
        verdicts.append(Verdict(family.name, verdict, error_on is None, error_off or error_on or ""))
    return verdicts


def upstream_state() -> Dict[str, Optional[str]]:
    """Every probe with all shims off: what upstream does on its own."""
    return _probe_in_subprocess([f.name for f in FAMILIES if _applicable(f)], "all")


def exit_status(verdicts: List[Verdict], removable: bool) -> int:
    if removable:
        return EXIT_OK if all(v.verdict != "needed" for v in verdicts) else EXIT_STILL_NEEDED
    return EXIT_OK if all(v.working for v in verdicts if v.verdict == "needed") else EXIT_BROKEN


def report(verdicts: List[Verdict], upstream: Dict[str, Optional[str]], as_json: bool) -> str:
    if as_json:
        return json.dumps({"families": [asdict(v) for v in verdicts], "all_off": upstream}, indent=2)
    width = max(len(v.family) for v in verdicts)
    lines = [f"{'family'.ljust(width)}  {'verdict':<14}  {'with ta-compat':<14}  evidence (family off)"]
    for v in verdicts:
        working = "-" if v.verdict == "not applicable" else ("works" if v.working else "BROKEN")
        lines.append(f"{v.family.ljust(width)}  {v.verdict:<14}  {working:<14}  {v.evidence}")
    failing = sum(1 for error in upstream.values() if error)
    lines.append(f"with every shim off, {failing} of {len(upstream)} probes fail")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m ta_compat.doctor --probe a,b``: run probes here and print their results as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--probe":
        os.environ["HF_HUB_OFFLINE"] = "1"  # probes never reach the network
        print(json.dumps(run_probes([name for name in args[1].split(",") if name])))
        return 0
    print("usage: python -m ta_compat.doctor --probe NAME[,NAME...]  (see `ta-compat doctor`)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
