"""Give Style-Bert-VITS2's own ``from_pretrained`` calls transformers 4's dtype on transformers >= 5.

transformers 5 loads a model in the dtype its config names (``dtype="auto"``) where transformers 4
loaded it in torch's default dtype (float32) unless asked. The Japanese BERT Style-Bert-VITS2 uses
(``ku-nlp/deberta-v2-large-japanese-char-wwm``) says float16 in its config, and Style-Bert-VITS2's
``style_bert_vits2/nlp/bert_models.py`` passes no dtype: its features come out float16 and meet
float32 layers, so inference fails with ``RuntimeError: Input type (c10::Half) and bias type
(float) should be the same`` (``models_jp_extra.py``, ``bert_proj``), its FastAPI server answers
HTTP 500 and ``bert_gen.py`` writes float16 ``.bert.pt`` files.

Only on transformers >= 5, the ``from_pretrained`` of the model classes Style-Bert-VITS2 imports
(where each is defined: ``PreTrainedModel`` for ``DebertaV2Model``, ``AutoModelForMaskedLM`` for
itself) is wrapped: a call made from a module of the
``style_bert_vits2`` package that passes neither ``dtype=`` nor ``torch_dtype=`` gets
``dtype=torch.get_default_dtype()``, transformers 4's behaviour. Every other caller (transformers'
own nested calls, your scripts, other libraries) gets transformers 5's default unchanged; a call
from Style-Bert-VITS2 that names a dtype keeps it. Applied when Style-Bert-VITS2's
``bert_models`` module, which holds its ``from_pretrained`` calls and imports transformers, is
imported. On transformers 4 nothing is patched.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import Any, Callable, List

from .._marker import is_ours, mark

#: The package whose calls get transformers 4's default.
PACKAGE = "style_bert_vits2"


def loads_in_config_dtype(transformers: Any) -> bool:
    """Whether this transformers loads models in their config's dtype by default (5.0 and later)."""
    major = str(getattr(transformers, "__version__", "0")).split(".")[0]
    return major.isdigit() and int(major) >= 5


def _called_from_package(frame: Any) -> bool:
    name = str(frame.f_globals.get("__name__", ""))
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def with_default_dtype_for_package(from_pretrained: Callable[..., Any]) -> Callable[..., Any]:
    """``from_pretrained`` (the function of a classmethod) that adds torch's default dtype to the
    calls of ``PACKAGE``'s modules that pass none."""

    @functools.wraps(from_pretrained)
    def wrapper(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if "dtype" not in kwargs and "torch_dtype" not in kwargs and _called_from_package(sys._getframe(1)):
            import torch

            kwargs["dtype"] = torch.get_default_dtype()
        return from_pretrained(cls, *args, **kwargs)

    return mark(wrapper)


def _owners(module: ModuleType, transformers: Any) -> List[type]:
    """The classes that define the ``from_pretrained`` of the model classes ``module`` imported:
    ``PreTrainedModel`` for concrete models (``DebertaV2Model``), each ``Auto*`` class for itself
    (transformers gives every one its own copy of the function)."""
    model_bases: List[type] = [transformers.PreTrainedModel]
    auto_factory = sys.modules.get("transformers.models.auto.auto_factory")
    if auto_factory is not None:
        model_bases.append(auto_factory._BaseAutoModelClass)
    owners: List[type] = []
    for value in list(vars(module).values()):
        if not isinstance(value, type) or not issubclass(value, tuple(model_bases)):
            continue
        owner = next((cls for cls in value.__mro__ if "from_pretrained" in vars(cls)), None)
        if owner is not None and owner not in owners:
            owners.append(owner)
    return owners


def apply(module: ModuleType) -> List[str]:
    """Wrap the ``from_pretrained`` of the model classes Style-Bert-VITS2's ``bert_models`` (``module``)
    imported where transformers defaults to the config's dtype; returns what was patched."""
    transformers = sys.modules.get("transformers")
    if transformers is None or not loads_in_config_dtype(transformers):
        return []
    patched = []
    for owner in _owners(module, transformers):
        function = getattr(owner.__dict__["from_pretrained"], "__func__", None)
        if function is None or is_ours(function):
            continue
        owner.from_pretrained = classmethod(with_default_dtype_for_package(function))  # type: ignore[attr-defined]
        patched.append(f"{owner.__module__}.{owner.__qualname__}.from_pretrained")
    return patched


def probe(folder: str) -> None:
    """Load a tiny DeBERTa-v2 whose config says float16 through Style-Bert-VITS2's ``load_model``,
    as its inference does; legacy (transformers 4) loads it in float32."""
    import torch
    from style_bert_vits2.constants import Languages
    from style_bert_vits2.nlp import bert_models

    from .._fixtures import write_tiny_deberta
    from .._probes import ProbeFailure

    path = write_tiny_deberta(folder)
    model = bert_models.load_model(Languages.JP, path)
    dtype = next(model.parameters()).dtype
    if dtype != torch.get_default_dtype():
        raise ProbeFailure(f"style_bert_vits2's load_model() loaded the BERT in {dtype}, legacy: {torch.float32}")
