"""``pkg_resources`` in a venv without setuptools (``test_bootstrap_matrix.py``): what the import
gives and what each kind of use answers; prints ``RESULT {json}``."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
from typing import Any, Dict


def main() -> None:
    """The stand-in's answers, or the import's error where there is none."""
    report: Dict[str, Any] = {"found": importlib.util.find_spec("pkg_resources") is not None}
    try:
        import pkg_resources
    except ImportError as exc:
        report["import"] = f"{type(exc).__name__}: {exc}"
        print("RESULT " + json.dumps(report))
        return
    report["import"] = "ok"
    report["origin"] = pkg_resources.__spec__.origin if pkg_resources.__spec__ else None
    path = pkg_resources.resource_filename("ta_compat", "py.typed")
    report["resource is a file"] = os.path.isfile(path)
    with open(path, "rb") as file:
        report["resource bytes"] = pkg_resources.resource_string("ta_compat", "py.typed") == file.read()
    report["version"] = pkg_resources.get_distribution("ta-compat").version
    report["metadata version"] = importlib.metadata.version("ta-compat")
    report["entry points"] = [entry.name for entry in pkg_resources.iter_entry_points("console_scripts", "ta-compat")]
    try:
        pkg_resources.get_distribution("no-such-distribution-ta-compat")
    except pkg_resources.DistributionNotFound as exc:
        report["not found"] = str(exc)
    try:
        pkg_resources.working_set  # noqa: B018  (the attribute access is the test)
    except AttributeError as exc:
        report["outside the subset"] = str(exc)
    try:
        from pkg_resources import declare_namespace  # noqa: F401
    except ImportError as exc:
        report["from-import outside the subset"] = type(exc).__name__
    print("RESULT " + json.dumps(report))


if __name__ == "__main__":
    main()
