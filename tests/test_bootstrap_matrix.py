"""The start-up robustness matrix (issue 7): every pitfall of the spec's section (c), on every Python.

For each interpreter in ``TA_COMPAT_BOOTSTRAP_PYTHONS`` (3.9 to 3.13, ``os.pathsep``-separated) a
module-scoped fixture builds two fresh venvs with ``python -m venv``: one with the freshly built
wheel installed (``--no-deps``, plus pytest for the import-hook case) and a bare one, the baseline.
Every case then runs in its own subprocess. These interpreters have no torch stack, so the fake
``torch``/``torchaudio``/``pyannote`` packages of ``tests/fakes`` stand in (``PYTHONPATH``): the hook
logic does not care what a target contains. With ``TA_COMPAT_DEBUG=1`` each application of a shim
family prints one ``ta-compat: <target> <version>: <family> <state>`` line, which is how the
cases count firings; ``FAKE_TRACE=1`` prints the fakes' execution order on the same stream.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from conftest import clean_env, run_python

FAKES = Path(__file__).resolve().parent / "fakes"
HEAVY = (
    "threading",
    "importlib.util",
    "importlib.metadata",
    "warnings",
    "torch",
    "torchaudio",
    "numpy",
    "soundfile",
    "ta_compat",
    "_ta_compat_hook",  # imported when a target is first looked up, not at start-up
)
OFF_VALUES = ("1", "true", "True", "all", "ALL", "*", " 1 ", "yes", "on")
ON_VALUES = ("0", "", "false", "no", "off", " ")
#: Odd values, none of them "everything off", each with whether it names something that is no
#: family (that costs one warning, which names the families).
ODD_VALUES = {
    "тест": True,
    "☃,💥": True,
    "\x01\x02\x7f": True,
    "load,,,": False,
    "=,=;rm -rf /": True,
    "\udcff\udcfe": True,  # bytes that are not UTF-8 (os.environ decodes them as surrogates)
    "1,load": True,  # a list containing "1" is a family list, not the global switch
    "x" * 100_000: True,
}
DEBUG_LINE = re.compile(r"^ta-compat: (\S+) \S+: (\S+) ", re.M)

# Prepended to most subprocess codes: ``_state()`` describes the hook and the fakes as JSON.
STATE = """\
import json as _json, sys as _sys


def _state():
    ta = _sys.modules.get("torchaudio")
    dispatch = _sys.modules.get("ta_compat._dispatch")
    return {
        "finders": sum(f is _sys.modules.get("_ta_compat_bootstrap") for f in _sys.meta_path),
        "loaded": "ta_compat" in _sys.modules,
        "patched": ta is not None and getattr(getattr(ta, "load", None), "__ta_compat__", False) is True,
        "outcomes": {k: v.state for k, v in dispatch.OUTCOMES.items()} if dispatch else {},
        "trace": list(getattr(_sys, "fake_trace", [])),
    }
"""


def _base_env(**overrides: str) -> Dict[str, str]:
    env = clean_env()
    for name in (
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONWARNINGS",
        "PYTHONNOUSERSITE",
        "PYTHONSAFEPATH",
        "PYTHONVERBOSE",
        "PYTHONINSPECT",
        "VIRTUAL_ENV",
    ):
        env.pop(name, None)
    env.update(overrides)
    return env


def _resolve(python: str) -> Optional[str]:
    """The real interpreter behind ``python``; a pyenv shim without a selected version is looked up."""

    def works(candidate: str) -> Optional[str]:
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, timeout=60
            )
        except OSError:
            return None
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None

    found = works(python)
    if found:
        return found
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    if Path(python).parent == Path(root) / "shims":  # `pyenv: python3.9: command not found`
        for candidate in sorted(glob.glob(os.path.join(root, "versions", "*", "bin", Path(python).name)), reverse=True):
            found = works(candidate)
            if found:
                return found
    return None


#: The interpreters of the matrix: nox passes 3.9 to 3.13 (``os.pathsep``-separated); plain
#: ``pytest`` keeps to the one it runs on, so the fast layer stays fast.
PYTHONS = [p for p in os.environ.get("TA_COMPAT_BOOTSTRAP_PYTHONS", "").split(os.pathsep) if p] or [
    os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
]


def fires(stderr: str) -> Dict[str, int]:
    """How often each shim family was applied (one ``TA_COMPAT_DEBUG`` line per application)."""
    return dict(collections.Counter(family for _, family in DEBUG_LINE.findall(stderr)))


def ours(stderr: str) -> List[str]:
    """The lines of ours on stderr, except the debug report."""
    return [line for line in stderr.splitlines() if "ta-compat" in line and not DEBUG_LINE.match(line + " ")]


def _purelib(python: Path) -> Path:
    # not with -S: up to 3.13 it is site that sets sys.prefix to the venv
    out = run_python(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])", env=_base_env())
    path = Path(out.stdout.strip())
    assert path.is_relative_to(python.parent.parent), (python, path)
    return path


class Matrix:
    """One interpreter: a venv with the wheel (``python``) and a bare one (``bare``)."""

    def __init__(self, base: str, root: Path, wheel: Path) -> None:
        self.base = base
        self.root = root
        self.version = tuple(
            int(part)
            for part in subprocess.run(
                [base, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        )
        for name in ("venv", "bare"):
            subprocess.run([base, "-m", "venv", "--without-pip", str(root / name)], check=True, timeout=120)
        self.python = root / "venv" / "bin" / "python"
        self.bare = root / "bare" / "bin" / "python"
        # Under `nox -s tests` the children of every interpreter measure coverage too (through
        # coverage's own .pth): the bootstrap's branches for 3.9-3.13 run only here.
        measure = ["coverage"] if os.environ.get("COVERAGE_PROCESS_START") else []
        for args in (["--no-deps", str(wheel)], ["pytest", *measure]):
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--disable-pip-version-check",
                    "--python",
                    str(self.python),
                    "install",
                    "-q",
                    *args,
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        self.site = _purelib(self.python)
        # Reading any .pth file costs site a module on 3.9 (_bootlocale, for the locale encoding):
        # the baseline has one that does nothing, as every venv with setuptools or pip has.
        (_purelib(self.bare) / "baseline.pth").write_text("# a .pth file that does nothing\n")
        families = run_python(
            self.python,
            "import json; from ta_compat import families; print(json.dumps([families.names()] + "
            "[[f.name for f in families.by_target(t)] for t in ('torchaudio', 'pyannote.audio.core.model')]))",
            env=_base_env(),
        )
        assert families.returncode == 0, families.stderr
        #: every family, and the shim families of each target, as the installed package defines them
        self.families, self.ta, self.pa = (tuple(names) for names in json.loads(families.stdout))
        self.zip = root / "fakes.zip"
        with zipfile.ZipFile(self.zip, "w") as archive:
            for path in sorted(FAKES.rglob("*.py")):
                archive.write(path, path.relative_to(FAKES).as_posix())
            archive.writestr("pyannote/__init__.py", "")  # zipimport has no namespace packages

    def each(self, times: int = 1, pyannote: bool = False) -> Dict[str, int]:
        """The expected ``fires()``: every torchaudio family (and pyannote's) applied ``times``."""
        return {family: times for family in self.ta + (self.pa if pyannote else ())}

    def run(
        self,
        code: str,
        *,
        bare: bool = False,
        flags: tuple = (),
        fakes: bool | str = True,
        state: bool = True,
        timeout: float = 120,
        **env: str,
    ) -> subprocess.CompletedProcess:
        variables = _base_env(**env)
        if fakes:
            variables["PYTHONPATH"] = str(FAKES) if fakes is True else fakes
        source = (STATE if state else "") + textwrap.dedent(code)
        return run_python(self.bare if bare else self.python, source, env=variables, flags=flags, timeout=timeout)

    def state(self, code: str, **kwargs) -> dict:
        """Run ``code`` and return the JSON it prints last (the run must succeed)."""
        result = self.run(code, **kwargs)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert lines, result.stderr
        data = json.loads(lines[-1])
        data["stderr"] = result.stderr
        return data


def _build(python: str, root: Path, wheel: Path) -> Matrix:
    base = _resolve(python)
    assert base, f"{python} from TA_COMPAT_BOOTSTRAP_PYTHONS does not run"
    return Matrix(base, root, wheel)


@pytest.fixture(scope="session")
def matrix_builds(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[Dict[str, Future]]:
    """The venvs of every interpreter, built at once in the background (pip mostly waits)."""
    pool = ThreadPoolExecutor(max_workers=max(1, len(PYTHONS)))
    roots = {python: tmp_path_factory.mktemp("matrix-" + Path(python).name) for python in PYTHONS}
    yield {python: pool.submit(_build, python, roots[python], wheel) for python in PYTHONS}
    pool.shutdown(wait=True)


@pytest.fixture(scope="module", params=PYTHONS, ids=lambda p: Path(p).name)
def matrix(request: pytest.FixtureRequest) -> Matrix:
    builds: Dict[str, Future] = request.getfixturevalue("matrix_builds")
    return builds[request.param].result()


# -- 1. start-up budget, 13. venv double execution, 17. gevent --------------------------------


#: For tests of what a bare start imports: coverage's own .pth would import its measuring machinery.
UNMEASURED = {"COVERAGE_PROCESS_START": ""}


def test_startup_adds_only_the_bootstrap(matrix: Matrix) -> None:
    code = "import sys, json; print(json.dumps(sorted(sys.modules)))"
    enabled = set(json.loads(matrix.run(code, fakes=False, state=False, **UNMEASURED).stdout))
    baseline = set(json.loads(matrix.run(code, bare=True, fakes=False, state=False, **UNMEASURED).stdout))
    assert enabled - baseline == {"_ta_compat_bootstrap"}
    assert not set(HEAVY) & enabled
    # pip compiled the bootstrap: no source recompiled at every start (PYTHONDONTWRITEBYTECODE is set)
    cached = matrix.run(
        "import _ta_compat_bootstrap as b, os; print(os.path.exists(b.__cached__))", fakes=False, state=False
    )
    assert cached.stdout.strip() == "True", cached.stderr


def test_gevent_threading_not_imported(matrix: Matrix) -> None:
    code = "import sys; assert 'threading' not in sys.modules, 'threading'"
    result = matrix.run(code, fakes=False, state=False, **UNMEASURED)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_venv_double_execution_installs_one_finder(matrix: Matrix) -> None:
    counter = matrix.site / "zz_ta_compat_test_counter.pth"
    counter.write_text("import sys; sys.__dict__['_pth_runs'] = sys.__dict__.get('_pth_runs', 0) + 1\n")
    try:
        data = matrix.state("print(_json.dumps(dict(_state(), runs=_sys._pth_runs)))", fakes=False)
    finally:
        counter.unlink()
    assert data["runs"] in (1, 2)  # 2 on 3.9 to 3.14 venvs (gh-75723): every .pth runs twice
    assert data["finders"] == 1
    assert data["stderr"] == ""


# -- 2. fires once, on first import only; dotted targets; nesting ------------------------------


def test_fires_once_on_first_import(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import importlib
        assert "ta_compat" not in _sys.modules
        import torch
        assert "ta_compat" not in _sys.modules, "torch is not a target"
        import torchaudio
        import torchaudio
        from torchaudio import load
        importlib.import_module("torchaudio")
        __import__("torchaudio")
        print(_json.dumps(_state()))
        """,
        TA_COMPAT_DEBUG="1",
        FAKE_TRACE="1",
    )
    assert data["patched"] and data["finders"] == 1
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert fires(data["stderr"]) == matrix.each()
    assert data["trace"] == ["torch:begin", "torch:end", "torchaudio:begin", "torchaudio:end"]
    lines = data["stderr"].splitlines()
    assert lines.index("fake: torchaudio:end") < min(i for i, line in enumerate(lines) if DEBUG_LINE.match(line + " "))
    assert ours(data["stderr"]) == []


def test_dotted_target_and_nesting(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import pyannote.audio
        assert "ta_compat" not in _sys.modules, "pyannote.audio is not a target, its model module is"
        from pyannote.audio.core.model import Model
        from pyannote.audio.core import model
        import pyannote.audio.core.model
        print(_json.dumps(dict(_state(), marked=getattr(Model.from_pretrained.__func__, "__ta_compat__", False))))
        """,
        TA_COMPAT_DEBUG="1",
        FAKE_TRACE="1",
    )
    assert data["marked"] is True and data["patched"]
    assert fires(data["stderr"]) == matrix.each(pyannote=True)
    events = [line for line in data["stderr"].splitlines() if line.startswith("fake: ") or DEBUG_LINE.match(line + " ")]
    order = [
        line.split(":")[1].strip() if line.startswith("fake: ") else DEBUG_LINE.match(line + " ").group(2)
        for line in events
    ]
    # torch runs inside torchaudio, torchaudio inside pyannote's model module; each target's shims
    # fire right after its own body, so torchaudio's come before the model module ends.
    assert order == [
        "pyannote.audio.core.model",  # begin
        "torch",
        "torch",
        "torchaudio",
        "torchaudio",
        *matrix.ta,
        "pyannote.audio.core.model",  # end
        *matrix.pa,
    ]
    assert ours(data["stderr"]) == []


# -- 3. already imported / half-imported -----------------------------------------------------


def test_install_patches_an_already_imported_target(matrix: Matrix) -> None:
    data = matrix.state(
        f"""
        _sys.path.insert(0, {str(FAKES)!r}); _sys.path.append({str(matrix.site)!r})
        import torchaudio
        before = _state()
        import ta_compat
        ta_compat.install()
        ta_compat.install()  # idempotent: neither a second finder nor a second firing
        import _ta_compat_bootstrap
        _ta_compat_bootstrap.install()
        print(_json.dumps(dict(_state(), before=before)))
        """,
        flags=("-S",),
        fakes=False,
        TA_COMPAT_DEBUG="1",
    )
    assert data["before"]["patched"] is False and data["before"]["finders"] == 0
    assert data["patched"] and data["finders"] == 1
    assert fires(data["stderr"]) == matrix.each()


def test_install_while_the_target_is_half_initialised_with_site(matrix: Matrix) -> None:
    data = matrix.state(
        "import torchaudio; print(_json.dumps(_state()))",
        TA_COMPAT_DEBUG="1",
        FAKE_TORCHAUDIO_BODY="import _ta_compat_bootstrap; _ta_compat_bootstrap.install()",
    )
    assert data["patched"] and data["finders"] == 1
    assert fires(data["stderr"]) == matrix.each()
    assert ours(data["stderr"]) == []


def test_install_while_the_target_is_half_initialised_without_site(matrix: Matrix) -> None:
    """Documented: a target half-initialised when ``install()`` first runs is not shimmed (no crash);
    calling ``install()`` again once the import is done shims it, and so does ``importlib.reload``."""
    data = matrix.state(
        f"""
        _sys.path.insert(0, {str(FAKES)!r}); _sys.path.append({str(matrix.site)!r})
        import importlib, torchaudio, ta_compat
        during = _state()
        ta_compat.install()
        after = _state()
        importlib.reload(torchaudio)
        print(_json.dumps(dict(_state(), during=during, after=after)))
        """,
        flags=("-S",),
        fakes=False,
        TA_COMPAT_DEBUG="1",
        FAKE_TORCHAUDIO_BODY="import ta_compat; ta_compat.install()",
    )
    assert data["during"]["finders"] == 1 and data["during"]["patched"] is False
    assert data["after"]["patched"] is True and data["patched"] is True
    assert ours(data["stderr"]) == []


# -- 4. the off switch ------------------------------------------------------------------------

IMPORT_STATE = "import torchaudio; print(_json.dumps(_state()))"


@pytest.mark.parametrize("value", OFF_VALUES, ids=repr)
def test_disable_all(matrix: Matrix, value: str) -> None:
    data = matrix.state(IMPORT_STATE, TA_COMPAT_DISABLE=value)
    assert data["finders"] == 0 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ON_VALUES, ids=repr)
def test_enabled_values(matrix: Matrix, value: str) -> None:
    data = matrix.state(IMPORT_STATE, TA_COMPAT_DISABLE=value)
    assert data["finders"] == 1 and data["patched"]
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ["load,save", " LOAD , Save ,"], ids=repr)
def test_disable_a_family_list(matrix: Matrix, value: str) -> None:
    data = matrix.state(IMPORT_STATE, TA_COMPAT_DISABLE=value)
    assert data["finders"] == 1 and not data["patched"]  # torchaudio.load is the fake's own
    expected = {family: "applied" for family in matrix.ta}
    expected.update(load="disabled", save="disabled")
    assert data["outcomes"] == expected
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ODD_VALUES, ids=lambda v: ascii(v)[:24])
def test_odd_disable_values_never_break_startup(matrix: Matrix, value: str) -> None:
    data = matrix.state("import pyannote.audio.core.model\n" + IMPORT_STATE, TA_COMPAT_DISABLE=value)
    assert data["finders"] == 1  # none of these is an "everything off" value
    assert data["patched"] is ("load" not in value.split(","))
    if not ODD_VALUES[value]:
        assert data["stderr"] == ""  # start-up, both targets and their shims: not a word
        return
    # Both targets fire; one warning in all, naming the families there are (and its source line).
    (message,) = ours(data["stderr"])
    assert "RuntimeWarning: ta-compat: TA_COMPAT_DISABLE names no family " in message
    assert f"the families are {', '.join(matrix.families)} " in message
    assert all(line == message or line.startswith("  ") for line in data["stderr"].splitlines()), data["stderr"]


def test_disable_set_in_process_before_the_first_import(matrix: Matrix) -> None:
    data = matrix.state("import os; os.environ['TA_COMPAT_DISABLE'] = '1'\n" + IMPORT_STATE)
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]


# -- 5. interpreter flags ---------------------------------------------------------------------


def test_flag_S_does_nothing_then_explicit_install_works(matrix: Matrix) -> None:
    nothing = matrix.state(
        "print(_json.dumps(dict(_state(), boot='_ta_compat_bootstrap' in _sys.modules)))", flags=("-S",)
    )
    assert nothing == dict(nothing, finders=0, boot=False, loaded=False, stderr="")
    data = matrix.state(
        f"""
        _sys.path.append({str(matrix.site)!r})
        import ta_compat
        ta_compat.install()
        import torchaudio
        print(_json.dumps(_state()))
        """,
        flags=("-S",),
    )
    assert data["finders"] == 1 and data["patched"] and data["stderr"] == ""


@pytest.mark.parametrize(
    "flags, env",
    [(("-I",), {}), (("-s",), {}), (("-E",), {}), ((), {"PYTHONNOUSERSITE": "1"})],
    ids=["-I", "-s", "-E", "PYTHONNOUSERSITE"],
)
def test_flags_keep_the_hook_and_the_off_switch(matrix: Matrix, flags: tuple, env: Dict[str, str]) -> None:
    # -I and -E ignore PYTHONPATH: the fakes go on sys.path by hand
    code = f"_sys.path.insert(0, {str(FAKES)!r})\n" + IMPORT_STATE
    data = matrix.state(code, flags=flags, fakes=False, **env)
    assert data["finders"] == 1 and data["patched"] and data["stderr"] == ""
    # TA_COMPAT_DISABLE is not a PYTHON* variable: -E and -I do not hide it (documented decision)
    off = matrix.state(code, flags=flags, fakes=False, TA_COMPAT_DISABLE="1", **env)
    assert off["finders"] == 0 and not off["patched"]


@pytest.mark.parametrize(
    "flags, env",
    [((), {}), (("-W", "error"), {}), ((), {"PYTHONWARNINGS": "error"}), (("-W", "error::RuntimeWarning"), {})],
    ids=["default", "-W error", "PYTHONWARNINGS=error", "-W error::RuntimeWarning"],
)
def test_failing_shim_gives_one_message_and_the_import_succeeds(
    matrix: Matrix, flags: tuple, env: Dict[str, str]
) -> None:
    data = matrix.state(
        "from pyannote.audio.core.model import Model; print(_json.dumps(_state()))",
        flags=flags,
        FAKE_TORCH_NO_SERIALIZATION="1",  # the checkpoint shim needs torch.serialization
        **env,
    )
    assert data["patched"]  # torchaudio's families still applied
    assert data["outcomes"]["checkpoints"] == "failed"
    messages = ours(data["stderr"])
    assert len(messages) == 1 and "checkpoints" in messages[0], data["stderr"]
    assert "Traceback" not in data["stderr"]


def test_verbose_shows_nothing_broken(matrix: Matrix) -> None:
    result = matrix.run("import torchaudio; print(_json.dumps(_state()))", flags=("-v",))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1])["patched"] is True
    assert "Traceback" not in result.stderr and "Error processing" not in result.stderr
    assert re.search(r"^import '_ta_compat_bootstrap'", result.stderr, re.M), "python -v shows the bootstrap loaded"
    assert ours(result.stderr) == []


# -- 6. failure containment -------------------------------------------------------------------


def test_sys_path_purged_after_startup_is_silent(matrix: Matrix) -> None:
    """pip's build isolation rewrites sys.path: our package cannot be imported when a target fires."""
    data = matrix.state(
        f"""
        _sys.path[:] = [p for p in _sys.path if "site-packages" not in p]
        _sys.path.insert(0, {str(FAKES)!r})
        import torchaudio, pyannote.audio.core.model
        print(_json.dumps(_state()))
        """,
        fakes=False,
    )
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


def test_target_import_raising_propagates_unchanged(matrix: Matrix) -> None:
    body = "raise OSError('fake: libtorchaudio.so: cannot open shared object file')"
    ours_ = matrix.run("import torchaudio", FAKE_TORCHAUDIO_BODY=body, state=False)
    baseline = matrix.run("import torchaudio", bare=True, FAKE_TORCHAUDIO_BODY=body, state=False)
    assert ours_.returncode == baseline.returncode == 1
    assert ours_.stderr.splitlines()[-1] == "OSError: fake: libtorchaudio.so: cannot open shared object file"
    # the very same traceback as without the package: no frame of the hook's wrapper, no
    # import-machinery frames (CPython trims those only when nothing foreign sits among them)
    assert ours_.stderr == baseline.stderr
    # a later retry after the cause is gone imports and shims normally, once
    data = matrix.state(
        """
        import os
        try:
            import torchaudio
        except OSError:
            pass
        else:
            raise AssertionError("the import should have failed")
        assert "torchaudio" not in _sys.modules
        del os.environ["FAKE_TORCHAUDIO_BODY"]
        import torchaudio
        print(_json.dumps(_state()))
        """,
        FAKE_TORCHAUDIO_BODY=body,
        TA_COMPAT_DEBUG="1",
    )
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


# -- 7. threads -------------------------------------------------------------------------------


def test_32_threads_import_the_target_at_once(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import threading
        barrier = threading.Barrier(32)
        loads, errors = [], []

        def work():
            barrier.wait()
            try:
                import torchaudio
                loads.append(torchaudio.load)
            except BaseException as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=work) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(_json.dumps(dict(_state(), errors=errors, loads=len(loads), distinct=len({id(f) for f in loads}))))
        """,
        TA_COMPAT_DEBUG="1",
        FAKE_TORCHAUDIO_BODY="import time; time.sleep(0.3)",  # all 32 threads arrive while it executes
    )
    assert data["errors"] == [] and data["loads"] == 32 and data["distinct"] == 1
    assert data["patched"] and data["trace"].count("torchaudio:begin") == 1
    assert fires(data["stderr"]) == matrix.each()


# -- 8. processes -----------------------------------------------------------------------------

MP_SCRIPT = """\
import json, multiprocessing, sys
import mp_probe

if __name__ == "__main__":
    method = sys.argv[1]
    if method == "fork":
        import torchaudio  # shimmed in the parent, inherited by the child
    with multiprocessing.get_context(method).Pool(1) as pool:
        print(json.dumps(pool.apply(mp_probe.child)))
"""

MP_PROBE = """\
import sys


def child():
    import torchaudio
    dispatch = sys.modules.get("ta_compat._dispatch")
    return {
        "patched": getattr(torchaudio.load, "__ta_compat__", False) is True,
        "load": dispatch.OUTCOMES["load"].state if dispatch else None,
    }
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_multiprocessing_children_are_shimmed(matrix: Matrix, method: str, tmp_path: Path) -> None:
    (tmp_path / "mp_main.py").write_text(MP_SCRIPT)
    (tmp_path / "mp_probe.py").write_text(MP_PROBE)
    env = _base_env(PYTHONPATH=os.pathsep.join([str(FAKES), str(tmp_path)]), TA_COMPAT_DEBUG="1")
    result = subprocess.run(
        [str(matrix.python), str(tmp_path / "mp_main.py"), method], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"patched": True, "load": "applied"}
    # spawn/forkserver: applied once, in the child (through its own site); fork: once, in the parent
    assert fires(result.stderr) == matrix.each()
    assert ours(result.stderr) == []


def test_subprocess_python_c_is_shimmed(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import subprocess
        child = "import torchaudio; print(getattr(torchaudio.load, '__ta_compat__', False))"
        out = subprocess.run([_sys.executable, "-c", child], capture_output=True, text=True)
        print(_json.dumps(dict(_state(), child=out.stdout.strip())))
        """
    )
    assert data["child"] == "True" and not data["loaded"]


# -- 9. importlib.reload ----------------------------------------------------------------------


def test_reload_reapplies_the_shims(matrix: Matrix) -> None:
    """The finder keeps its targets for good: reload re-executes the module and the shims again."""
    data = matrix.state(
        """
        import importlib, torchaudio
        first = _state()
        importlib.reload(torchaudio)  # the body defines the torchcodec-routed load again
        print(_json.dumps(dict(_state(), first=first)))
        """,
        TA_COMPAT_DEBUG="1",
    )
    assert data["first"]["patched"] and data["patched"]
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert fires(data["stderr"]) == matrix.each(2)
    assert data["trace"].count("torchaudio:begin") == 2


# -- 10. shared loaders (zipimport) -----------------------------------------------------------


def test_zip_shared_loader_patches_only_the_target(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import torch, torchaudio, pyannote.audio.core.model, zipimport
        loader = torchaudio.__loader__
        print(_json.dumps(dict(
            _state(),
            zip=isinstance(loader, zipimport.zipimporter),
            shared=torch.__loader__ is loader,
            exec_module=hasattr(loader, "exec_module"),
            torch_touched=[n for n in ("AudioMetaData", "load", "info", "backend") if hasattr(torch, n)],
            leftover=sorted(n for n in ("exec_module", "load_module") if n in vars(loader)),
        )))
        """,
        fakes=str(matrix.zip),
        TA_COMPAT_DEBUG="1",
    )
    assert data["zip"] and data["shared"]  # one zipimporter serves torch and torchaudio
    assert data["patched"] and data["torch_touched"] == []
    assert data["leftover"] == []  # the wrapper is gone from the shared loader
    # on 3.9 zipimporter has no exec_module: the load_module fallback fires instead
    assert data["exec_module"] is (matrix.version >= (3, 10))
    assert fires(data["stderr"]) == matrix.each(pyannote=True)


def test_zip_probe_then_import_fires_once(matrix: Matrix) -> None:
    """A find_spec probe wraps the shared zipimporter; the import that follows must not wrap it twice."""
    data = matrix.state(
        """
        import importlib.util
        for _ in range(3):
            assert importlib.util.find_spec("torchaudio") is not None
        assert "torchaudio" not in _sys.modules and "ta_compat" not in _sys.modules
        import torchaudio, importlib
        importlib.reload(torchaudio)
        print(_json.dumps(_state()))
        """,
        fakes=str(matrix.zip),
        TA_COMPAT_DEBUG="1",
    )
    assert data["patched"]
    assert fires(data["stderr"]) == matrix.each(2)  # import + reload


# -- 11. other import hooks, find_spec probes -------------------------------------------------

PYTEST_TEST = """\
import sys


def test_shimmed_under_assertion_rewriting():
    assert type(sys.meta_path[0]).__name__ == "AssertionRewritingHook"
    import torchaudio
    assert torchaudio.load.__ta_compat__ is True


def test_failing_shim_under_filterwarnings_error():
    from pyannote.audio.core.model import Model  # the checkpoint shim fails on this fake torch
    assert sys.modules["ta_compat._dispatch"].OUTCOMES["checkpoints"].state == "failed"
"""


def test_pytest_assertion_rewriting_hook_ahead(matrix: Matrix, tmp_path: Path) -> None:
    (tmp_path / "test_hooked.py").write_text(PYTEST_TEST)
    env = _base_env(PYTHONPATH=str(FAKES), FAKE_TORCH_NO_SERIALIZATION="1")
    result = subprocess.run(
        [
            str(matrix.python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            str(tmp_path / "test_hooked.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_finder_ahead_returning_the_spec_bypasses_the_hook(matrix: Matrix) -> None:
    """Documented: a finder placed ahead of ours that returns the target's spec itself hides it."""
    data = matrix.state(
        """
        import importlib.machinery

        class Ahead:
            def find_spec(self, name, path=None, target=None):
                if name == "torchaudio":
                    return importlib.machinery.PathFinder.find_spec(name, path)
                return None

        _sys.meta_path.insert(0, Ahead())
        import torchaudio
        print(_json.dumps(_state()))
        """
    )
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


def test_finders_ahead_that_observe_or_reenter_keep_the_hook(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import importlib.util

        class Observer:  # pytest-style: looks, returns None
            seen = []
            def find_spec(self, name, path=None, target=None):
                self.seen.append(name)
                return None

        class Reentrant:  # wrapt-style: re-enters the import system under a guard, wraps the loader
            busy = False
            fired = []
            def find_spec(self, name, path=None, target=None):
                if name != "torchaudio" or self.busy:
                    return None
                self.busy = True
                try:
                    spec = importlib.util.find_spec(name)
                finally:
                    self.busy = False
                real = spec.loader.exec_module
                def exec_module(module):
                    real(module)
                    self.fired.append(module.__name__)
                spec.loader.exec_module = exec_module
                return spec

        observer, reentrant = Observer(), Reentrant()
        _sys.meta_path[0:0] = [observer, reentrant]
        import torchaudio
        print(_json.dumps(dict(_state(), seen="torchaudio" in observer.seen, theirs=reentrant.fired)))
        """,
        TA_COMPAT_DEBUG="1",
    )
    assert data["seen"] and data["theirs"] == ["torchaudio"]
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


def _behind_ours(code: str, finder: str) -> str:
    """``code`` with its ``# BEHIND OURS`` line putting ``finder`` right behind our finder."""
    line = f"_sys.meta_path.insert(1 + _sys.meta_path.index(_sys.modules['_ta_compat_bootstrap']), {finder})"
    return code.replace("# BEHIND OURS", line)


def test_finder_behind_that_raises_fails_the_import_as_without_us(matrix: Matrix) -> None:
    code = """
        class Raising:
            def find_spec(self, name, path=None, target=None):
                if name == "torchaudio":
                    raise LookupError("this finder is broken")
                return None

        # BEHIND OURS
        try:
            import torchaudio
        except LookupError as exc:
            print(_json.dumps(dict(_state(), error=str(exc))))
        """
    ours_ = matrix.state(_behind_ours(code, "Raising()"))
    bare = matrix.state(code.replace("# BEHIND OURS", "_sys.meta_path.insert(0, Raising())"), bare=True)
    assert ours_["error"] == bare["error"] == "this finder is broken"
    assert ours_["stderr"] == bare["stderr"] == ""


def test_loader_without_instance_dict_imports_unhooked_then_install_shims_it(matrix: Matrix) -> None:
    data = matrix.state(
        _behind_ours(
            """
        import importlib.machinery

        class SlotsLoader:  # no __dict__: the exec_module wrapper cannot be put on the instance
            __slots__ = ("inner",)
            def __init__(self, inner):
                self.inner = inner
            def create_module(self, spec):
                return None
            def exec_module(self, module):
                self.inner.exec_module(module)

        class Wrapping:
            def find_spec(self, name, path=None, target=None):
                if name != "torchaudio":
                    return None
                spec = importlib.machinery.PathFinder.find_spec(name, path)
                spec.loader = SlotsLoader(spec.loader)
                return spec

        # BEHIND OURS
        import torchaudio
        before = _state()
        import _ta_compat_bootstrap
        _ta_compat_bootstrap.install()  # the documented remedy: shims a target already imported
        print(_json.dumps(dict(_state(), before=before)))
        """,
            "Wrapping()",
        )
    )
    assert not data["before"]["patched"] and data["patched"]
    assert data["stderr"] == ""


def test_one_loader_instance_serving_both_targets(matrix: Matrix) -> None:
    """As PyInstaller's FrozenImporter does: wrappers for two targets chain on one instance."""
    data = matrix.state(
        _behind_ours(
            """
        import importlib.machinery, importlib.util

        class SharedLoader:
            real = {}
            def create_module(self, spec):
                return None
            def exec_module(self, module):
                self.real[module.__name__].exec_module(module)

        shared = SharedLoader()

        class Sharing:
            def find_spec(self, name, path=None, target=None):
                if name not in ("torchaudio", "pyannote.audio.core.model"):
                    return None
                spec = importlib.machinery.PathFinder.find_spec(name, path)
                shared.real[name] = spec.loader
                spec.loader = shared
                return spec

        # BEHIND OURS
        assert importlib.util.find_spec("torchaudio") is not None  # a probe leaves its wrapper
        import pyannote.audio.core.model  # imports torchaudio while it executes
        import torchaudio
        print(_json.dumps(dict(_state(), leftover="exec_module" in vars(shared))))
        """,
            "Sharing()",
        ),
        TA_COMPAT_DEBUG="1",
    )
    assert data["patched"] and not data["leftover"]
    assert fires(data["stderr"]) == matrix.each(pyannote=True)


def test_a_warning_with_no_stderr_is_dropped_quietly(matrix: Matrix) -> None:
    """pythonw and some services run with ``sys.stderr`` None; under ``-W error`` too, no crash."""
    data = matrix.state(
        """
        _stderr, _sys.stderr = _sys.stderr, None
        from pyannote.audio.core.model import Model
        _sys.stderr = _stderr
        print(_json.dumps(_state()))
        """,
        flags=("-W", "error"),
        FAKE_TORCH_NO_SERIALIZATION="1",
    )
    assert data["patched"] and data["outcomes"]["checkpoints"] == "failed"
    assert data["stderr"] == ""


def test_find_spec_probes_do_not_fire(matrix: Matrix) -> None:
    data = matrix.state(
        """
        import importlib.util
        names = ("torchaudio", "pyannote.audio.core.model", "torchaudio")
        specs = [importlib.util.find_spec(name) is not None for name in names]
        modules = [n for n in ("torchaudio", "ta_compat", "pyannote.audio.core.model") if n in _sys.modules]
        before = dict(_state(), modules=modules)
        import torchaudio
        print(_json.dumps(dict(_state(), specs=specs, before=before)))
        """,
        TA_COMPAT_DEBUG="1",
    )
    assert data["specs"] == [True, True, True]
    assert data["before"]["modules"] == [] and data["before"]["outcomes"] == {}
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


def test_find_spec_probes_for_absent_targets(matrix: Matrix) -> None:
    code = """
        import importlib.util, json
        out = {}
        for name in ("torchaudio", "pyannote.audio.core.model"):
            try:
                out[name] = importlib.util.find_spec(name) is not None
            except Exception as exc:
                out[name] = type(exc).__name__
        print(json.dumps(out))
        """
    ours_ = matrix.run(code, fakes=False, state=False)
    baseline = matrix.run(code, bare=True, fakes=False, state=False)
    assert ours_.returncode == 0 and ours_.stderr == "", ours_.stderr
    assert ours_.stdout == baseline.stdout
    assert json.loads(ours_.stdout)["torchaudio"] is False


# -- 14. hidden .pth files --------------------------------------------------------------------


def test_hidden_pth_is_skipped_silently(matrix: Matrix, tmp_path: Path) -> None:
    venv = tmp_path / "hidden"
    subprocess.run([matrix.base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = _purelib(venv / "bin" / "python")
    shutil.copy2(matrix.site / "_ta_compat_bootstrap.py", site)
    shutil.copy2(matrix.site / "_ta_compat_hook.py", site)
    shutil.copytree(matrix.site / "ta_compat", site / "ta_compat")
    shutil.copy2(matrix.site / "compat_autoload.pth", site / ".compat_autoload.pth")
    (site / ".probe.pth").write_text("import sys; sys.__dict__['_dot_pth_ran'] = True\n")
    env = _base_env(PYTHONPATH=str(FAKES))
    result = run_python(
        venv / "bin" / "python",
        STATE + "import torchaudio\nprint(_json.dumps(dict(_state(), ran=_sys.__dict__.get('_dot_pth_ran', False))))",
        env=env,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    data = json.loads(result.stdout)
    # 3.13 (gh-113659) skips dot-named .pth files without a word, even under -v: the shims are
    # silently off (diagnosis: `python -c "import sys; print('_ta_compat_bootstrap' in sys.modules)"`).
    # Older patch releases run them. Either way: consistent and silent.
    assert data["finders"] == int(data["ran"]) and data["patched"] is data["ran"]
    if matrix.version >= (3, 13):
        assert data["ran"] is False


# -- 15. PEP 829 .start file ------------------------------------------------------------------


def test_start_file_entry_point_resolves_to_install(matrix: Matrix) -> None:
    data = matrix.state(
        f"""
        import pkgutil
        with open({str(matrix.site / "compat_autoload.start")!r}, encoding="utf-8-sig") as start:
            lines = [line.strip() for line in start if line.strip() and not line.startswith("#")]
        import _ta_compat_bootstrap
        entries = [pkgutil.resolve_name(line) for line in lines]
        for entry in entries:
            entry()
        print(_json.dumps(dict(_state(), n=len(lines), same=all(e is _ta_compat_bootstrap.install for e in entries))))
        """,
        fakes=False,
    )
    assert data["n"] == 1 and data["same"] and data["finders"] == 1
