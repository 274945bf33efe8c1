"""``ta_compat._environment.kernel_for`` against the installed torch's own rule
(``torch.cuda._code_compatible_with_device``, torch >= 2.9), for every compute capability in
torch's table, as machine code, on every such device; Jetson's integrated GPUs left aside, as
``kernel_for`` says. No GPU needed: both are rules over numbers."""

from __future__ import annotations

import warnings
from typing import List, Tuple

import torch.cuda
from hook_report import emit

from ta_compat._environment import kernel_for

#: Integrated (Jetson) GPUs: their code runs on them only and theirs only, which ``kernel_for``
#: leaves aside.
INTEGRATED = {53, 62, 72, 87}

capabilities = sorted(set(torch.cuda.DEVICE_REQUIREMENT) - INTEGRATED)
disagree: List[Tuple[str, str, bool, bool]] = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns of capabilities it does not know
    for code in capabilities:
        for device in capabilities:
            torch_says = bool(torch.cuda._code_compatible_with_device(device, code))
            ours = kernel_for((device // 10, device % 10), [f"sm_{code}"]) is not None
            if torch_says != ours:
                disagree.append((f"sm_{code}", f"{device // 10}.{device % 10}", torch_says, ours))
emit({"cuda": torch.version.cuda, "pairs": len(capabilities) ** 2, "disagree": disagree})
