"""``pkg_resources`` used as legacy audio packages use it; prints ``RESULT {json}`` of every result,
for comparing ta-compat's stand-in with setuptools' own module (``test_sbv2.py``).

Each call is one that a package of the librosa 0.9 era makes: librosa 0.9.2 and resampy
(``resource_filename`` of a file and of a folder), cn2an and jieba (``resource_stream``),
webrtcvad (``get_distribution(...).version``), version checks (``parse_version``, ``require``,
``DistributionNotFound``) and plugin lookups (``iter_entry_points``).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict

import pkg_resources


def outcome(call: Callable[[], Any], site: str) -> Any:
    """The call's result, or its exception's class and message (``site`` written ``<site>``)."""
    try:
        return call()
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc).replace(site, "<site>")}


def main() -> None:
    """Every call's result, paths relative to site-packages."""
    import librosa

    site = os.path.dirname(os.path.dirname(librosa.__file__))

    def relative(path: str) -> str:
        return os.path.relpath(path, site)

    calls: Dict[str, Callable[[], Any]] = {
        "librosa registry": lambda: relative(
            pkg_resources.resource_filename("librosa.util.files", "example_data/registry.txt")
        ),
        "package folder": lambda: relative(pkg_resources.resource_filename("resampy", "")),
        "resampy filter exists": lambda: pkg_resources.resource_exists("resampy.filters", "data/kaiser_best.npz"),
        "cn2an stream": lambda: len(pkg_resources.resource_stream("cn2an", "config.yaml").read()),
        "string": lambda: len(pkg_resources.resource_string("librosa.util", "example_data/index.json")),
        "isdir": lambda: pkg_resources.resource_isdir("librosa.util", "example_data"),
        "listdir": lambda: sorted(pkg_resources.resource_listdir("librosa.util", "example_data")),
        "missing resource": lambda: pkg_resources.resource_exists("librosa", "no-such-file"),
        "missing stream": lambda: pkg_resources.resource_stream("librosa", "no-such-file"),
        "version": lambda: pkg_resources.get_distribution("librosa").version,
        "project name": lambda: pkg_resources.get_distribution("LIBROSA").project_name,
        "key": lambda: pkg_resources.get_distribution("librosa").key,
        "location": lambda: relative(pkg_resources.get_distribution("librosa").location),
        "not installed": lambda: pkg_resources.get_distribution("no-such-distribution-ta-compat"),
        "a ResolutionError": lambda: issubclass(pkg_resources.DistributionNotFound, pkg_resources.ResolutionError),
        "require met": lambda: [str(dist) for dist in pkg_resources.require("librosa>=0.9")],
        "require conflict": lambda: pkg_resources.require("librosa<0.9"),
        "parse_version": lambda: pkg_resources.parse_version("0.10.0") > pkg_resources.parse_version("0.9.2"),
        "entry points": lambda: sorted(
            entry.name for entry in pkg_resources.iter_entry_points("console_scripts", "f2py")
        ),
    }
    results = {name: outcome(call, site) for name, call in calls.items()}
    print("RESULT " + json.dumps({"results": results, "module": getattr(pkg_resources, "__file__", None)}))


if __name__ == "__main__":
    main()
