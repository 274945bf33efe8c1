"""What ``save`` to a path may do to the file system, side by side with legacy torchaudio.

Each case arranges a folder (owners, modes, links, mounts) twice, identically, and saves into it
once with the legacy reference and once with ta-compat, each in a real subprocess
(``tests/scripts/save_one.py``), as root or as another user. The outcomes must be legacy's: the
exception (class and message), and every file's content, mode, owner, group and link count, and
whether its inode was kept (both write in place). The one deliberate difference: a save that
libsndfile refuses on its arguments fails before it opens the destination.

Two pairings of legacy and ta-compat run every case:

- ``soundfile``: ``soundfile.write(path, ...)`` (all that torchaudio 2.8's soundfile backend did
  with a path) against ``ta_compat._writing.write_path`` (what ta-compat's ``save`` calls with
  the numpy array). Needs no torch: these run in the fast layer too.
- ``torchaudio``: legacy torchaudio 2.8's ``save(..., backend="soundfile")`` on the legacy stack
  against ``torchaudio.save`` on the modern stack with ta-compat (``nox -s tests``).

Cases about owners and other users need root (``chown``, switching users, mounts); they skip
otherwise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import pytest
import soundfile

from support import SCRIPTS, Interpreter, clean_env, run_command
from support.children import Process

NOBODY = (65534, 65534)  # the saver, or the spy, where a case needs another user
OTHER_UID, OTHER_GID = 1000, 1005  # owner and group of files that are neither root's nor the saver's
RATE = 16000
FRAMES = 16000

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root: chown, other users, mounts")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX owners, modes and links")

Arrange = Callable[[Path, contextlib.ExitStack], Path]
Snapshot = Dict[str, Dict[str, Any]]


# --------------------------------------------------------------------------------------------
# Running one save, and describing what it left behind
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Saver:
    """An interpreter that saves the test waveform with ``scripts/save_one.py`` through ``api``."""

    python: Interpreter
    api: str

    def run(
        self,
        path: Path,
        *,
        user: Optional[Tuple[int, int]] = None,
        frames: int = FRAMES,
        rate: int = RATE,
        umask: str = "022",
        prefix: Sequence[str] = (),
    ) -> Dict[str, Any]:
        """Save; return the program's report (``{"ok": true}`` or ``{"error": {...}}``)."""
        arguments = [*self.arguments(path, frames=frames), "--rate", str(rate), "--umask", umask]
        if user is not None:
            arguments += ["--as-user", f"{user[0]}:{user[1]}"]
        # another user cannot write root's coverage data
        env = clean_env(unmeasured=user is not None)
        result = self.python.run_args(*arguments, prefix=prefix, env=env, timeout=300)
        assert result.returncode == 0 and result.stdout, result.stdout + result.stderr
        report: Dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
        return report

    def arguments(self, path: Path, *, frames: int) -> List[str]:
        """What follows the interpreter on the command line of a save of ``frames`` to ``path``."""
        return [os.fspath(SCRIPTS / "save_one.py"), "--api", self.api, os.fspath(path), "--frames", str(frames)]


@dataclasses.dataclass(frozen=True)
class Pairing:
    """The legacy reference and ta-compat, saving the same waveform the same way."""

    legacy: Saver
    ta_compat: Saver


@dataclasses.dataclass
class Outcome:
    """One save: its report (the case's folder written ``<root>``), the folder after it (inodes
    as ``created``/``kept``/``new``) and before it."""

    report: Dict[str, Any]
    files: Snapshot
    before: Snapshot

    @property
    def error(self) -> Optional[str]:
        error = self.report.get("error")
        return f"{error['type']}: {error['message']}" if error else None

    def untouched(self, name: str) -> bool:
        """Whether ``name`` is the same file with the same content, owner, group and mode."""
        now, then = self.files[name], self.before[name]
        return all(now[key] == then[key] for key in then if key != "ino") and now["inode"] == "kept"

    def rewritten(self, name: str) -> bool:
        """Whether ``name`` holds other content than before."""
        return bool(self.files[name]["sha256"] != self.before[name]["sha256"])


@pytest.fixture(params=["soundfile", "torchaudio"])
def pairing(request: pytest.FixtureRequest) -> Pairing:
    if request.param == "soundfile":
        this = Interpreter(sys.executable)
        return Pairing(Saver(this, "soundfile"), Saver(this, "write-path"))
    legacy_python = Interpreter(request.getfixturevalue("legacy_python"))
    modern_python = Interpreter(request.getfixturevalue("modern_python"))
    return Pairing(Saver(legacy_python, "torchaudio"), Saver(modern_python, "torchaudio"))


@pytest.fixture
def world() -> Iterator[Path]:
    """A scratch folder that other users can reach (pytest's own is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="ta-compat-save-safety-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cleanup() -> Iterator[contextlib.ExitStack]:
    """Undone after the test: mounts made while arranging a case."""
    with contextlib.ExitStack() as stack:
        yield stack


def compare(
    pairing: Pairing, world: Path, cleanup: contextlib.ExitStack, arrange: Arrange, **save: Any
) -> List[Outcome]:
    """Arrange a fresh folder for each side, save into it, and describe what happened."""
    outcomes = []
    for side, saver in (("legacy", pairing.legacy), ("ta-compat", pairing.ta_compat)):
        root = folder(world / side)
        path = arrange(root, cleanup)
        before = snapshot(root)
        report = saver.run(path, **save)
        if "error" in report:
            report["error"]["message"] = report["error"]["message"].replace(os.fspath(root), "<root>")
        outcomes.append(Outcome(report, describe(before, snapshot(root)), before))
    return outcomes


def assert_as_legacy(legacy: Outcome, ours: Outcome) -> None:
    """Same report and the same files: names, content, mode, owner, group, links, inode kept or not."""
    assert ours.report == legacy.report
    assert ours.files == legacy.files


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (links not followed): mode, owner, group, link count, inode and
    the content's hash, or the link's target."""
    entries = {}
    for folder, names, files in os.walk(root):
        for name in names + files:
            path = Path(folder, name)
            info = path.lstat()
            entry: Dict[str, Any] = {
                "mode": oct(stat.S_IMODE(info.st_mode)),
                "uid": info.st_uid,
                "gid": info.st_gid,
                "nlink": info.st_nlink,
                "ino": info.st_ino,
            }
            if stat.S_ISLNK(info.st_mode):
                entry["link"] = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                entry["size"] = info.st_size
                entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            else:
                entry["kind"] = "directory" if stat.S_ISDIR(info.st_mode) else "other"
            entries[os.path.relpath(path, root)] = entry
    return entries


def describe(before: Snapshot, after: Snapshot) -> Snapshot:
    """``after``, each inode number replaced by ``created``, ``kept`` or ``new``."""
    described = {}
    for name, entry in after.items():
        entry = dict(entry)
        ino = entry.pop("ino")
        entry["inode"] = "created" if name not in before else "kept" if before[name]["ino"] == ino else "new"
        described[name] = entry
    return described


def folder(path: Path, owner: Optional[Tuple[int, int]] = None, mode: int = 0o755) -> Path:
    """A folder with ``owner`` (None: whoever runs the test) and ``mode``."""
    path.mkdir(parents=True, exist_ok=True)
    return chown(path, owner, mode)


def recording(path: Path, owner: Optional[Tuple[int, int]] = None, mode: int = 0o644, *, frames: int = FRAMES) -> Path:
    """An existing recording (other samples than the save writes)."""
    data = np.random.default_rng(1).uniform(-0.5, 0.5, size=(frames, 2))
    soundfile.write(path, data, RATE, subtype="PCM_16")
    return chown(path, owner, mode)


def chown(path: Path, owner: Optional[Tuple[int, int]], mode: int) -> Path:
    if owner is not None:
        os.chown(path, *owner, follow_symlinks=False)
    if not path.is_symlink():
        path.chmod(mode)  # after chown, which clears setuid/setgid bits
    return path


# --------------------------------------------------------------------------------------------
# Permissions, owner, group, mode: the kernel's call, as with legacy
# --------------------------------------------------------------------------------------------
@posix_only
@pytest.mark.parametrize("umask", ["022", "077", "000"])
def test_a_new_file_gets_legacys_mode(pairing: Pairing, world: Path, cleanup: Any, umask: str) -> None:
    legacy, ours = compare(pairing, world, cleanup, lambda root, _: root / "new.wav", umask=umask)
    assert "error" not in ours.report and ours.files["new.wav"]["inode"] == "created"
    assert_as_legacy(legacy, ours)


@posix_only
def test_a_file_of_ours_is_rewritten_in_place_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    legacy, ours = compare(pairing, world, cleanup, lambda root, _: recording(root / "take.wav", mode=0o600))
    assert ours.files["take.wav"]["mode"] == "0o600" and ours.files["take.wav"]["inode"] == "kept"
    assert ours.rewritten("take.wav")
    assert_as_legacy(legacy, ours)


@needs_root
def test_a_read_only_file_is_refused_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    """Legacy opened the file for writing, which the kernel refuses."""

    def arrange(root: Path, _: Any) -> Path:
        return recording(folder(root / "mine", NOBODY) / "take.wav", NOBODY, 0o444)

    legacy, ours = compare(pairing, world, cleanup, arrange, user=NOBODY)
    assert ours.error is not None and "System error" in ours.error and ours.untouched("mine/take.wav")
    assert_as_legacy(legacy, ours)


@needs_root
def test_root_overrides_a_read_only_mode_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    legacy, ours = compare(pairing, world, cleanup, lambda root, _: recording(root / "take.wav", mode=0o444))
    assert "error" not in ours.report and ours.files["take.wav"]["mode"] == "0o444"
    assert_as_legacy(legacy, ours)


@needs_root
def test_another_users_file_in_a_folder_we_may_write_is_refused_as_legacy(
    pairing: Pairing, world: Path, cleanup: Any
) -> None:
    def arrange(root: Path, _: Any) -> Path:
        return recording(folder(root / "common", mode=0o777) / "take.wav", (OTHER_UID, OTHER_GID), 0o644)

    legacy, ours = compare(pairing, world, cleanup, arrange, user=NOBODY)
    assert ours.error is not None and ours.untouched("common/take.wav")
    assert_as_legacy(legacy, ours)


@needs_root
@pytest.mark.parametrize("mode", [0o4755, 0o2755, 0o644], ids=["setuid", "setgid", "plain"])
def test_root_writes_another_users_file_in_place_keeping_owner_and_bits(
    pairing: Pairing, world: Path, cleanup: Any, mode: int
) -> None:
    def arrange(root: Path, _: Any) -> Path:
        return recording(root / "tool.wav", (OTHER_UID, OTHER_GID), mode)

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert "error" not in ours.report and ours.rewritten("tool.wav")
    assert ours.files["tool.wav"]["uid"] == OTHER_UID and ours.files["tool.wav"]["inode"] == "kept"
    assert_as_legacy(legacy, ours)


@needs_root
def test_root_keeps_the_group_of_its_file(pairing: Pairing, world: Path, cleanup: Any) -> None:
    legacy, ours = compare(pairing, world, cleanup, lambda root, _: recording(root / "take.wav", (0, OTHER_GID), 0o640))
    assert ours.files["take.wav"]["gid"] == OTHER_GID and ours.files["take.wav"]["mode"] == "0o640"
    assert_as_legacy(legacy, ours)


@needs_root
def test_a_group_we_are_not_in_is_kept_by_writing_in_place(pairing: Pairing, world: Path, cleanup: Any) -> None:
    def arrange(root: Path, _: Any) -> Path:
        return recording(folder(root / "mine", NOBODY) / "take.wav", (NOBODY[0], OTHER_GID), 0o640)

    legacy, ours = compare(pairing, world, cleanup, arrange, user=NOBODY)
    assert ours.rewritten("mine/take.wav") and ours.files["mine/take.wav"]["gid"] == OTHER_GID
    assert ours.files["mine/take.wav"]["inode"] == "kept"
    assert_as_legacy(legacy, ours)


@posix_only
def test_hard_links_share_the_new_content_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    def arrange(root: Path, _: Any) -> Path:
        os.link(recording(root / "take.wav"), root / "backup.wav")
        return root / "take.wav"

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert ours.rewritten("take.wav") and ours.files["take.wav"]["sha256"] == ours.files["backup.wav"]["sha256"]
    assert_as_legacy(legacy, ours)


@posix_only
def test_extended_attributes_are_kept_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    if not hasattr(os, "setxattr"):
        pytest.skip("no extended attributes on this platform")

    def arrange(root: Path, _: Any) -> Path:
        path = recording(root / "take.wav")
        try:
            os.setxattr(path, "user.origin", b"studio 2")
        except OSError as exc:
            pytest.skip(f"the scratch file system has no user extended attributes: {exc}")
        return path

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert ours.rewritten("take.wav") and os.getxattr(world / "ta-compat" / "take.wav", "user.origin") == b"studio 2"
    assert_as_legacy(legacy, ours)


@needs_root
def test_another_users_writable_file_in_a_sticky_folder_is_written_as_legacy(
    pairing: Pairing, world: Path, cleanup: Any
) -> None:
    """Legacy's open is allowed there, unless fs.protected_regular refuses it, which then applies
    to ta-compat alike."""

    def arrange(root: Path, _: Any) -> Path:
        return recording(folder(root / "tmp", mode=0o1777) / "shared.wav", (OTHER_UID, OTHER_GID), 0o666)

    legacy, ours = compare(pairing, world, cleanup, arrange, user=NOBODY)
    assert ours.files["tmp/shared.wav"]["uid"] == OTHER_UID and ours.files["tmp/shared.wav"]["inode"] == "kept"
    if Path("/proc/sys/fs/protected_regular").read_text().strip() == "0":
        assert "error" not in ours.report and ours.rewritten("tmp/shared.wav")
    assert_as_legacy(legacy, ours)


@needs_root
def test_a_folder_we_may_not_write_holding_our_file_is_written_in_place_as_legacy(
    pairing: Pairing, world: Path, cleanup: Any
) -> None:
    def arrange(root: Path, _: Any) -> Path:
        path = recording(folder(root / "locked", NOBODY) / "take.wav", NOBODY)
        chown(path.parent, NOBODY, 0o555)
        return path

    legacy, ours = compare(pairing, world, cleanup, arrange, user=NOBODY)
    assert "error" not in ours.report and ours.rewritten("locked/take.wav")
    assert_as_legacy(legacy, ours)


# --------------------------------------------------------------------------------------------
# Links: followed by the kernel
# --------------------------------------------------------------------------------------------
@posix_only
def test_a_symlink_loop_fails_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    def arrange(root: Path, _: Any) -> Path:
        (root / "loop.wav").symlink_to("loop.wav")
        return root / "loop.wav"

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert ours.error is not None and ours.files["loop.wav"]["link"] == "loop.wav"
    assert_as_legacy(legacy, ours)


@posix_only
def test_a_symlink_keeps_pointing_at_its_rewritten_target(pairing: Pairing, world: Path, cleanup: Any) -> None:
    def arrange(root: Path, _: Any) -> Path:
        recording(folder(root / "data") / "take.wav", mode=0o640)
        (root / "take.wav").symlink_to("data/take.wav")
        return root / "take.wav"

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert ours.files["take.wav"]["link"] == "data/take.wav" and ours.rewritten("data/take.wav")
    assert ours.files["data/take.wav"]["inode"] == "kept"
    assert_as_legacy(legacy, ours)


@posix_only
def test_a_dangling_symlink_creates_its_target_as_legacy(pairing: Pairing, world: Path, cleanup: Any) -> None:
    def arrange(root: Path, _: Any) -> Path:
        (root / "take.wav").symlink_to("made.wav")
        return root / "take.wav"

    legacy, ours = compare(pairing, world, cleanup, arrange)
    assert ours.files["made.wav"]["inode"] == "created"
    assert_as_legacy(legacy, ours)


@needs_root
def test_a_symlink_planted_in_a_sticky_folder_is_followed_only_as_the_kernel_allows(
    pairing: Pairing, world: Path, cleanup: Any
) -> None:
    """Another user's link in a sticky world-writable folder (``/tmp``), pointing at a file of
    root's: with ``fs.protected_symlinks=1`` the kernel refuses to let root follow it, and legacy
    failed. The package must not resolve the link itself (which would bypass that rule)."""

    def arrange(root: Path, _: Any) -> Path:
        victim = recording(folder(root / "etc") / "passwd.wav")
        link = folder(root / "tmp", mode=0o1777) / "out.wav"
        link.symlink_to(os.path.relpath(victim, link.parent))
        return chown(link, NOBODY, 0)

    legacy, ours = compare(pairing, world, cleanup, arrange)
    if Path("/proc/sys/fs/protected_symlinks").read_text().strip() == "1":
        assert ours.error is not None and "System error" in ours.error and ours.untouched("etc/passwd.wav")
        assert_as_legacy(legacy, ours)
    else:  # the kernel lets root follow it: both write the victim
        assert "error" not in ours.report
        assert_as_legacy(legacy, ours)


# --------------------------------------------------------------------------------------------
# Never failing where legacy succeeded
# --------------------------------------------------------------------------------------------
def mount(cleanup: contextlib.ExitStack, *arguments: str) -> None:
    """``mount`` as root, undone when the test ends; skips where mounting is not allowed."""
    result = run_command(["mount", *arguments])
    if result.returncode != 0:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    cleanup.callback(run_command, ["umount", "-l", arguments[-1]], check=True)


@needs_root
def test_a_bind_mounted_file_is_written_through_the_mount_as_legacy(
    pairing: Pairing, world: Path, cleanup: Any
) -> None:
    """``docker run -v host.wav:/data/take.wav``: the file is written through the mount."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is missing")

    def arrange(root: Path, _: Any) -> Path:
        recording(root / "host.wav")
        return recording(folder(root / "container") / "take.wav", frames=10)

    # The saver runs in its own mount namespace in which container/take.wav is host.wav.
    bind = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
    script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    if run_command([*bind, "true"]).returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    outcomes = []
    for side, saver in (("legacy", pairing.legacy), ("ta-compat", pairing.ta_compat)):
        root = folder(world / side)
        path = arrange(root, cleanup)
        before = snapshot(root)
        prefix = [*bind, script, "sh", os.fspath(root / "host.wav"), os.fspath(path)]
        outcomes.append(Outcome(saver.run(path, prefix=prefix), describe(before, snapshot(root)), before))
    legacy, ours = outcomes
    assert "error" not in ours.report and ours.rewritten("host.wav") and ours.files["host.wav"]["inode"] == "kept"
    assert ours.untouched("container/take.wav")  # the file under the mount point
    assert_as_legacy(legacy, ours)


@needs_root
@pytest.mark.parametrize(
    "name, new_frames",
    [("take.wav", 300_000), ("take.wav", 700_000), ("take.flac", 700_000)],
    ids=["fits-in-place", "fits-nowhere", "compressed-fits-nowhere"],
)
def test_a_nearly_full_file_system_fails_only_where_legacy_failed(
    pairing: Pairing, world: Path, cleanup: Any, name: str, new_frames: int
) -> None:
    """A 2 MiB file system holding a 1.2 MiB recording. A new 1.2 MiB recording fits in place and
    is written there. A 2.8 MiB WAV or FLAC fits nowhere: legacy's error, and the partial file
    that legacy's in-place write left."""

    def arrange(root: Path, stack: contextlib.ExitStack) -> Path:
        small = folder(root / "small")
        mount(stack, "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", os.fspath(small))
        return recording(small / name, frames=300_000)

    legacy, ours = compare(pairing, world, cleanup, arrange, frames=new_frames)
    path = f"small/{name}"
    assert ours.files[path]["inode"] == "kept" and ours.rewritten(path)
    if new_frames == 300_000:
        assert "error" not in ours.report
    else:
        assert ours.error is not None and "System error" in ours.error
    assert_as_legacy(legacy, ours)


def test_write_path_checks_first_then_writes_in_place(tmp_path: Path) -> None:
    """What ``save`` calls with the samples, in this process: a rate libsndfile rejects fails
    naming the caller's path, before the file is opened; a good save keeps the inode; a new name
    is created; nothing else appears in the folder."""
    from ta_compat._writing import write_path

    data = np.full((100, 2), -0.5, dtype=np.float32)

    def save(path: Path, rate: int = RATE) -> None:
        write_path(soundfile, path, data, samplerate=rate, subtype="FLOAT", format=None)

    path = recording(tmp_path / "take.wav")
    inode, before = path.stat().st_ino, path.read_bytes()
    with pytest.raises(soundfile.LibsndfileError, match=f"Error opening {os.fspath(path)!r}"):
        save(path, rate=0)
    assert path.read_bytes() == before and path.stat().st_ino == inode
    save(path)
    assert path.stat().st_ino == inode and os.listdir(tmp_path) == ["take.wav"]
    assert np.array_equal(soundfile.read(path, dtype="float32", always_2d=True)[0], data)
    save(tmp_path / "new.wav")
    assert sorted(os.listdir(tmp_path)) == ["new.wav", "take.wav"]


# --------------------------------------------------------------------------------------------
# No window in which another user can read the data
# --------------------------------------------------------------------------------------------
@needs_root
@pytest.mark.parametrize(
    "existing, umask", [(True, "022"), (False, "077")], ids=["replacing-0600-under-umask-022", "new-under-umask-077"]
)
def test_another_user_can_read_nothing_during_a_save(pairing: Pairing, world: Path, existing: bool, umask: str) -> None:
    """A spy of another user opens everything that appears in the folder while a large private
    recording is saved; it keeps every descriptor it gets and reads it to the end afterwards.
    Legacy wrote into the 0600 file (or created it 0600 under umask 077): nothing readable."""
    got = {}
    for side, saver in (("legacy", pairing.legacy), ("ta-compat", pairing.ta_compat)):
        root = folder(world / side, mode=0o1777)
        path = root / "private.wav"
        if existing:
            recording(path, mode=0o600)
        spy = Interpreter(sys.executable, unmeasured=True).start(  # the spy cannot write root's coverage data
            SCRIPTS / "save_spy.py", root, f"{NOBODY[0]}:{NOBODY[1]}", pipes=True
        )
        try:
            assert spy.stdout is not None and spy.stdout.readline().strip() == "watching"
            report = saver.run(path, frames=3_000_000, umask=umask)
        finally:
            out, _ = spy.communicate("", timeout=120)
        assert "error" not in report, report
        got[side] = json.loads(out)
        assert got[side]["rounds"] > 1
    assert got["ta-compat"]["opened"] == got["legacy"]["opened"] == {}


# --------------------------------------------------------------------------------------------
# An interrupted save, and the system calls: legacy's
# --------------------------------------------------------------------------------------------
@posix_only
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_killed_save_leaves_what_legacy_left(pairing: Pairing, tmp_path: Path, sig: str) -> None:
    """Legacy truncated the file and wrote into it, so a kill leaves a partial recording under
    the same inode and nothing beside it; so does ta-compat."""
    for side, saver in (("legacy", pairing.legacy), ("ta-compat", pairing.ta_compat)):
        out = folder(tmp_path / side)
        path = recording(out / "take.wav")
        inode = path.stat().st_ino
        save = saver.python.start(*saver.arguments(path, frames=8_000_000))
        try:
            wait_until_rewritten(path, save)
        finally:
            save.send_signal(getattr(signal, sig))
            save.wait(timeout=120)
        assert save.returncode == -getattr(signal, sig), f"{side}: the save finished before it could be interrupted"
        assert path.stat().st_ino == inode and os.listdir(out) == ["take.wav"], side
        assert path.stat().st_size < 8_000_000 * 2 * 2, side


def wait_until_rewritten(path: Path, process: Process) -> None:
    """Return once ``path`` holds more than 1 MiB (the recording it replaces is 64 kB): the save is under way."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if path.stat().st_size > 1 << 20:
            return
        time.sleep(0.001)
    raise AssertionError("the file did not grow while the save ran")


@posix_only
@pytest.mark.parametrize("existing", [True, False], ids=["over-a-file", "new-name"])
def test_the_destination_gets_legacys_system_calls(pairing: Pairing, tmp_path: Path, existing: bool) -> None:
    """Traced with strace: every call that names the destination's folder (opens, renames, links,
    unlinks, truncations) is legacy's: one ``open(O_WRONLY | O_CREAT | O_TRUNC)`` of the path."""
    strace = shutil.which("strace")
    if strace is None or run_command([strace, "-f", "--seccomp-bpf", "-o", os.devnull, "true"]).returncode:
        pytest.skip("strace is missing or not allowed to trace here")
    calls = "open,openat,creat,rename,renameat,renameat2,link,linkat,unlink,unlinkat,truncate,mkdir,symlink"
    traced = {}
    for side, saver in (("legacy", pairing.legacy), ("ta-compat", pairing.ta_compat)):
        out = folder(tmp_path / side / "out")
        path = recording(out / "take.wav") if existing else out / "take.wav"
        log = tmp_path / side / "strace.log"
        command = [strace, "-f", "-qq", "--seccomp-bpf", "-e", f"trace={calls}", "-o", os.fspath(log)]
        result = saver.python.run_args(*saver.arguments(path, frames=FRAMES), prefix=command)
        assert result.returncode == 0 and '"ok"' in result.stdout, result.stdout + result.stderr
        traced[side] = [
            (name, arguments.replace(os.fspath(out), "<out>"))
            for name, arguments, _ in strace_calls(log.read_text())
            if os.fspath(out) in arguments
        ]
        assert os.listdir(out) == ["take.wav"], side
    assert traced["ta-compat"] == traced["legacy"]
    assert [name for name, _ in traced["legacy"]] == ["openat"] and "O_TRUNC" in traced["legacy"][0][1]


def strace_calls(log: str) -> Iterator[Tuple[str, str, str]]:
    """``(call, arguments, result)`` of each line of ``strace -f``, in order of completion, with
    calls that other threads interrupted (``<unfinished ...>``, ``<... resumed>``) put together."""
    pending: Dict[str, str] = {}
    for line in log.splitlines():
        pid, _, text = line.strip().partition(" ")
        text = text.strip()
        if text.endswith("<unfinished ...>"):
            pending[pid] = text[: -len("<unfinished ...>")].rstrip()
            continue
        if text.startswith("<... ") and " resumed>" in text:
            text = pending.pop(pid, "") + text.split(" resumed>", 1)[1]
        call, _, returned = text.rpartition(" = ")
        name, _, arguments = call.partition("(")
        yield name, arguments.rsplit(")", 1)[0], returned.split()[0] if returned.split() else ""


# --------------------------------------------------------------------------------------------
# A failing save: the destination untouched wherever a check can come first
# --------------------------------------------------------------------------------------------
@posix_only
def test_a_failing_save_in_place_fails_before_truncating(pairing: Pairing, world: Path, cleanup: Any) -> None:
    """libsndfile's objection to a sample rate of 0 comes before the truncation (legacy left a
    44-byte header): the deliberate difference. The file is hard-linked: both names keep it."""

    def arrange(root: Path, _: Any) -> Path:
        os.link(recording(root / "take.wav"), root / "backup.wav")
        return root / "take.wav"

    legacy, ours = compare(pairing, world, cleanup, arrange, rate=0)
    assert ours.report == legacy.report and ours.error is not None and "<root>/take.wav" in ours.error
    assert ours.untouched("take.wav") and ours.untouched("backup.wav")
    assert legacy.files["take.wav"]["size"] < legacy.before["take.wav"]["size"]  # legacy's damage
