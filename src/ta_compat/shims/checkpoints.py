"""Let pyannote 3.x load its checkpoints under torch >= 2.6 (``torch.load(weights_only=True)``).

``weights_only`` stays on. While ``Model.from_pretrained`` runs (it also serves
``Pipeline.from_pretrained`` and ``Inference``), torch's allowlist is widened by the exact classes
pyannote checkpoints pickle, with ``torch.serialization.safe_globals``; a ``torch.load`` anywhere
else in the process gains nothing. Each entry only rebuilds plain data: none can call a function
named in the pickle, so a malicious payload (``os.system``, ``eval``, ...) is still refused.
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import Any, List

_MARK = "__ta_compat__"

# (module, qualified name) of each allowed class, in the order pyannote checkpoints need them.
ALLOWLIST = (
    # pyannote 3.x checkpoints (WeSpeaker conversions, Trainer.save_checkpoint):
    ("torch.torch_version", "TorchVersion"),  # torch.__version__, a str subclass
    ("pyannote.audio.core.task", "Specifications"),  # a dataclass of plain fields
    ("pyannote.audio.core.task", "Problem"),  # Enum
    ("pyannote.audio.core.task", "Resolution"),  # Enum
    # pre-3.0, hydra-trained checkpoints (optimizer betas stored as an omegaconf ListConfig):
    ("pyannote.audio.core.model", "Introspection"),  # an empty class kept for back-compat
    ("omegaconf.listconfig", "ListConfig"),
    ("omegaconf.base", "ContainerMetadata"),
    ("omegaconf.base", "Metadata"),
    ("omegaconf.nodes", "AnyNode"),
    ("typing", "Any"),
    ("builtins", "list"),
    ("builtins", "dict"),
    ("builtins", "int"),
    ("collections", "defaultdict"),
)


def allowed_globals() -> List[Any]:
    """The allowlisted classes that can be imported here (omegaconf is optional)."""
    found = []
    for module_name, name in ALLOWLIST:
        try:
            found.append(getattr(import_module(module_name), name))
        except (ImportError, AttributeError):
            continue
    return found


def weights_only_by_default(torch: Any) -> bool:
    """True where ``torch.load`` defaults to ``weights_only=True`` (torch >= 2.6)."""
    serialization = torch.serialization
    if not hasattr(serialization, "safe_globals"):
        return False
    default = getattr(serialization, "_default_to_weights_only", None)
    if default is not None:
        return bool(default(None))  # None: the caller passed no pickle_module, as lightning does
    return tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 6)


def apply(model_module: Any) -> List[str]:
    """Wrap ``Model.from_pretrained`` so pyannote's own ``torch.load`` calls accept its classes."""
    import torch

    model_class = model_module.Model
    current = model_class.__dict__.get("from_pretrained")
    original = getattr(current, "__func__", None)
    if original is None or getattr(original, _MARK, False) or not weights_only_by_default(torch):
        return []

    @functools.wraps(original)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        # Only what is not allowed yet: leaving the context removes these, and must not remove
        # a class the user allowlisted process-wide (as the field note's shim does).
        already = set(torch.serialization.get_safe_globals())
        with torch.serialization.safe_globals([entry for entry in allowed_globals() if entry not in already]):
            return original(cls, *args, **kwargs)

    setattr(from_pretrained, _MARK, True)
    model_class.from_pretrained = classmethod(from_pretrained)
    return [f"{model_module.__name__}.Model.from_pretrained"]
