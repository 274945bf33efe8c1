"""Issue 2: installed into the modern stack, unmodified pyannote 3.x code runs; with
``TA_COMPAT_DISABLE=1`` the original errors come back; on the legacy stack nothing changes.

Every check runs in a fresh interpreter of a venv with the wheel installed, and the code under
test never imports ta_compat: the shims must come from ``compat_autoload.pth``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import clean_env, run_python, startup_env

FAKES = Path(__file__).resolve().parent / "fakes"
HEAVY = ("torch", "torchaudio", "numpy", "soundfile", "threading", "importlib.metadata", "ta_compat", "_ta_compat_hook")
DISABLED = clean_env(TA_COMPAT_DISABLE="1")


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory, modern_python: Path) -> dict:
    """A generated WAV and FLAC, and a WeSpeaker checkpoint built from pyannote's own class."""
    folder = tmp_path_factory.mktemp("assets")
    code = """
        import sys
        from ta_compat.fixtures import write_speechlike_wav, write_wespeaker_checkpoint
        import soundfile
        folder = sys.argv[1]
        wav = write_speechlike_wav(folder + "/speech.wav", seconds=2.0)
        data, rate = soundfile.read(wav)
        soundfile.write(folder + "/speech.flac", data, rate, subtype="PCM_16")
        write_wespeaker_checkpoint(folder + "/pytorch_model.bin")
    """
    result = run_python(modern_python, code, str(folder))
    assert result.returncode == 0, result.stderr
    return {"wav": folder / "speech.wav", "flac": folder / "speech.flac", "checkpoint": folder / "pytorch_model.bin"}


def test_bare_start_imports_nothing_heavy(modern_python: Path) -> None:
    result = run_python(
        modern_python,
        """
        import sys, json
        finders = [getattr(f, "__name__", type(f).__name__) for f in sys.meta_path]
        print(json.dumps({"modules": sorted(sys.modules), "finders": finders}))
        """,
        env=startup_env(),
    )
    state = json.loads(result.stdout)
    assert "_ta_compat_bootstrap" in state["modules"]
    assert not set(HEAVY) & set(state["modules"])
    assert state["finders"].count("_ta_compat_bootstrap") == 1  # despite the venv running .pth twice


def test_bare_start_adds_only_the_bootstrap_module(modern_python: Path) -> None:
    code = "import sys; print(' '.join(sorted(sys.modules)))"
    enabled = set(run_python(modern_python, code, env=startup_env()).stdout.split())
    # The same interpreter with our .pth line turned into a no-op: disabled still imports the
    # bootstrap, so compare against -S plus the site work done by hand without our file.
    without = run_python(
        modern_python,
        """
        import sys, site, os
        real = site.addpackage
        def addpackage(sitedir, name, known_paths):
            if name == "compat_autoload.pth":
                return known_paths
            return real(sitedir, name, known_paths)
        site.addpackage = addpackage
        site.main()
        print(' '.join(sorted(sys.modules)))
        """,
        flags=("-S",),
        env=startup_env(),
    )
    baseline = set(without.stdout.split())
    assert enabled - baseline == {"_ta_compat_bootstrap"}


def test_pyannote_imports(modern_python: Path) -> None:
    result = run_python(modern_python, "from pyannote.audio import Inference, Model; print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_disabled_reproduces_the_original_import_error(modern_python: Path) -> None:
    result = run_python(modern_python, "from pyannote.audio import Inference, Model", env=DISABLED)
    assert result.returncode != 0
    assert "AttributeError: module 'torchaudio' has no attribute 'AudioMetaData'" in result.stderr


@pytest.mark.parametrize("name", ["list_audio_backends", "info", "get_audio_backend", "set_audio_backend"])
def test_disabled_legacy_names_are_missing(modern_python: Path, name: str) -> None:
    result = run_python(modern_python, f"import torchaudio; torchaudio.{name}", env=DISABLED)
    assert f"AttributeError: module 'torchaudio' has no attribute '{name}'" in result.stderr


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_load_reads_without_torchcodec(modern_python: Path, assets: dict, kind: str) -> None:
    code = """
        import sys, importlib.util, torchaudio, soundfile
        assert importlib.util.find_spec("torchcodec") is None
        waveform, rate = torchaudio.load(sys.argv[1])
        data, sf_rate = soundfile.read(sys.argv[1], dtype="float32", always_2d=True)
        assert rate == sf_rate == 16000 and tuple(waveform.shape) == (1, 32000), (rate, waveform.shape)
        assert (waveform.numpy() == data.T).all()
        meta = torchaudio.info(sys.argv[1])
        print(meta.num_frames, meta.sample_rate, meta.encoding)
    """
    result = run_python(modern_python, code, str(assets[kind]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["32000", "16000", "FLAC" if kind == "flac" else "PCM_S"]


def test_disabled_load_needs_torchcodec(modern_python: Path, assets: dict) -> None:
    result = run_python(
        modern_python, "import sys, torchaudio; torchaudio.load(sys.argv[1])", str(assets["wav"]), env=DISABLED
    )
    assert "ImportError: TorchCodec is required for load_with_torchcodec" in result.stderr


INFERENCE = """
    import sys
    from pyannote.audio import Inference, Model
    model = Model.from_pretrained(sys.argv[1])
    embedding = Inference(model, window="whole")(sys.argv[2])
    print(type(model).__name__, embedding.shape)
"""


def test_checkpoint_loads_and_inference_runs(modern_python: Path, assets: dict) -> None:
    result = run_python(modern_python, INFERENCE, str(assets["checkpoint"]), str(assets["wav"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "WeSpeakerResNet34 (256,)"


def test_checkpoint_family_disabled_reproduces_unsupported_global(modern_python: Path, assets: dict) -> None:
    env = clean_env(TA_COMPAT_DISABLE="checkpoints")
    result = run_python(modern_python, INFERENCE, str(assets["checkpoint"]), str(assets["wav"]), env=env)
    assert result.returncode != 0
    assert "Unsupported global: GLOBAL torch.torch_version.TorchVersion" in result.stderr


def test_disabled_plain_torch_load_still_refuses(modern_python: Path, assets: dict) -> None:
    result = run_python(
        modern_python, "import sys, torch; torch.load(sys.argv[1])", str(assets["checkpoint"]), env=DISABLED
    )
    assert "Unsupported global: GLOBAL torch.torch_version.TorchVersion" in result.stderr


def test_explicit_install_without_site(modern_python: Path, assets: dict) -> None:
    """``python -S`` runs no .pth: ``ta_compat.install()`` applies the same shims by hand."""
    code = """
        import sys
        sys.path.extend(sys.argv[2:])
        import torchaudio
        assert not hasattr(torchaudio, "AudioMetaData")
        import ta_compat
        ta_compat.install()  # torchaudio is already imported: patched at once
        print(torchaudio.info(sys.argv[1]).num_frames)
    """
    paths = run_python(modern_python, "import sys; print('\\n'.join(p for p in sys.path if p))").stdout.split()
    result = run_python(modern_python, code, str(assets["wav"]), *paths, flags=("-S",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "32000"


LEGACY_API = """
    import json, torchaudio
    names = ["load", "save", "info", "AudioMetaData", "list_audio_backends", "get_audio_backend", "set_audio_backend"]
    objects = {n: getattr(torchaudio, n) for n in names}
    ours = {n: getattr(o, "__ta_compat__", False) for n, o in objects.items()}
    print(json.dumps({n: [o.__module__, o.__qualname__, ours[n]] for n, o in objects.items()}))
    import sys
    print(json.dumps(sorted(m for m in sys.modules if m.startswith("torchaudio.backend"))))
"""


def test_legacy_stack_is_left_alone(legacy_python: Path) -> None:
    """torchaudio 2.8 still has the legacy API: the same objects with and without ta-compat."""
    shimmed = run_python(legacy_python, LEGACY_API)
    plain = run_python(legacy_python, LEGACY_API, env=DISABLED)
    assert shimmed.returncode == plain.returncode == 0, shimmed.stderr + plain.stderr
    assert shimmed.stdout == plain.stdout
    assert json.loads(shimmed.stdout.splitlines()[0])["load"][0] == "torchaudio._backend.utils"
    status = run_python(legacy_python, "from ta_compat.cli import main; main(['status', '--json'])")
    states = {row["family"]: row["state"] for row in json.loads(status.stdout)["families"]}
    assert {states[name] for name in ("audiometadata", "backends", "info", "load", "save", "backend-module")} == {
        "not needed"
    }


MISSING_PACKAGE_PROBE = """
import sys
import _ta_compat_bootstrap as bootstrap
import _ta_compat_hook  # installed beside the .pth: still there when the checkout is gone
bootstrap.__file__ = "/nowhere/_ta_compat_bootstrap.py"  # as installed beside the .pth of an editable install
bootstrap._reported = False
if sys.argv[1] == "gone":  # the checkout that held the package moved or was deleted
    sys.path[:] = [entry for entry in sys.path if "site-packages" not in entry]
bootstrap.install()
bootstrap.install()  # venvs run the .pth twice
sys.path.insert(0, sys.argv[2])
import torchaudio  # the fake one: the hook fires, the package is found or not
print(sum(f is bootstrap for f in sys.meta_path), getattr(torchaudio.load, "__ta_compat__", False))
"""


@pytest.mark.parametrize("checkout", ["present", "gone"])
def test_editable_install_whose_package_is_gone_says_so_once(modern_python: Path, checkout: str) -> None:
    """The start-up check behind the life-cycle test of a moved editable checkout, measured here."""
    result = run_python(modern_python, MISSING_PACKAGE_PROBE, checkout, str(FAKES))
    assert result.returncode == 0, result.stderr
    if checkout == "present":
        assert result.stdout.split() == ["1", "True"] and result.stderr == ""
    else:  # one line at start-up, nothing more when the target is imported unshimmed
        assert result.stdout.split() == ["1", "False"]
        assert result.stderr.splitlines() == [
            "ta-compat: the shims are off: the ta_compat package is missing (an editable checkout moved or "
            "deleted?); reinstall or uninstall ta-compat"
        ]


ODD_IMPORT_SYSTEM_PROBE = """
import sys
import _ta_compat_bootstrap as bootstrap


class LegacyFinder:  # find_module only, as finders written before Python 3.4
    def find_module(self, name, path=None):
        return None


ours = [f for f in sys.meta_path if f is bootstrap]
sys.meta_path.insert(sys.meta_path.index(ours[0]) + 1, LegacyFinder())
import torchaudio  # the finder behind ours without find_spec is skipped, as the import system does

saved, sys.meta_path = sys.meta_path, tuple(f for f in sys.meta_path if f not in ours)
bootstrap.install()  # cannot insert into a tuple: install() must not raise
sys.meta_path = saved
print(torchaudio.load.__ta_compat__)
"""


def test_install_never_raises_and_legacy_finders_are_skipped(modern_python: Path) -> None:
    result = run_python(modern_python, ODD_IMPORT_SYSTEM_PROBE, flags=("-W", "ignore::ImportWarning"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True" and result.stderr == ""
