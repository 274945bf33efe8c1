"""ta-compat: the legacy torchaudio I/O API and pyannote checkpoint loading on the newest PyTorch.

Installing the distribution is enough: ``compat_autoload.pth`` runs ``_ta_compat_bootstrap`` at
start-up and the shims apply when torchaudio or pyannote is imported. Call ``install()`` yourself
where ``site`` does not run (``python -S``, frozen applications, embedded interpreters);
``uninstall()`` takes the import hook out again and forgets what this process recorded (what is
already patched stays patched).
"""

from __future__ import annotations

from _ta_compat_bootstrap import install
from _ta_compat_hook import uninstall

__version__ = "0.1.0"
__all__ = ["__version__", "install", "uninstall"]
