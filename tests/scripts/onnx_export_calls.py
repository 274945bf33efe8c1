"""``torch.onnx.export`` of a one-layer model called three ways: as legacy code calls it (no
``dynamo=``), and with ``dynamo=False`` and ``dynamo=True`` passed; prints ``RESULT {json}`` with
which exporter each call used (the dynamo exporter returns an ``ONNXProgram``, the TorchScript one
``None``) and the default ``dynamo`` the function's signature shows."""

from __future__ import annotations

import inspect
import json
import os
import sys
from typing import Any, Dict

import torch


def main() -> None:
    """Export to ``sys.argv[1]`` (a folder) each way."""
    folder = sys.argv[1]
    model = torch.nn.Linear(3, 2)
    example = (torch.ones(1, 3),)
    calls: Dict[str, Dict[str, Any]] = {"no dynamo=": {}, "dynamo=False": {"dynamo": False}}
    calls["dynamo=True"] = {"dynamo": True}
    exporters = {}
    for name, keywords in calls.items():
        path = os.path.join(folder, name.replace("=", "-").replace(" ", "-") + ".onnx")
        program = torch.onnx.export(model, example, path, **keywords)
        if program is not None:
            program.save(path)
        exporters[name] = "torchscript" if program is None else "dynamo"
    default = inspect.signature(torch.onnx.export).parameters["dynamo"].default
    print("RESULT " + json.dumps({"exporters": exporters, "signature default": default}))


if __name__ == "__main__":
    main()
