"""Give ``torch.onnx.export`` calls that pass no ``dynamo=`` torch 2.8's default, ``dynamo=False``.

torch 2.9 turned the default of ``torch.onnx.export(..., dynamo=)`` from ``False`` (the
TorchScript exporter) to ``True`` (``torch.export`` and onnxscript). Code written before exports
with the new exporter without asking for it: Style-Bert-VITS2's ``convert_onnx.py`` first fails with
``ModuleNotFoundError: No module named 'onnxscript'`` and, with onnxscript installed, with
``TorchExportError`` (``GuardOnDataDependentSymNode`` in its flow's data-dependent shapes). The
TorchScript exporter is still there on torch 2.9+ and exports such models as it did.

Only where the installed ``export`` defaults to ``dynamo=True``, ``torch.onnx.export`` is rebound to
a wrapper that adds ``dynamo=False`` when the caller passes no ``dynamo`` (a call that passes it,
either value, goes through untouched); its signature shows the legacy default. On torch <= 2.8
nothing is patched.
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable, List

from .._marker import is_ours, mark


def defaults_to_dynamo(export: Callable[..., Any]) -> bool:
    """Whether ``export`` exports with the dynamo exporter when the call does not say which."""
    try:
        parameter = inspect.signature(export).parameters.get("dynamo")
    except (TypeError, ValueError):  # no signature to read: not torch's function, leave it
        return False
    return parameter is not None and parameter.default is True


def with_legacy_default(export: Callable[..., Any]) -> Callable[..., Any]:
    """``export`` with ``dynamo=False`` where a call passes no ``dynamo`` (torch 2.8's default)."""

    @functools.wraps(export)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return export(*args, **kwargs)

    signature = inspect.signature(export)
    legacy = [
        parameter.replace(default=False) if parameter.name == "dynamo" else parameter
        for parameter in signature.parameters.values()
    ]
    wrapper.__signature__ = signature.replace(parameters=legacy)  # type: ignore[attr-defined]
    return mark(wrapper)


def apply(module: Any) -> List[str]:
    """Rebind ``torch.onnx.export`` where it defaults to the dynamo exporter; returns what was patched."""
    export = getattr(module, "export", None)
    if not callable(export) or is_ours(export) or not defaults_to_dynamo(export):
        return []
    module.export = with_legacy_default(export)
    return [f"{module.__name__}.export"]


def probe(folder: str) -> None:
    """Export, with a legacy call (no ``dynamo=``, ``dynamic_axes``), a module that branches on its
    input's values as Style-Bert-VITS2's flows do: the TorchScript exporter traces the branch taken,
    the dynamo exporter cannot (``TorchExportError``), or needs onnxscript, which legacy never did."""
    import torch

    from .._probes import ProbeFailure

    class RepeatByCounts(torch.nn.Module):  # type: ignore[misc]  # torch is not followed: Any
        """A value-dependent branch around a value-dependent output length (duration expansion)."""

        def forward(self, values: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
            repeated = torch.repeat_interleave(values, counts)
            return repeated * 2 if int(counts.max()) > 2 else repeated

    path = os.path.join(folder, "probe.onnx")
    example = (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1, 2, 3]))
    torch.onnx.export(
        RepeatByCounts(),
        example,
        path,
        input_names=["values", "counts"],
        output_names=["repeated"],
        dynamic_axes={"values": {0: "length"}, "counts": {0: "length"}},
    )
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        raise ProbeFailure("torch.onnx.export() without dynamo= wrote no ONNX file")
