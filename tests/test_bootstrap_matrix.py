"""The start-up robustness matrix: every way an interpreter start and a target import can go, on
every Python.

For each interpreter (under ``nox -s tests``: 3.9 to 3.13, from ``TA_COMPAT_BOOTSTRAP_PYTHONS``;
under plain ``pytest``: the one pytest runs on) a session fixture builds two fresh venvs with
``python -m venv``: one with the wheel installed (``--no-deps``, plus pytest for the import-hook
case) and a bare one, the baseline. Every case then runs a program of ``tests/scripts`` in its own
subprocess. These interpreters have no torch stack, so the fake ``torch``/``torchaudio``/
``pyannote`` packages of ``tests/fakes`` stand in (``PYTHONPATH``): the hook logic does not care
what a target contains. With ``TA_COMPAT_DEBUG=1`` each application of a shim family prints one
``ta-compat: <target> <version>: <family> <state>`` line, which is how the cases count firings;
``FAKE_TRACE=1`` prints the fakes' execution order on the same stream.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence, Union

import pytest

from support import FAKES, SCRIPTS, Interpreter, Result, clean_env, fires, ours, result_of
from support.children import DEBUG_LINE
from support.startup import HEAVY

OFF_VALUES = ("1", "true", "True", "all", "ALL", "*", " 1 ", "yes", "on", "1,load", "1,", "all,hub", "load, ALL")
ON_VALUES = ("0", "", "false", "no", "off", " ", "none", "0,none,")
#: Odd values, none of them "everything off", each with whether it names something that is no
#: family (that costs one warning, which names the families).
ODD_VALUES = {
    "тест": True,
    "☃,💥": True,
    "\x01\x02\x7f": True,
    "load,,,": False,
    "=,=;rm -rf /": True,
    "\udcff\udcfe": True,  # bytes that are not UTF-8 (os.environ decodes them as surrogates)
    "x" * 100_000: True,
}


def _base_env(**overrides: str) -> Dict[str, str]:
    """A child's environment without anything that steers Python: these venvs are not the test run's."""
    return clean_env(pristine=True, **overrides)


def _resolve(python: str) -> Optional[str]:
    """The real interpreter behind ``python``; a pyenv shim without a selected version is looked up."""

    def works(candidate: str) -> Optional[str]:
        try:
            out = Interpreter(candidate).run_code("import sys; print(sys.executable)", timeout=60)
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


def _purelib(python: Interpreter) -> Path:
    path = python.site_packages()
    assert path.is_relative_to(python.venv), (python, path)
    return path


class Matrix:
    """One interpreter: a venv with the wheel (``python``) and a bare one (``bare``)."""

    def __init__(self, base: str, root: Path, wheel: Path) -> None:
        self.base = base
        self.root = root
        self.venv = Interpreter.new_venv(base, root / "venv", pristine=True)
        self.bare_venv = Interpreter.new_venv(base, root / "bare", pristine=True)
        self.python, self.bare = self.venv.python, self.bare_venv.python
        self.version = self.venv.version()
        # Under `nox -s tests` the children of every interpreter measure coverage too (through
        # coverage's own .pth): the bootstrap's branches for 3.9-3.13 run only here.
        measure = ["coverage"] if os.environ.get("COVERAGE_PROCESS_START") else []
        self.venv.install("--no-deps", wheel)
        self.venv.install("pytest", *measure)
        self.site = _purelib(self.venv)
        # Reading any .pth file costs site a module on 3.9 (_bootlocale, for the locale encoding):
        # the baseline has one that does nothing, as every venv with setuptools or pip has.
        (_purelib(self.bare_venv) / "baseline.pth").write_text("# a .pth file that does nothing\n")
        registry = result_of(self.venv.run("target_families", "torchaudio", "pyannote.audio.core.model"))
        #: every family, and the shim families of each target, as the installed package defines them
        self.families = tuple(registry["names"])
        self.ta, self.pa = (tuple(names) for names in registry["targets"].values())
        self.zip = root / "fakes.zip"
        with zipfile.ZipFile(self.zip, "w") as archive:
            for path in sorted(FAKES.rglob("*.py")):
                archive.write(path, path.relative_to(FAKES).as_posix())
            archive.writestr("pyannote/__init__.py", "")  # zipimport has no namespace packages

    def each(self, times: int = 1, pyannote: bool = False) -> Dict[str, int]:
        """The expected ``fires()``: every torchaudio family (and pyannote's) applied ``times``."""
        return {family: times for family in self.ta + (self.pa if pyannote else ())}

    def run(self, script: str, *args: str, **options: Any) -> Result:
        """Run ``tests/scripts/<script>.py`` (see ``_run`` for the options)."""
        return self._run([os.fspath(SCRIPTS / f"{script}.py"), *args], **options)

    def run_code(self, code: str, **options: Any) -> Result:
        """Run the one-liner ``code`` (``python -c``; see ``_run`` for the options)."""
        return self._run(["-c", code], **options)

    def state(self, script: str, *args: str, **options: Any) -> Dict[str, Any]:
        """Run a script that must succeed; its report, with its stderr."""
        result = self.run(script, *args, **options)
        return dict(result_of(result), stderr=result.stderr)

    def _run(
        self,
        arguments: Sequence[str],
        *,
        bare: bool = False,
        flags: Sequence[str] = (),
        fakes: Union[bool, Path] = True,
        timeout: float = 120,
        **env: str,
    ) -> Result:
        """In the venv with the wheel (``bare``: the one without), under ``flags``, with ``env`` on
        top of a clean environment; ``fakes``: the fake packages (or a zip of them) on ``PYTHONPATH``."""
        variables = _base_env(**env)
        if fakes:
            variables["PYTHONPATH"] = str(FAKES) if fakes is True else str(fakes)
        interpreter = self.bare_venv if bare else self.venv
        return interpreter.run_args(*arguments, flags=flags, env=variables, timeout=timeout)


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


# -- what a bare start imports, a venv running every .pth twice, gevent ------------------------


#: For tests of what a bare start imports: coverage's own .pth would import its measuring machinery.
UNMEASURED = {"COVERAGE_PROCESS_START": ""}


def test_startup_adds_only_the_bootstrap(matrix: Matrix) -> None:
    enabled = set(result_of(matrix.run("startup_modules", fakes=False, **UNMEASURED))["modules"])
    baseline = set(result_of(matrix.run("startup_modules", bare=True, fakes=False, **UNMEASURED))["modules"])
    assert enabled - baseline == {"_ta_compat_bootstrap"}
    assert not set(HEAVY) & enabled
    # pip compiled the bootstrap: no source recompiled at every start (PYTHONDONTWRITEBYTECODE is set)
    cached = matrix.run_code("import _ta_compat_bootstrap as b, os; print(os.path.exists(b.__cached__))", fakes=False)
    assert cached.stdout.strip() == "True", cached.stderr


def test_gevent_threading_not_imported(matrix: Matrix) -> None:
    code = "import sys; assert 'threading' not in sys.modules, 'threading'"
    result = matrix.run_code(code, fakes=False, **UNMEASURED)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_venv_double_execution_installs_one_finder(matrix: Matrix) -> None:
    counter = matrix.site / "zz_ta_compat_test_counter.pth"
    counter.write_text("import sys; sys.__dict__['_pth_runs'] = sys.__dict__.get('_pth_runs', 0) + 1\n")
    try:
        data = matrix.state("import_targets", fakes=False)
    finally:
        counter.unlink()
    assert data["pth"]["_pth_runs"] in (1, 2)  # 2 on 3.9 to 3.14 venvs (gh-75723): every .pth runs twice
    assert data["finders"] == 1
    assert data["stderr"] == ""


# -- fires once, on first import only; dotted targets; nesting ----------------------------------


def test_fires_once_on_first_import(matrix: Matrix) -> None:
    data = matrix.state("import_repeatedly", TA_COMPAT_DEBUG="1", FAKE_TRACE="1")
    assert data["patched"] and data["finders"] == 1
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert fires(data["stderr"]) == matrix.each()
    assert data["trace"] == ["torch:begin", "torch:end", "torchaudio:begin", "torchaudio:end"]
    lines = data["stderr"].splitlines()
    assert lines.index("fake: torchaudio:end") < min(i for i, line in enumerate(lines) if DEBUG_LINE.match(line + " "))
    assert ours(data["stderr"]) == []


def test_dotted_target_and_nesting(matrix: Matrix) -> None:
    data = matrix.state("import_dotted_target", TA_COMPAT_DEBUG="1", FAKE_TRACE="1")
    assert data["marked"] is True and data["patched"]
    assert fires(data["stderr"]) == matrix.each(pyannote=True)
    order = []
    for line in data["stderr"].splitlines():
        debug = DEBUG_LINE.match(line + " ")
        if line.startswith("fake: ") or debug:
            order.append(debug.group(2) if debug else line.split(":")[1].strip())
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


# -- targets imported before install(), or half-imported when it runs ---------------------------


def test_install_patches_an_already_imported_target(matrix: Matrix) -> None:
    data = matrix.state(
        "install_after_import", str(FAKES), str(matrix.site), flags=("-S",), fakes=False, TA_COMPAT_DEBUG="1"
    )
    assert data["before"]["patched"] is False and data["before"]["finders"] == 0
    assert data["patched"] and data["finders"] == 1
    assert fires(data["stderr"]) == matrix.each()


def test_install_while_the_target_is_half_initialised_with_site(matrix: Matrix) -> None:
    data = matrix.state(
        "import_targets",
        "torchaudio",
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
        "install_while_half_imported",
        str(FAKES),
        str(matrix.site),
        flags=("-S",),
        fakes=False,
        TA_COMPAT_DEBUG="1",
        FAKE_TORCHAUDIO_BODY="import ta_compat; ta_compat.install()",
    )
    assert data["during"]["finders"] == 1 and data["during"]["patched"] is False
    assert data["after"]["patched"] is True and data["patched"] is True
    assert ours(data["stderr"]) == []


# -- the off switch -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", OFF_VALUES, ids=repr)
def test_disable_all(matrix: Matrix, value: str) -> None:
    data = matrix.state("import_targets", "torchaudio", TA_COMPAT_DISABLE=value)
    assert data["finders"] == 0 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ON_VALUES, ids=repr)
def test_enabled_values(matrix: Matrix, value: str) -> None:
    data = matrix.state("import_targets", "torchaudio", TA_COMPAT_DISABLE=value)
    assert data["finders"] == 1 and data["patched"]
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ["load,save", " LOAD , Save ,"], ids=repr)
def test_disable_a_family_list(matrix: Matrix, value: str) -> None:
    data = matrix.state("import_targets", "torchaudio", TA_COMPAT_DISABLE=value)
    assert data["finders"] == 1 and not data["patched"]  # torchaudio.load is the fake's own
    expected = {family: "applied" for family in matrix.ta}
    expected.update(load="disabled", save="disabled")
    assert data["outcomes"] == expected
    assert data["stderr"] == ""


@pytest.mark.parametrize("value", ODD_VALUES, ids=lambda v: ascii(v)[:24])
def test_odd_disable_values_never_break_startup(matrix: Matrix, value: str) -> None:
    data = matrix.state("import_targets", "pyannote.audio.core.model", "torchaudio", TA_COMPAT_DISABLE=value)
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


def test_a_watched_package_loads_the_hook_which_then_watches_its_targets(matrix: Matrix) -> None:
    """``torch`` is watched at start-up for ``torch.onnx``: importing it loads the hook (not the
    package), and from then on the finder answers for every target."""
    alone = matrix.state("import_targets", "torch")
    assert alone["finders"] == 1 and alone["hook"] and not alone["loaded"] and alone["stderr"] == ""
    bare = matrix.state("import_targets")
    assert not bare["hook"] and not bare["loaded"]
    data = matrix.state("import_targets", "torch", "pyannote.audio.core.model", "torchaudio")
    assert data["patched"] and data["outcomes"] and data["stderr"] == ""


def test_disable_set_in_process_before_the_first_import(matrix: Matrix) -> None:
    data = matrix.state("disable_in_process")
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]


# -- interpreter flags ------------------------------------------------------------------------------


def test_flag_S_does_nothing_then_explicit_install_works(matrix: Matrix) -> None:
    nothing = matrix.state("import_targets", flags=("-S",))
    assert nothing["finders"] == 0 and nothing["bootstrap"] is None and not nothing["loaded"]
    assert nothing["stderr"] == ""
    data = matrix.state("install_then_import", str(matrix.site), flags=("-S",))
    assert data["finders"] == 1 and data["patched"] and data["stderr"] == ""


@pytest.mark.parametrize(
    "flags, env",
    [(("-I",), {}), (("-s",), {}), (("-E",), {}), ((), {"PYTHONNOUSERSITE": "1"})],
    ids=["-I", "-s", "-E", "PYTHONNOUSERSITE"],
)
def test_flags_keep_the_hook_and_the_off_switch(matrix: Matrix, flags: tuple, env: Dict[str, str]) -> None:
    # -I and -E ignore PYTHONPATH: the fakes go on sys.path by hand
    fakes = f"--path={FAKES}"
    data = matrix.state("import_targets", fakes, "torchaudio", flags=flags, fakes=False, **env)
    assert data["finders"] == 1 and data["patched"] and data["stderr"] == ""
    # TA_COMPAT_DISABLE is not a PYTHON* variable: -E and -I do not hide it (documented decision)
    off = matrix.state("import_targets", fakes, "torchaudio", flags=flags, fakes=False, TA_COMPAT_DISABLE="1", **env)
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
        "import_targets",
        "pyannote.audio.core.model",
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
    result = matrix.run("import_targets", "torchaudio", flags=("-v",))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result_of(result)["patched"] is True
    assert "Traceback" not in result.stderr and "Error processing" not in result.stderr
    assert re.search(r"^import '_ta_compat_bootstrap'", result.stderr, re.M), "python -v shows the bootstrap loaded"
    assert ours(result.stderr) == []


# -- failures contained: the package gone from sys.path, a target that raises ----------------------


def test_sys_path_purged_after_startup_is_silent(matrix: Matrix) -> None:
    """pip's build isolation rewrites sys.path: our package cannot be imported when a target fires."""
    data = matrix.state("purge_site_packages", str(FAKES), fakes=False)
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


def test_target_import_raising_propagates_unchanged(matrix: Matrix) -> None:
    body = "raise OSError('fake: libtorchaudio.so: cannot open shared object file')"
    ours_ = matrix.run_code("import torchaudio", FAKE_TORCHAUDIO_BODY=body)
    baseline = matrix.run_code("import torchaudio", bare=True, FAKE_TORCHAUDIO_BODY=body)
    assert ours_.returncode == baseline.returncode == 1
    assert ours_.stderr.splitlines()[-1] == "OSError: fake: libtorchaudio.so: cannot open shared object file"
    # the very same traceback as without the package: no frame of the hook's wrapper, no
    # import-machinery frames (CPython trims those only when nothing foreign sits among them)
    assert ours_.stderr == baseline.stderr
    # a later retry after the cause is gone imports and shims normally, once
    data = matrix.state("retry_failed_import", FAKE_TORCHAUDIO_BODY=body, TA_COMPAT_DEBUG="1")
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


# -- threads, processes, reload ---------------------------------------------------------------------


def test_32_threads_import_the_target_at_once(matrix: Matrix) -> None:
    data = matrix.state(
        "import_in_threads",
        TA_COMPAT_DEBUG="1",
        FAKE_TORCHAUDIO_BODY="import time; time.sleep(0.3)",  # all 32 threads arrive while it executes
    )
    assert data["errors"] == [] and data["loads"] == 32 and data["distinct"] == 1
    assert data["patched"] and data["trace"].count("torchaudio:begin") == 1
    assert fires(data["stderr"]) == matrix.each()


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_multiprocessing_children_are_shimmed(matrix: Matrix, method: str) -> None:
    result = matrix.run("mp_parent", method, TA_COMPAT_DEBUG="1")
    assert result_of(result) == {"patched": True, "AudioMetaData": True, "load": "applied"}
    # spawn/forkserver: applied once, in the child (through its own site); fork: once, in the parent
    assert fires(result.stderr) == matrix.each()
    assert ours(result.stderr) == []


def test_subprocess_python_c_is_shimmed(matrix: Matrix) -> None:
    data = matrix.state("child_interpreter")
    assert data["child"] == "True" and not data["loaded"]


def test_reload_reapplies_the_shims(matrix: Matrix) -> None:
    """The finder keeps its targets for good: reload re-executes the module and the shims again."""
    data = matrix.state("reload_torchaudio", TA_COMPAT_DEBUG="1")
    assert data["first"]["patched"] and data["patched"]
    assert data["outcomes"] == {family: "applied" for family in matrix.ta}
    assert fires(data["stderr"]) == matrix.each(2)
    assert data["trace"].count("torchaudio:begin") == 2


# -- loaders shared by several modules (zipimport) -----------------------------------------------


def test_zip_shared_loader_patches_only_the_target(matrix: Matrix) -> None:
    data = matrix.state("zip_shared_loader", fakes=matrix.zip, TA_COMPAT_DEBUG="1")
    assert data["zip"] and data["shared"]  # one zipimporter serves torch and torchaudio
    assert data["patched"] and data["torch_touched"] == []
    assert data["leftover"] == []  # the wrapper is gone from the shared loader
    # on 3.9 zipimporter has no exec_module: the load_module fallback fires instead
    assert data["exec_module"] is (matrix.version >= (3, 10))
    assert fires(data["stderr"]) == matrix.each(pyannote=True)


def test_zip_probe_then_import_fires_once(matrix: Matrix) -> None:
    """A find_spec probe wraps the shared zipimporter; the import that follows must not wrap it twice."""
    data = matrix.state("probe_then_import", "--reload", fakes=matrix.zip, TA_COMPAT_DEBUG="1")
    assert data["before"]["modules"] == [] and data["patched"]
    assert fires(data["stderr"]) == matrix.each(2)  # import + reload


# -- other import hooks, find_spec probes ------------------------------------------------------------


def test_pytest_assertion_rewriting_hook_ahead(matrix: Matrix, tmp_path: Path) -> None:
    test_file = tmp_path / "test_hooked.py"
    shutil.copyfile(SCRIPTS / "hooked_suite.py", test_file)
    env = _base_env(PYTHONPATH=str(FAKES), FAKE_TORCH_NO_SERIALIZATION="1")
    result = matrix.venv.run_args(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", test_file, cwd=tmp_path, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_finder_ahead_returning_the_spec_bypasses_the_hook(matrix: Matrix) -> None:
    """Documented: a finder placed ahead of ours that returns the target's spec itself hides it."""
    data = matrix.state("finder_ahead")
    assert data["finders"] == 1 and not data["patched"] and not data["loaded"]
    assert data["stderr"] == ""


def test_finders_ahead_that_observe_or_reenter_keep_the_hook(matrix: Matrix) -> None:
    data = matrix.state("finders_observe_reenter", TA_COMPAT_DEBUG="1")
    assert data["seen"] and data["theirs"] == ["torchaudio"]
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


def test_finder_behind_that_raises_fails_the_import_as_without_us(matrix: Matrix) -> None:
    ours_ = matrix.state("finder_behind_raises")
    bare = matrix.state("finder_behind_raises", bare=True)
    assert ours_["error"] == bare["error"] == "this finder is broken"
    assert ours_["stderr"] == bare["stderr"] == ""


def test_loader_without_instance_dict_imports_unhooked_then_install_shims_it(matrix: Matrix) -> None:
    data = matrix.state("slots_loader")
    assert not data["before"]["patched"] and data["patched"]
    assert data["stderr"] == ""


def test_one_loader_instance_serving_both_targets(matrix: Matrix) -> None:
    """As PyInstaller's FrozenImporter does: wrappers for two targets chain on one instance."""
    data = matrix.state("shared_loader", TA_COMPAT_DEBUG="1")
    assert data["patched"] and not data["leftover"]
    assert fires(data["stderr"]) == matrix.each(pyannote=True)


def test_a_warning_with_no_stderr_is_dropped_quietly(matrix: Matrix) -> None:
    """pythonw and some services run with ``sys.stderr`` None; under ``-W error`` too, no crash."""
    data = matrix.state("no_stderr", flags=("-W", "error"), FAKE_TORCH_NO_SERIALIZATION="1")
    assert data["patched"] and data["outcomes"]["checkpoints"] == "failed"
    assert data["stderr"] == ""


def test_find_spec_probes_do_not_fire(matrix: Matrix) -> None:
    data = matrix.state("probe_then_import", TA_COMPAT_DEBUG="1")
    assert data["specs"] == [True, True, True]
    assert data["before"]["modules"] == [] and data["before"]["outcomes"] == {}
    assert data["patched"] and fires(data["stderr"]) == matrix.each()


def test_find_spec_probes_for_absent_targets(matrix: Matrix) -> None:
    ours_ = matrix.run("probe_absent_targets", fakes=False)
    baseline = matrix.run("probe_absent_targets", bare=True, fakes=False)
    assert ours_.returncode == 0 and ours_.stderr == "", ours_.stderr
    assert ours_.stdout == baseline.stdout
    assert result_of(ours_)["torchaudio"] is False


# -- odd import systems and installs -----------------------------------------------------------------


def test_install_never_raises_and_legacy_finders_are_skipped(matrix: Matrix) -> None:
    data = matrix.state("odd_import_system", flags=("-W", "ignore::ImportWarning"))
    assert data["ours"] is True and data["stderr"] == ""


@pytest.mark.parametrize("checkout", ["present", "gone"])
def test_editable_install_whose_package_is_gone_says_so_once(matrix: Matrix, checkout: str) -> None:
    """The start-up check behind the life-cycle test of a moved editable checkout, measured here."""
    data = matrix.state("editable_package_gone", checkout, str(FAKES), fakes=False)
    assert data["finders"] == 1
    if checkout == "present":
        assert data["ours"] is True and data["stderr"] == ""
    else:  # one line at start-up, nothing more when the target is imported unshimmed
        assert data["ours"] is False
        assert data["stderr"].splitlines() == [
            "ta-compat: the shims are off: the ta_compat package is missing (an editable checkout moved or "
            "deleted?); reinstall or uninstall ta-compat"
        ]


def test_hidden_pth_is_skipped_silently(matrix: Matrix, tmp_path: Path) -> None:
    venv = Interpreter.new_venv(matrix.base, tmp_path / "hidden", pristine=True)
    site = _purelib(venv)
    shutil.copy2(matrix.site / "_ta_compat_bootstrap.py", site)
    shutil.copy2(matrix.site / "_ta_compat_hook.py", site)
    shutil.copytree(matrix.site / "ta_compat", site / "ta_compat")
    shutil.copy2(matrix.site / "compat_autoload.pth", site / ".compat_autoload.pth")
    (site / ".probe.pth").write_text("import sys; sys.__dict__['_pth_dot_ran'] = True\n")
    result = venv.run("import_targets", "torchaudio", PYTHONPATH=str(FAKES))
    assert result.stderr == "", result.stderr
    data = result_of(result)
    ran = data["pth"].get("_pth_dot_ran", False)
    # 3.13 (gh-113659) skips dot-named .pth files without a word, even under -v: the shims are
    # silently off (diagnosis: `python -c "import sys; print('_ta_compat_bootstrap' in sys.modules)"`).
    # Older patch releases run them. Either way: consistent and silent.
    assert data["finders"] == int(ran) and data["patched"] is ran
    if matrix.version >= (3, 13):
        assert ran is False


def test_start_file_entry_point_resolves_to_install(matrix: Matrix) -> None:
    """PEP 829 ``.start`` files name an entry point instead of running code."""
    data = matrix.state("start_file", str(matrix.site / "compat_autoload.start"), fakes=False)
    assert data["n"] == 1 and data["same"] and data["finders"] == 1


# -- pkg_resources where no setuptools is installed (these venvs have none, as 3.12+ venvs) ----------


def test_pkg_resources_is_a_stand_in_where_none_is_installed(matrix: Matrix) -> None:
    """What librosa 0.9.2, resampy and webrtcvad call works; a name outside the subset says how to
    get the real module, and a from-import of one stays an ImportError (``except ImportError`` fallbacks)."""
    report = result_of(matrix.run("pkg_resources_stand_in", fakes=False))
    assert report["import"] == "ok" and report["found"] and report["origin"] == "ta-compat stand-in"
    assert report["resource is a file"] and report["resource bytes"]
    assert report["version"] == report["metadata version"]
    assert report["entry points"] == ["ta-compat"]
    assert report["not found"] == (
        "The 'no-such-distribution-ta-compat' distribution was not found and is required by the application"
    )
    assert "'working_set'" in report["outside the subset"]
    assert 'pip install "setuptools<82"' in report["outside the subset"]
    assert report["from-import outside the subset"] == "ImportError"


@pytest.mark.parametrize("disable", ["pkg_resources", "1"])
def test_pkg_resources_stays_missing_with_the_family_off(matrix: Matrix, disable: str) -> None:
    """Off, the import fails as it does without ta-compat, and lookups find nothing."""
    report = result_of(matrix.run("pkg_resources_stand_in", fakes=False, TA_COMPAT_DISABLE=disable))
    assert report == {"found": False, "import": "ModuleNotFoundError: No module named 'pkg_resources'"}
