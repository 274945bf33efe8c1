"""Write one pyannote checkpoint of each kind (random weights) to the paths given.

Usage: ``python make_checkpoints.py WESPEAKER SEGMENTATION HYDRA``
"""

from __future__ import annotations

import sys

from pyannote_inputs import write_hydra_checkpoint

from ta_compat._fixtures import write_segmentation_checkpoint, write_wespeaker_checkpoint

wespeaker, segmentation, hydra = sys.argv[1:4]
write_wespeaker_checkpoint(wespeaker)
write_segmentation_checkpoint(segmentation)
write_hydra_checkpoint(hydra)
