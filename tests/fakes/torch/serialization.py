"""Fake ``torch.serialization``: just what ``ta_compat.allowlist`` asks of torch >= 2.6."""

import contextlib

_SAFE = []


def _default_to_weights_only(pickle_module):
    return True


def add_safe_globals(entries):
    _SAFE.extend(entries)


def get_safe_globals():
    return list(_SAFE)


@contextlib.contextmanager
def safe_globals(entries):
    _SAFE.extend(entries)
    try:
        yield
    finally:
        for entry in entries:
            _SAFE.remove(entry)
