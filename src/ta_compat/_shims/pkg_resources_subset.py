"""The part of ``pkg_resources`` that legacy audio packages use, where no real one can be imported.

setuptools 82 stopped shipping ``pkg_resources``, and Python 3.12+ venvs have no setuptools at
all, so packages of the librosa 0.9 era die at import with ``ModuleNotFoundError: No module named
'pkg_resources'``: ``librosa/util/files.py`` (0.9.2, pinned by Style-Bert-VITS2) and
``resampy/filters.py`` call ``resource_filename``, pyopenjtalk 0.3 ``resource_filename``, cn2an and
jieba ``resource_stream``, webrtcvad 2.0.10 ``get_distribution(...).version``, ctranslate2 3.x on
Windows ``resource_filename(module, "")``; others of the era check versions with
``DistributionNotFound``, ``parse_version``, ``require`` and find plugins with ``iter_entry_points``.

Only where no finder finds a ``pkg_resources`` does the import hook answer with a stand-in
module (``_ta_compat_hook``), which ``prepare`` fills with that subset, built on
``importlib.metadata`` and the packages' files as setuptools' ``DefaultProvider`` reads them
(same paths, same bytes, same exceptions). An installed setuptools' ``pkg_resources`` is never
shadowed: the hook asks every other finder first, and ``prepare``/``apply`` leave a real module
alone. Any other name raises an ``AttributeError`` that lists what is provided and says how to
get the real module (``from pkg_resources import name`` of such a name is an ``ImportError``, as
for any missing name, so ``try``/``except ImportError`` fallbacks keep working).
"""

from __future__ import annotations

import os
import re
import sys
from types import ModuleType
from typing import IO, Any, Dict, Iterator, List, Optional, Set, Tuple

import _ta_compat_hook

from .._marker import mark

#: What a real ``pkg_resources`` offers beyond this: the module's own install instruction.
REAL_ONE = 'pip install "setuptools<82"'

#: A distribution name at the start of a requirement string (PEP 508).
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)", re.S)


class ResolutionError(Exception):
    """Abstract base for dependency resolution errors (as in ``pkg_resources``)."""


class DistributionNotFound(ResolutionError):
    """A requested distribution was not found (``pkg_resources``' message and ``req``)."""

    def __init__(self, req: str, requirers: Optional[Any] = None) -> None:
        super().__init__(req, requirers)
        self.req = req
        self.requirers = requirers

    def __str__(self) -> str:
        requirers = ", ".join(self.requirers) if self.requirers else "the application"
        return f"The '{self.req}' distribution was not found and is required by {requirers}"


class VersionConflict(ResolutionError):
    """An installed distribution does not meet a requirement's version (as in ``pkg_resources``)."""

    def __init__(self, dist: Distribution, req: str) -> None:
        super().__init__(dist, req)
        self.dist = dist
        self.req = req

    def __str__(self) -> str:
        return f"({self.dist!r}, Requirement.parse({self.req!r}))"


class Distribution:
    """An installed distribution, with the attributes legacy callers read from ``pkg_resources``'."""

    def __init__(self, metadata: Any) -> None:
        self._metadata = metadata
        self.project_name = _safe_name(metadata.metadata["Name"])
        self.key = self.project_name.lower()
        self.version: str = metadata.version
        self.location = os.fspath(metadata.locate_file(""))

    @property
    def parsed_version(self) -> Any:
        """The version as ``parse_version`` gives it."""
        return parse_version(self.version)

    def __str__(self) -> str:
        return f"{self.project_name} {self.version}"

    def __repr__(self) -> str:
        return f"{self} ({self.location})"


def _metadata_of(name: str) -> Any:
    from importlib import metadata

    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise DistributionNotFound(name) from None


def _split(requirement: str) -> Tuple[str, str]:
    """(name, the rest: extras, version specifiers, markers) of a requirement string."""
    match = _NAME.fullmatch(requirement)
    if match is None:
        raise ValueError(f"Invalid requirement: {requirement!r}")
    return match.group(1), match.group(2).strip()


def _checked(requirement: str) -> Distribution:
    """The installed distribution meeting one requirement string, as ``get_distribution`` finds it."""
    name, rest = _split(requirement)
    dist = Distribution(_metadata_of(name))
    if rest:
        from packaging.requirements import Requirement

        if not Requirement(requirement).specifier.contains(dist.version, prereleases=True):
            raise VersionConflict(dist, requirement)
    return dist


def get_distribution(dist: Any) -> Distribution:
    """The installed distribution named by ``dist`` (a name or requirement string, or a ``Distribution``)."""
    if isinstance(dist, Distribution):
        return dist
    return _checked(str(dist))


def _dependencies(dist: Distribution, extras: Any) -> List[Any]:
    """What ``dist`` requires with ``extras``, as setuptools' ``DistInfoDistribution.requires``
    lists it: the unconditional requirements first, then each extra's own."""
    from packaging.requirements import Requirement

    declared = [Requirement(line) for line in dist._metadata.requires or ()]

    def wanted(extra: str) -> List[Any]:
        return [req for req in declared if not req.marker or req.marker.evaluate({"extra": extra})]

    common = list(dict.fromkeys(wanted(""), None))
    found = list(common)
    for extra in extras:
        found += [req for req in wanted(extra) if req not in common]
    return found


def require(*requirements: Any) -> List[Distribution]:
    """The installed distributions ``requirements`` (strings, or lists of lines) need, their own
    requirements in turn, in setuptools' ``WorkingSet.resolve`` order (a distribution is listed
    again for each requirement that names it); ``DistributionNotFound``/``VersionConflict`` where
    one is missing or of another version."""
    from packaging.requirements import Requirement

    lines = [line for item in requirements for line in ([item] if isinstance(item, str) else item)]
    pending = [Requirement(line.strip()) for text in lines for line in str(text).splitlines()]
    pending = [req for req in pending if str(req).strip() and not str(req).startswith("#")][::-1]
    processed: Set[Any] = set()
    extras_of: Dict[Any, Any] = {}
    activated: List[Distribution] = []
    while pending:
        req = pending.pop(0)
        key = _identity(req)
        if key in processed:
            continue
        if req.marker and not any(req.marker.evaluate({"extra": extra}) for extra in extras_of.get(key, ("",))):
            continue
        dist = Distribution(_metadata_of(req.name))
        activated.append(dist)
        if not req.specifier.contains(dist.version, prereleases=True):
            raise VersionConflict(dist, str(req))
        new = _dependencies(dist, sorted(req.extras))[::-1]
        pending.extend(new)
        for dependency in new:
            extras_of[_identity(dependency)] = (*sorted(req.extras), "")
        processed.add(key)
    return activated


def _identity(req: Any) -> Any:
    """What makes two requirements the same one for setuptools (its ``Requirement.hashCmp``): the
    safe name, the specifiers (``>=1.17`` is ``>=1.17.0``), extras, URL and markers."""
    return (_safe_name(req.name).lower(), req.specifier, frozenset(req.extras), req.url, str(req.marker))


def _safe_name(name: str) -> str:
    """setuptools' ``safe_name``: runs of characters other than letters, digits and ``.`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", name)


def parse_version(version: str) -> Any:
    """``packaging.version.Version(version)``, as setuptools' ``parse_version`` is."""
    from packaging.version import Version

    return Version(version)


def iter_entry_points(group: str, name: Optional[str] = None) -> Iterator[Any]:
    """The installed entry points of ``group`` (named ``name``, if given): ``importlib.metadata``'s
    ``EntryPoint`` objects, which have the ``name`` and ``load()`` that plugin loaders use."""
    from importlib import metadata

    found = metadata.entry_points()
    selected = found.select(group=group) if hasattr(found, "select") else found.get(group, ())  # Python 3.9: a dict
    for entry_point in selected:
        if name is None or entry_point.name == name:
            yield entry_point


def _module_folder(package_or_requirement: Any) -> str:
    """The folder a module's resources are read from, as setuptools' ``DefaultProvider`` finds it."""
    if not isinstance(package_or_requirement, str):
        raise TypeError(f"ta-compat's pkg_resources takes module names only, not {package_or_requirement!r}")
    module = sys.modules.get(package_or_requirement)
    if module is None:
        __import__(package_or_requirement)
        module = sys.modules[package_or_requirement]
    if type(getattr(module, "__loader__", None)).__name__ == "zipimporter":
        raise NotImplementedError(
            f"ta-compat's pkg_resources reads resources from folders, not from zip files ({module.__name__}); "
            f"for the real pkg_resources: {REAL_ONE}"
        )
    return os.path.dirname(getattr(module, "__file__", None) or "")


def resource_filename(package_or_requirement: Any, resource_name: str) -> str:
    """The path of ``resource_name`` ('/'-separated) beside the module ``package_or_requirement``."""
    folder = _module_folder(package_or_requirement)
    return os.path.join(folder, *resource_name.split("/")) if resource_name else folder


def resource_stream(package_or_requirement: Any, resource_name: str) -> IO[bytes]:
    """The resource opened for reading in binary mode."""
    return open(resource_filename(package_or_requirement, resource_name), "rb")


def resource_string(package_or_requirement: Any, resource_name: str) -> bytes:
    """The resource's bytes."""
    with resource_stream(package_or_requirement, resource_name) as stream:
        return stream.read()


def resource_exists(package_or_requirement: Any, resource_name: str) -> bool:
    """Whether the resource exists."""
    return os.path.exists(resource_filename(package_or_requirement, resource_name))


def resource_isdir(package_or_requirement: Any, resource_name: str) -> bool:
    """Whether the resource is a folder."""
    return os.path.isdir(resource_filename(package_or_requirement, resource_name))


def resource_listdir(package_or_requirement: Any, resource_name: str) -> List[str]:
    """The names in the resource folder."""
    return os.listdir(resource_filename(package_or_requirement, resource_name))


#: Everything the stand-in module offers, in the order its error message lists them.
PROVIDED = (
    "resource_filename",
    "resource_stream",
    "resource_string",
    "resource_exists",
    "resource_isdir",
    "resource_listdir",
    "get_distribution",
    "require",
    "parse_version",
    "iter_entry_points",
    "Distribution",
    "DistributionNotFound",
    "VersionConflict",
    "ResolutionError",
)


def _missing(name: str) -> Any:
    """The stand-in module's ``__getattr__``: a name outside the subset says what to do."""
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(f"module 'pkg_resources' has no attribute {name!r}")
    raise AttributeError(
        f"module 'pkg_resources' has no attribute {name!r}: no setuptools with pkg_resources is installed "
        f"(setuptools >= 82 has none), and ta-compat provides only {', '.join(PROVIDED)}; "
        f"for the real pkg_resources: {REAL_ONE}"
    )


def is_stand_in(module: ModuleType) -> bool:
    """Whether ``module`` is the import hook's stand-in rather than a real ``pkg_resources``."""
    return getattr(getattr(module, "__spec__", None), "origin", None) == _ta_compat_hook.STAND_IN_ORIGIN


def prepare(module: ModuleType) -> List[str]:
    """Fill the hook's stand-in ``pkg_resources`` with the subset before it executes (its loader
    raises ``ModuleNotFoundError`` for a stand-in nothing filled: the family off); a real one is
    left alone. Returns what was provided."""
    if not is_stand_in(module):
        return []
    this = sys.modules[__name__]
    for name in PROVIDED:
        setattr(module, name, getattr(this, name))
    module.__getattr__ = _missing  # type: ignore[method-assign]
    module.__all__ = list(PROVIDED)  # type: ignore[attr-defined]
    module.__doc__ = f"ta-compat's stand-in for pkg_resources (none is installed); for the real one: {REAL_ONE}"
    mark(module)
    return [f"pkg_resources.{name}" for name in PROVIDED]


def apply(module: ModuleType) -> List[str]:
    """Nothing is left to do once the module has executed: ``prepare`` filled the stand-in."""
    return []


def probe(folder: str) -> None:
    """Use ``pkg_resources`` as librosa 0.9.2 and webrtcvad do: a resource path and a version."""
    import pkg_resources

    from .._probes import ProbeFailure

    path = pkg_resources.resource_filename("ta_compat", "py.typed")
    if not os.path.isfile(path):
        raise ProbeFailure(f"resource_filename('ta_compat', 'py.typed') returned {path!r}, which is no file")
    version = pkg_resources.get_distribution("ta-compat").version
    if not version:
        raise ProbeFailure("get_distribution('ta-compat').version is empty")
