"""Benchmark worker: runs inside one stack venv and times audio I/O calls on request.

``run.py`` starts one long-lived worker per venv (``python io_worker.py``) and sends it one JSON
command per line on stdin; each answer is one JSON line on the original stdout (library output
is sent to stderr). Keeping the workers alive lets ``run.py`` interleave the implementations at a
fine grain (a batch of calls of one, then of another, round after round) instead of timing them
one after the other, so a change in machine load hits all of them alike. Within one worker,
``time`` alternates its implementations call by call (ta-compat and the floor), and ``memory``
measures the peak RSS of one call in a forked child.

Implementations, by the venv the worker runs in:

- ``ta-compat``: ``torchaudio.load/info/save`` on torchaudio 2.11 with ta-compat installed.
- ``floor``: the same venv, ``soundfile`` + ``torch.from_numpy`` by hand (what ta-compat wraps).
- ``torchcodec``: ``torchaudio.load/save`` on torchaudio 2.11 + torchcodec 0.17, no ta-compat
  (``info`` is gone from torchaudio 2.9+: torchcodec's ``AudioDecoder(path).metadata`` stands in).
- ``legacy-soundfile`` / ``legacy-ffmpeg``: torchaudio 2.8.0 with ``backend=``.
- ``pyannote4-soundfile`` / ``pyannote4-torchcodec``: pyannote.audio 4's ``Audio`` on torchaudio
  2.11 with ta-compat, without torchcodec (the torchcodec-fallback route) and with a working
  torchcodec 0.17 (which the family leaves alone); cases ``p4load`` and ``p4crop``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Tuple

SR_WAV = 16_000
SR_FLAC = 44_100
CROP_SECONDS = 5


def _files_meta(files: Dict[str, str]) -> Dict[str, Dict[str, int]]:
    import soundfile

    infos = {name: soundfile.info(path) for name, path in files.items()}
    return {name: {"frames": info.frames, "rate": info.samplerate} for name, info in infos.items()}


def _status() -> Dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of this process, in KiB."""
    with open("/proc/self/status") as file:
        fields = dict(line.split(":", 1) for line in file.read().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def generate(folder: str) -> Dict[str, str]:
    """Write the benchmark inputs (deterministic noise plus a tone) into ``folder``."""
    import numpy as np
    import soundfile

    files = {
        "wav60": (os.path.join(folder, "speech-60min-16k.wav"), 60 * 60, SR_WAV, 1, "PCM_16"),
        "wav10": (os.path.join(folder, "speech-10min-16k.wav"), 10 * 60, SR_WAV, 1, "PCM_16"),
        "flac5": (os.path.join(folder, "music-5min-44k-stereo.flac"), 5 * 60, SR_FLAC, 2, "PCM_16"),
        "wav1": (os.path.join(folder, "warmup-1s-16k.wav"), 1, SR_WAV, 1, "PCM_16"),
        "flac1": (os.path.join(folder, "warmup-1s-44k-stereo.flac"), 1, SR_FLAC, 2, "PCM_16"),
    }
    rng = np.random.default_rng(0)
    for path, seconds, rate, channels, subtype in files.values():
        with soundfile.SoundFile(path, "w", rate, channels, subtype) as out:
            for start in range(0, seconds, 60):
                n = min(60, seconds - start) * rate
                t = np.arange(n) / rate
                tone = 0.2 * np.sin(2 * np.pi * 220.0 * t)
                block = (tone[:, None] + 0.05 * rng.standard_normal((n, channels))).astype("float32")
                out.write(block)
    return {name: spec[0] for name, spec in files.items()}


class Worker:
    def __init__(self) -> None:
        warnings.simplefilter("ignore")  # legacy torchaudio warns on every backend call
        self.files: Dict[str, str] = {}
        self.meta: Dict[str, Dict[str, int]] = {}
        self.out_dir = ""
        self.impls: List[str] = []
        self.cache: Dict[Any, Callable[[], Any]] = {}

    # -- set-up -------------------------------------------------------------------------------

    def setup(self, files: Dict[str, str], out_dir: str, impls: List[str]) -> Dict[str, Any]:
        import numpy
        import soundfile
        import torch
        import torchaudio

        self.files, self.out_dir, self.impls = files, out_dir, impls
        self.meta = _files_meta(files)
        versions = {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "torchaudio": torchaudio.__version__,
            "numpy": numpy.__version__,
            "soundfile": soundfile.__version__,
            "libsndfile": soundfile.__libsndfile_version__,
        }
        if "torchcodec" in impls or "pyannote4-torchcodec" in impls:
            import torchcodec

            versions["torchcodec"] = torchcodec.__version__
        if any(impl.startswith("pyannote4-") for impl in impls):
            import pyannote.audio
            import pyannote.audio.core.io as pyannote_io

            versions["pyannote.audio"] = pyannote.audio.__version__
            versions["decoder"] = f"{pyannote_io.AudioDecoder.__module__}.AudioDecoder"
            expected = "ta_compat" if "pyannote4-soundfile" in impls else "torchcodec"
            assert versions["decoder"].startswith(expected), f"{impls} decode through {versions['decoder']}"
        if "ta-compat" in impls:
            import ta_compat

            versions["ta-compat"] = ta_compat.__version__
            assert getattr(torchaudio.load, "__ta_compat__", False), "ta-compat shims are not active"
        if "legacy-ffmpeg" in impls:
            versions["legacy backends"] = ",".join(torchaudio.list_audio_backends())
            try:
                from torio.utils import ffmpeg_utils

                versions["ffmpeg libavcodec (torio)"] = ".".join(map(str, ffmpeg_utils.get_versions()["libavcodec"]))
            except Exception as exc:  # reported, not fatal
                versions["ffmpeg libavcodec (torio)"] = repr(exc)
        return {"versions": versions}

    # -- cases --------------------------------------------------------------------------------

    def _crop(self, name: str) -> Tuple[int, int]:
        frames, rate = self.meta[name]["frames"], self.meta[name]["rate"]
        num = CROP_SECONDS * rate
        return frames // 2 - num // 2, num

    def call(self, case: str, impl: str) -> Callable[[], Any]:
        key = (case, impl)
        if key not in self.cache:
            self.cache[key] = self._make(case, impl)
        return self.cache[key]

    def _make(self, case: str, impl: str) -> Callable[[], Any]:
        import soundfile
        import torch
        import torchaudio

        kind, name = case.split(":")
        path = self.files[name]
        if kind in ("p4load", "p4crop"):
            return self._pyannote4(kind, name, path)
        backend = {"legacy-soundfile": "soundfile", "legacy-ffmpeg": "ffmpeg"}.get(impl)
        extra = {"backend": backend} if backend else {}
        if kind == "load":
            if impl == "floor":

                def run() -> Any:
                    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
                    return torch.from_numpy(data).t(), rate

                return run
            return lambda: torchaudio.load(path, **extra)
        if kind == "crop":
            offset, num = self._crop(name)
            if impl == "floor":

                def run() -> Any:
                    data, rate = soundfile.read(path, start=offset, stop=offset + num, dtype="float32", always_2d=True)
                    return torch.from_numpy(data).t(), rate

                return run
            return lambda: torchaudio.load(path, frame_offset=offset, num_frames=num, **extra)
        if kind == "info":
            if impl == "floor":
                return lambda: soundfile.info(path)
            if impl == "torchcodec":
                from torchcodec.decoders import AudioDecoder

                return lambda: AudioDecoder(path).metadata
            return lambda: torchaudio.info(path, **extra)
        if kind == "save":
            data, rate = soundfile.read(path, dtype="float32", always_2d=True)
            tensor = torch.from_numpy(data).t().contiguous()  # (channels, frames) float32
            out = os.path.join(self.out_dir, f"{impl}-{name}.wav")
            if impl == "floor":
                array = tensor.t().numpy()
                return lambda: soundfile.write(out, array, rate, subtype="FLOAT")
            return lambda: torchaudio.save(out, tensor, rate, **extra)
        raise ValueError(f"unknown case {case!r}")

    def _pyannote4(self, kind: str, name: str, path: str) -> Callable[[], Any]:
        """pyannote.audio 4's own calls: ``Audio()(path)``, or ``Audio().crop`` of the middle 5 s."""
        from pyannote.audio import Audio
        from pyannote.core import Segment

        audio = Audio()
        if kind == "p4load":
            return lambda: audio(path)
        offset, num = self._crop(name)
        rate = self.meta[name]["rate"]
        segment = Segment(offset / rate, (offset + num) / rate)
        return lambda: audio.crop(path, segment)

    def time(self, case: str, impls: List[str], reps: int, warmup: bool = False, flip: bool = False) -> Dict[str, Any]:
        """Time ``reps`` calls of each of ``impls``, alternating call by call (A B B A A B ...).

        ``warmup`` makes one untimed call of each first (the caches are cold after the other
        workers ran); ``flip`` starts with the other implementation, so neither is always first.
        """
        functions = [(impl, self.call(case, impl)) for impl in impls]
        if flip:
            functions.reverse()
        times: Dict[str, List[int]] = {impl: [] for impl in impls}
        gc.collect()
        gc.disable()
        try:
            for _, function in functions if warmup else ():
                result = function()
                del result
            for rep in range(reps):
                for impl, function in functions if rep % 2 == 0 else functions[::-1]:
                    start = time.perf_counter_ns()
                    result = function()
                    times[impl].append(time.perf_counter_ns() - start)
                    del result
        finally:
            gc.enable()
        return {"ns": times}

    def memory(self, case: str, impl: str, warmup: str) -> Dict[str, Any]:
        """Peak memory of one call, in a forked child: peak RSS during the call minus RSS before it.

        The child starts from this warmed-up process (libraries imported, a small file of the same
        format already loaded once, so first-call allocations are not counted; run.py uses fresh
        workers that never loaded a large file themselves), resets the
        kernel's peak-RSS counter (``/proc/self/clear_refs`` 5 resets ``VmHWM``), makes the call
        and reports ``VmHWM`` minus the ``VmRSS`` it had before.
        """
        import torch

        function, warm = self.call(case, impl), self.call(case.split(":")[0] + ":" + warmup, impl)
        warm()  # first-call allocations of a library happen here, in the parent
        gc.collect()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one measurement, then _exit (no atexit, no flushing of the parent's files)
            code = 1
            try:
                os.close(read)
                torch.set_num_threads(1)  # OpenMP thread pools do not survive fork()
                warm()  # fault in the code pages the call runs (fork leaves them to be mapped lazily)
                with open("/proc/self/clear_refs", "w") as file:
                    file.write("5")
                before = _status()["VmRSS"]
                waveform, _ = function()
                peak = _status()["VmHWM"]
                nbytes = waveform.element_size() * waveform.nelement()
                os.write(write, json.dumps({"delta_kib": peak - before, "result_kib": nbytes // 1024}).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read) as pipe:
            answer = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not answer:
            raise RuntimeError(f"memory probe of {impl} on {case} failed (status {status})")
        result: Dict[str, Any] = json.loads(answer)
        return result

    def check(self, case: str, impl: str) -> Dict[str, Any]:
        """Describe one result (shape, dtype, rate) so run.py can see that all do the same work."""
        result = self.call(case, impl)()
        if case.startswith("save:"):
            import soundfile

            out = soundfile.info(os.path.join(self.out_dir, f"{impl}-{case.split(':')[1]}.wav"))
            return {"written": f"{out.frames} frames, {out.channels} ch, {out.samplerate} Hz, {out.subtype}"}
        if case.startswith("info:"):
            frames = getattr(result, "num_frames", getattr(result, "frames", None))
            if frames is None and hasattr(result, "duration_seconds_from_header"):
                frames = round(result.duration_seconds_from_header * result.sample_rate)
            return {"info": f"{frames} frames, {getattr(result, 'sample_rate', getattr(result, 'samplerate', '?'))} Hz"}
        waveform, rate = result
        return {"shape": list(waveform.shape), "dtype": str(waveform.dtype), "rate": rate}


def main() -> None:
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    worker = Worker()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            command = request.pop("cmd")
            if command == "quit":
                break
            if command == "generate":
                answer: Dict[str, Any] = {"files": generate(request["folder"])}
            else:
                answer = getattr(worker, command)(**request)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        reply.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
