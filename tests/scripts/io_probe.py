"""Run legacy torchaudio I/O calls described in a JSON file and pickle what they did.

Usage: ``python io_probe.py CASES.json RESULTS.pickle``

It runs unchanged in both stacks of the differential suite: the legacy reference (torchaudio
2.8, whose own soundfile backend answers) and the modern stack (torchaudio >= 2.9, where the
legacy API comes from ta-compat's ``.pth`` hook). It never imports ``ta_compat``: whatever
``import torchaudio`` gives is what is tested. The results hold only plain Python and numpy
objects, so the test process can unpickle them without torch.

A case is ``{"id", "op", ...}``; ``op`` is ``info``, ``load``, ``save``, ``backends``,
``metadata`` or ``signature``. Values in JSON may be tagged: ``{"__np__": "int64", "v": 5}`` is a
numpy scalar, ``{"__tuple__": [...]}`` a tuple.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import pickle
import shutil
import sys
import threading
import traceback
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import soundfile
import torch
import torchaudio

LEGACY = hasattr(torchaudio, "_backend")  # torchaudio <= 2.8 still has its own dispatcher

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    BACKENDS = torchaudio.list_audio_backends()
# With FFmpeg libraries installed, legacy torchaudio picks FFmpeg by default: force soundfile there.
FORCE_SOUNDFILE = LEGACY and BACKENDS != ["soundfile"]


def decode(value: Any) -> Any:
    """A JSON value with its tagged numpy scalars and tuples made real."""
    if isinstance(value, dict):
        if "__np__" in value:
            return getattr(np, value["__np__"])(value["v"])
        if "__tuple__" in value:
            return tuple(decode(v) for v in value["__tuple__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class ReadOnly:
    """A file-like object with ``read`` only."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._data.read(n)


def describe_exception(exc: BaseException) -> Dict[str, Any]:
    """The class, kind and message of ``exc``."""
    return {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "runtime": isinstance(exc, RuntimeError),
        "value": isinstance(exc, ValueError),
        "type_error": isinstance(exc, TypeError),
        "message": str(exc),
        "args": repr(exc.args),
    }


def describe_tensor(tensor: Any) -> Dict[str, Any]:
    """Everything about a tensor a caller can see: values, dtype, layout, storage."""
    storage = tensor.untyped_storage()
    return {
        "array": tensor.detach().cpu().numpy().copy() if tensor.dtype != torch.bfloat16 else None,
        "dtype": str(tensor.dtype),
        "shape": tuple(tensor.shape),
        "stride": tuple(tensor.stride()),
        "contiguous": tensor.is_contiguous(),
        "is_view": tensor._is_view(),
        "storage_nbytes": storage.nbytes(),
        "nbytes": tensor.numel() * tensor.element_size(),
        "requires_grad": tensor.requires_grad,
    }


def describe_value(value: Any) -> Dict[str, Any]:
    """A call's return value as plain, picklable data."""
    if isinstance(value, torch.Tensor):
        return {"tensor": describe_tensor(value)}
    if isinstance(value, tuple):
        return {"tuple": [describe_value(v) for v in value]}
    if type(value).__name__ == "AudioMetaData":
        return {
            "metadata": {
                name: (getattr(value, name), type(getattr(value, name)).__name__)
                for name in ("sample_rate", "num_frames", "num_channels", "bits_per_sample", "encoding")
            },
            "str": str(value),
            "dict_keys": sorted(vars(value)),
        }
    return {"plain": value, "type": type(value).__name__}


def feed_fifo(path: str, data: bytes) -> None:
    """Write ``data`` into the FIFO at ``path``."""
    try:
        with open(path, "wb") as fifo:
            fifo.write(data)
    except OSError:  # the reader went away early
        pass


def make_uri(spec: Dict[str, Any], scratch: str, cleanup: List[Callable[[], None]]) -> Tuple[Any, Any]:
    """The first argument of a call, built from its JSON description, and the file object in it
    (or None) whose position and closed state the result records."""
    kind = spec["kind"]
    path: str = spec.get("path", "")
    if kind == "none":
        return None, None
    if kind == "str":
        return path, None
    if kind == "path":
        return pathlib.Path(path), None
    if kind == "bytes":
        with open(path, "rb") as f:
            return f.read(), None
    if kind == "readonly":
        with open(path, "rb") as f:
            return ReadOnly(f.read()), None
    if kind == "file":
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller's cleanup
        cleanup.append(handle.close)
        handle.seek(spec.get("pos", 0))
        return handle, handle
    if kind == "closed_file":
        handle = open(path, "rb")  # noqa: SIM115 - a closed file is the point
        handle.close()
        return handle, None
    if kind == "bytesio":
        with open(path, "rb") as f:
            buffer = io.BytesIO(f.read())
        buffer.seek(spec.get("pos", 0))
        return buffer, buffer
    if kind == "fd":
        return os.open(path, os.O_RDONLY), None
    if kind == "fifo":
        fifo = os.path.join(scratch, "stream.fifo")
        os.mkfifo(fifo)
        with open(path, "rb") as f:
            data = f.read()
        threading.Thread(target=feed_fifo, args=(fifo, data), daemon=True).start()
        return fifo, None
    raise ValueError(f"unknown uri kind {kind}")


def fd_is_open(fd: int) -> bool:
    """Whether the caller's file descriptor is still open after the call."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def make_tensor(spec: Dict[str, Any]) -> Any:
    """The tensor a save case describes (seeded random samples of a dtype and shape)."""
    rng = np.random.default_rng(spec.get("seed", 0))
    shape = tuple(spec["shape"])
    dtype = spec["dtype"]
    kind = spec.get("kind", "random")
    if dtype in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        array = rng.integers(info.min, int(info.max) + 1, size=shape, dtype=np.int64).astype(dtype)
        tensor = torch.from_numpy(array)
    else:
        if kind == "clip":
            array = rng.uniform(-1.6, 1.6, size=shape)
        elif kind == "large":
            array = rng.uniform(-40000.0, 40000.0, size=shape).round()
        else:
            array = rng.uniform(-0.9, 0.9, size=shape)
        tensor = torch.from_numpy(array).to(getattr(torch, dtype))
    if spec.get("transposed"):
        tensor = tensor.t().contiguous().t()
    if spec.get("requires_grad"):
        tensor.requires_grad_(True)
    return tensor


def describe_written(path: str) -> Dict[str, Any]:
    """What a save left at ``path``."""
    state: Dict[str, Any] = {"exists": os.path.lexists(path), "islink": os.path.islink(path)}
    if state["islink"]:
        state["readlink"] = os.readlink(path)
    if os.path.isfile(path):
        with open(path, "rb") as f:
            state["bytes"] = f.read()
    elif os.path.exists(path):
        state["kind"] = "dir" if os.path.isdir(path) else "special"
    return state


def read_back(data: Optional[bytes]) -> Optional[Dict[str, Any]]:
    """What soundfile reads from written bytes (None for nothing written)."""
    if not data:
        return None
    try:
        buffer = io.BytesIO(data)
        sinfo = soundfile.info(buffer)
        buffer.seek(0)
        dtype = "float64"
        samples, _ = soundfile.read(buffer, dtype=dtype, always_2d=True)
        ints = None
        if sinfo.subtype in ("PCM_16", "PCM_24", "PCM_32", "PCM_S8", "PCM_U8", "ALAC_16"):
            buffer.seek(0)
            ints, _ = soundfile.read(buffer, dtype="int32", always_2d=True)
        return {
            "format": sinfo.format,
            "subtype": sinfo.subtype,
            "frames": sinfo.frames,
            "channels": sinfo.channels,
            "samplerate": sinfo.samplerate,
            "samples": samples,
            "ints": ints,
        }
    except Exception as exc:
        return {"error": describe_exception(exc)}


def run_save(case: Dict[str, Any], scratch: str) -> Dict[str, Any]:
    """``torchaudio.save`` to a destination built in ``scratch`` (the same path in both stacks)."""
    dest = case["dest"]
    kind = dest["kind"]
    name = dest.get("name", "out.wav")
    target = os.path.join(scratch, name)
    result: Dict[str, Any] = {}
    if dest.get("existing"):
        # A good file already at the destination: what a failure does to it is recorded.
        with open(dest["existing"], "rb") as f:
            good = f.read()
        with open(target, "wb") as f:
            f.write(good)
    uri: Any = target
    handle: Any = None
    if kind == "path":
        uri = pathlib.Path(target)
    elif kind == "bytesio":
        uri = handle = io.BytesIO()
    elif kind == "file":
        uri = handle = open(target, "wb")  # noqa: SIM115 - closed after the call
    elif kind == "symlink":
        os.makedirs(os.path.join(scratch, "real"), exist_ok=True)
        real = os.path.join(scratch, "real", dest.get("target", "target.wav"))
        if dest.get("existing"):
            os.replace(target, real)
        os.symlink(os.path.join("real", dest.get("target", "target.wav")), target)
    elif kind == "symlink_to":  # an absolute target, e.g. /dev/null
        os.symlink(dest["to"], target)
    elif kind == "dangling_symlink":
        os.symlink("nowhere/" + dest.get("target", "target.wav"), target)
    elif kind == "raw":  # an exact string, e.g. "/dev/null" or a missing directory
        uri = dest["uri"]
    elif kind == "dir":
        os.makedirs(target)
    elif kind != "str":
        raise ValueError(f"unknown dest kind {kind}")
    src = make_tensor(case["src"])
    kwargs = decode(case.get("kwargs", {}))
    args = decode(case.get("args", [16000]))
    if FORCE_SOUNDFILE and kwargs.get("backend") is None and len(args) < 7:
        kwargs["backend"] = "soundfile"
    try:
        torchaudio.save(uri, src, *args, **kwargs)
    except Exception as exc:
        result["error"] = describe_exception(exc)
    else:
        result["value"] = None
    if isinstance(handle, io.BytesIO):
        result["written"] = {"exists": True, "islink": False, "bytes": handle.getvalue()}
        result["position"] = handle.tell()
    else:
        if handle is not None:
            result["position"] = handle.tell()
            handle.close()
        if kind == "raw":
            result["written"] = None
        else:
            result["written"] = describe_written(target)
            if kind == "symlink_to":
                result["target"] = describe_written(dest["to"])
            if kind == "symlink":
                result["target"] = describe_written(os.path.join(scratch, "real", dest.get("target", "target.wav")))
    written = (result.get("target") or result.get("written") or {}).get("bytes")
    result["read_back"] = read_back(written)
    result["src_after"] = describe_tensor(src) if src.dtype != torch.bfloat16 else None
    result["listing"] = sorted(os.listdir(scratch))
    if os.path.isdir(os.path.join(scratch, "real")):
        result["listing_real"] = sorted(os.listdir(os.path.join(scratch, "real")))
    return result


def run_call(case: Dict[str, Any], scratch: str) -> Dict[str, Any]:
    """Run one non-save case: the call's result or error, and what it did to its file object."""
    op = case["op"]
    kwargs = decode(case.get("kwargs", {}))
    args = decode(case.get("args", []))
    positional_backend = {"info": 2, "load": 6}.get(op)  # index of ``backend`` in ``args``
    forced = positional_backend is not None and FORCE_SOUNDFILE and kwargs.get("backend") is None
    if forced and len(args) <= (positional_backend or 0):
        kwargs["backend"] = "soundfile"
    cleanup: List[Callable[[], None]] = []
    result: Dict[str, Any] = {}
    try:
        if op in ("info", "load"):
            uri, handle = make_uri(case["uri"], scratch, cleanup)
            function = getattr(torchaudio, op)
            try:
                value = function(uri, *args, **kwargs)
            except Exception as exc:
                result["error"] = describe_exception(exc)
            else:
                result["value"] = describe_value(value)
            if handle is not None:
                result["closed"] = handle.closed
                if not handle.closed:
                    result["position"] = handle.tell()
            if case["uri"]["kind"] == "fd":
                result["fd_open"] = fd_is_open(uri)
                if result["fd_open"]:
                    os.close(uri)
        elif op == "backend_module":
            # torchaudio.backend.soundfile_backend.<name>: the backend-level signatures.
            from torchaudio.backend import soundfile_backend

            uri, handle = make_uri(case["uri"], scratch, cleanup)
            try:
                value = getattr(soundfile_backend, case["name"])(uri, *args, **kwargs)
            except Exception as exc:
                result["error"] = describe_exception(exc)
            else:
                result["value"] = describe_value(value)
        elif op == "backends":
            name = case["name"]
            try:
                value = getattr(torchaudio, name)(*args, **kwargs)
            except Exception as exc:
                result["error"] = describe_exception(exc)
            else:
                result["value"] = describe_value(value)
        elif op == "metadata":
            try:
                value = torchaudio.AudioMetaData(*args, **kwargs)
            except Exception as exc:
                result["error"] = describe_exception(exc)
            else:
                result["value"] = describe_value(value)
                result["repr_prefix"] = repr(value).split(" object at ")[0]
                clone = pickle.loads(pickle.dumps(value))
                result["pickled"] = describe_value(clone)
                result["eq_self_copy"] = clone == value
        elif op == "signature":
            import inspect

            function = getattr(torchaudio, case["name"])
            result["value"] = [
                (p.name, p.kind.name, repr(p.default) if p.default is not inspect.Parameter.empty else "<required>")
                for p in inspect.signature(function).parameters.values()
            ]
        else:
            raise ValueError(f"unknown op {op}")
    finally:
        for close in cleanup:
            close()
    return result


def main() -> None:
    """Run every case of the JSON file, each in a fresh scratch folder, and pickle the results."""
    cases_path, out_path = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        spec = json.load(f)
    scratch_root = spec["scratch"]
    results: Dict[str, Any] = {
        "__stack__": {
            "legacy": LEGACY,
            "torch": torch.__version__,
            "torchaudio": torchaudio.__version__,
            "soundfile": soundfile.__version__,
            "libsndfile": soundfile.__libsndfile_version__,
            "backends": BACKENDS,
            "forced_soundfile": FORCE_SOUNDFILE,
            "ta_compat_imported": "ta_compat" in sys.modules,
        }
    }
    for case in spec["cases"]:
        scratch = os.path.join(scratch_root, "case")
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = run_save(case, scratch) if case["op"] == "save" else run_call(case, scratch)
            except Exception:
                result = {"probe_error": traceback.format_exc()}
        result["warnings"] = [(w.category.__name__, str(w.message)) for w in caught]
        results[case["id"]] = result
        shutil.rmtree(scratch, ignore_errors=True)
    with open(out_path, "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    main()
