"""pyannote 3.x checkpoints through lightning's own loading; prints one RESULT line.

A small segmentation model (PyanNet on a tiny generated speaker diarization protocol) trains for
one epoch of one step with a ``ModelCheckpoint``; its checkpoint is then loaded with a plain
``torch.load`` and ``PyanNet.load_from_checkpoint``, training resumes from it with
``Trainer.fit(ckpt_path=...)`` (the epoch counter moves on), and ``Trainer.validate`` and
``Trainer.test`` load it again (the resumed run's ``test(ckpt_path="best")`` too). The fixture
checkpoints (WeSpeaker conversion, ``Trainer.save_checkpoint``, hydra era) are loaded with
``torch.load`` and ``load_from_checkpoint``, and the hydra one through
``Trainer.validate(ckpt_path=...)``.

Arguments: a JSON object {kind: checkpoint path} and a scratch folder.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Dict, Optional

from ckpt_helpers import attempt, key_line, names, report

logging.disable(logging.WARNING)  # lightning's and pyannote's notes on stdout

import pytorch_lightning as pl  # noqa: E402
import torch  # noqa: E402
from pyannote.audio.models.embedding.wespeaker import WeSpeakerResNet34  # noqa: E402
from pyannote.audio.models.segmentation import PyanNet  # noqa: E402
from pyannote.audio.tasks import SpeakerDiarization  # noqa: E402
from pyannote.database import FileFinder, registry  # noqa: E402
from pyannote_inputs import write_diarization_protocol  # noqa: E402
from pytorch_lightning.callbacks import ModelCheckpoint  # noqa: E402

paths, folder = json.loads(sys.argv[1]), sys.argv[2]
baseline = names()
registry.load_database(write_diarization_protocol(os.path.join(folder, "protocol")))
protocol = registry.get_protocol("Tiny.SpeakerDiarization.Tiny", preprocessors={"audio": FileFinder()})


class TestedPyanNet(PyanNet):  # type: ignore[misc]  # PyanNet is Any to mypy (pyannote is not followed)
    """PyanNet with a test loop (pyannote's models have none): the validation one, as users write it."""

    def test_step(self, batch: Any, batch_idx: int) -> Any:
        """The validation step, on the test batches."""
        return self.validation_step(batch, batch_idx)

    def test_dataloader(self) -> Any:
        """The validation data: the tiny protocol has no other."""
        return self.val_dataloader()


def task(**options: Any) -> Any:
    """A small SpeakerDiarization task on the tiny protocol, ``options`` overriding its defaults."""
    defaults = {"duration": 2.0, "batch_size": 2, "max_speakers_per_chunk": 2, "max_speakers_per_frame": 2}
    return SpeakerDiarization(protocol, num_workers=0, **{**defaults, **options})


def small_model(size: int = 16, layers: int = 1, **options: Any) -> TestedPyanNet:
    """A TestedPyanNet on ``task(**options)``; ``size=32, layers=2`` is the fixtures' shape."""
    torch.manual_seed(0)
    return TestedPyanNet(
        sincnet={"stride": 10},
        lstm={"hidden_size": size, "num_layers": layers, "bidirectional": True, "monolithic": True},
        linear={"hidden_size": size, "num_layers": layers},
        task=task(**options),
    )


def trainer(max_epochs: int = 1, checkpoints: Optional[str] = None) -> Any:
    """A CPU Trainer of one batch per loop, quiet; it writes checkpoints (the last too) when given a folder."""
    return pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=max_epochs,
        limit_train_batches=1,
        limit_val_batches=1,
        limit_test_batches=1,
        num_sanity_val_steps=0,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=checkpoints is not None,
        callbacks=[ModelCheckpoint(dirpath=checkpoints, save_last=True)] if checkpoints else [],
    )


out: Dict[str, Any] = {"trained": {}, "fixtures": {}}
first = trainer(checkpoints=os.path.join(folder, "trained"))
first.fit(small_model())
last = os.path.join(folder, "trained", "last.ckpt")
out["trained"]["written"] = sorted(os.listdir(os.path.join(folder, "trained")))
out["trained"]["epoch_written"] = first.current_epoch
out["trained"]["torch.load"] = attempt(torch.load, last)
try:
    reloaded = PyanNet.load_from_checkpoint(last)
    out["trained"]["load_from_checkpoint"] = [type(reloaded).__name__, reloaded.specifications.problem.name]
except Exception as exc:
    out["trained"]["load_from_checkpoint"] = key_line(exc)

resumed = trainer(max_epochs=2, checkpoints=os.path.join(folder, "resumed"))
try:
    resumed.fit(small_model(), ckpt_path=last)
    out["trained"]["resumed"] = [resumed.current_epoch, resumed.global_step]
except Exception as exc:
    out["trained"]["resumed"] = key_line(exc)
try:
    metrics = trainer().validate(small_model(), ckpt_path=last)
    out["trained"]["validate"] = sorted(metrics[0])
except Exception as exc:
    out["trained"]["validate"] = key_line(exc)
for name, tester, model, path in (
    ("test", trainer(), small_model(), last),
    ("test_best", resumed, None, "best"),  # the resumed run's best checkpoint
):
    try:
        out["trained"][name] = sorted(tester.test(model, ckpt_path=path)[0])
    except Exception as exc:
        out["trained"][name] = key_line(exc)

classes = {"wespeaker": WeSpeakerResNet34, "segmentation": PyanNet, "hydra": PyanNet}
for kind, path in paths.items():
    out["fixtures"][kind] = {
        "torch.load": attempt(torch.load, path),
        "load_from_checkpoint": attempt(classes[kind].load_from_checkpoint, path),
    }
# The hydra-era checkpoint in the Trainer: a model of its shape on a multi-label 5 s task.
hydra_model = small_model(size=32, layers=2, duration=5.0, max_speakers_per_chunk=3, max_speakers_per_frame=None)
out["fixtures"]["hydra"]["validate"] = attempt(trainer().validate, hydra_model, ckpt_path=paths["hydra"])
out["left_allowed"] = sorted(names() - baseline)
report(out)
