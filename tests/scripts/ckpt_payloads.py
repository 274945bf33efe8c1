"""Malicious pickles: each payload writes ``<markers>/<name>`` if it ever runs.

``Call(f, *args)`` pickles as ``f(*args)`` (a REDUCE), and ``f`` may itself be a ``Call``: that is
how chains are written. ``build(markers, hydra, out)`` writes ``out/plain/<name>.pt`` (only the
payload) and ``out/pyannote/<name>.ckpt`` (the hydra checkpoint, every allowlisted name in use,
with the payload added, so only the payload can be refused), plus ``interpolation.ckpt``. The tests
list the payloads as ``support.checkpoints.PAYLOAD_NAMES`` and check that both agree.
"""

from __future__ import annotations

import functools
import importlib
import operator
import os
import subprocess
from typing import Any, Dict, NoReturn, Tuple

import torch
from omegaconf import OmegaConf
from torch.torch_version import TorchVersion


class Call:
    """Pickles as ``func(*args)``: a REDUCE the unpickler would run."""

    def __init__(self, func: Any, *args: Any) -> None:
        """Keep what the REDUCE will call, and with what."""
        self.func, self.args = func, args

    def __call__(self, *args: Any) -> NoReturn:
        """Callable, so a ``Call`` can stand for the function of another; never called."""
        raise AssertionError("only pickled")

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        """The REDUCE: ``func(*args)``."""
        return (self.func, self.args)


def payloads(markers: str) -> Dict[str, Any]:
    """{name: payload} for the markers folder ``markers``."""

    def marker(name: str) -> str:
        """The file payload ``name`` writes when it runs."""
        return os.path.join(markers, name)

    def touch(name: str) -> str:
        """A shell command that writes the marker of ``name``."""
        return f"touch {marker(name)}"

    def opener(name: str) -> str:
        """Python source that writes the marker of ``name``."""
        return f"open({marker(name)!r}, 'w').close()"

    def omegaconf_callable(name: str) -> Any:
        """A ListConfig carrying a ``Call``: omegaconf's own classes, with a payload inside."""
        # a real ListConfig (the betas of a hydra checkpoint) whose first node's value is a call
        betas = OmegaConf.create([0.9, 0.999])
        betas._get_node(0).__dict__["_val"] = Call(exec, opener(name))
        return betas

    return {
        "os_system": Call(os.system, touch("os_system")),
        "eval": Call(eval, opener("eval")),
        "exec": Call(exec, opener("exec")),
        "subprocess_popen": Call(subprocess.Popen, ["touch", marker("subprocess_popen")]),
        "partial_os_system": Call(functools.partial(os.system, touch("partial_os_system"))),
        "partial_eval": Call(functools.partial(eval, opener("partial_eval"))),
        "partial_exec": Call(functools.partial(exec, opener("partial_exec"))),
        "partial_popen": Call(functools.partial(subprocess.Popen, ["touch", marker("partial_popen")])),
        # getattr(importlib.import_module("os"), "system")(cmd)
        "getattr_chain": Call(Call(getattr, Call(importlib.import_module, "os"), "system"), touch("getattr_chain")),
        # TorchVersion._convert_to_version.__globals__["__builtins__"]["__import__"]("os").system(cmd):
        # a chain through an allowlisted class, with operator.attrgetter/itemgetter only
        "attrgetter_chain": Call(
            Call(
                operator.attrgetter("system"),
                Call(
                    Call(
                        operator.itemgetter("__import__"),
                        Call(
                            operator.itemgetter("__builtins__"),
                            Call(operator.attrgetter("_convert_to_version.__globals__"), TorchVersion),
                        ),
                    ),
                    "os",
                ),
            ),
            touch("attrgetter_chain"),
        ),
        "omegaconf_callable": omegaconf_callable("omegaconf_callable"),
    }


def build(markers: str, hydra: str, out: str) -> None:
    """Write the payload files (see the module docstring) into ``out``."""
    base = torch.load(hydra, weights_only=False)  # our own fixture, to add the payloads to
    os.makedirs(os.path.join(out, "plain"))
    os.makedirs(os.path.join(out, "pyannote"))
    for name, payload in payloads(markers).items():
        plain = {"state_dict": {"weight": torch.zeros(2)}, "payload": payload}
        torch.save(plain, os.path.join(out, "plain", name + ".pt"))
        checkpoint = dict(base)
        if name.startswith("omegaconf"):  # where hydra put its ListConfig
            state = dict(checkpoint["optimizer_states"][0])
            state["param_groups"] = [dict(state["param_groups"][0], betas=payload)]
            checkpoint["optimizer_states"] = [state]
        else:
            checkpoint["pyannote.audio"] = dict(checkpoint["pyannote.audio"], payload=payload)
        torch.save(checkpoint, os.path.join(out, "pyannote", name + ".ckpt"))
    # An interpolation: nothing to refuse, but a ListConfig value resolved later would call
    # whatever resolver the process registered (``eval`` is a common one). Put where lightning
    # reads a string.
    checkpoint = dict(base)
    checkpoint["pytorch-lightning_version"] = OmegaConf.create(["${ta_compat_probe:interpolation}"])
    torch.save(checkpoint, os.path.join(out, "pyannote", "interpolation.ckpt"))


def register_resolver(markers: str) -> None:
    """An omegaconf resolver that leaves ``<markers>/interpolation`` behind when it is called."""

    def ta_compat_probe(*args: Any) -> str:
        """Leave the marker behind; return a version string, as lightning expects there."""
        open(os.path.join(markers, "interpolation"), "w").close()
        return "2.6.6"

    OmegaConf.register_new_resolver("ta_compat_probe", ta_compat_probe)
