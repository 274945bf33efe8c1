"""Shim families, one module per target library; see ``ta_compat._families``."""
