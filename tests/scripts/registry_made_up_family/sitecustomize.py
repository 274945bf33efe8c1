"""Register the made-up family in every interpreter started with this folder on ``PYTHONPATH``
(the doctor's probe interpreters too), as its entry in ``ta_compat/_families.py`` would."""

from made_up_family import FAMILY

from ta_compat import _families as families

families.FAMILIES += (FAMILY,)
