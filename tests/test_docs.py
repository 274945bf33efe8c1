"""The README and docs/ quote only what was recorded: every figure and pasted output is a generated
block that must equal what ``tests/scripts/render_docs.py`` renders from its source (the registry,
``docs/recorded/*.json`` from ``nox -s record``, ``benchmarks/results.json`` from ``nox -s bench``,
the differential suite's ``DELIBERATE``). ``python tests/scripts/render_docs.py`` rewrites them.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from support import ROOT, Interpreter

#: What the generator reads, relative to the checkout: a copy of these is a checkout to it.
SOURCES = ("README.md", "docs", "benchmarks/results.json", "tests/support/deliberate.py")


def _render(root: Path, *args: str) -> tuple[int, str]:
    """Run the generator on the checkout at ``root``: its exit status and output."""
    done = Interpreter(sys.executable).run("render_docs", "--root", str(root), *args)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, done.stdout + done.stderr


def _copy_checkout(tmp_path: Path) -> Path:
    """The documentation and its sources, copied: a checkout the tests may spoil."""
    for relative in SOURCES:
        source, dest = ROOT / relative, tmp_path / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)
    return tmp_path


def test_the_generated_blocks_agree_with_their_sources() -> None:
    status, output = _render(ROOT, "--check")
    assert status == 0, f"{output}\nregenerate: python tests/scripts/render_docs.py"


def test_a_figure_changed_in_the_bench_results_is_caught_and_rewritten(tmp_path: Path) -> None:
    root = _copy_checkout(tmp_path)
    results_file = root / "benchmarks" / "results.json"
    results = json.loads(results_file.read_text())
    results["startup"]["ta-compat"]["instructions_ratio"] = 1.5
    results_file.write_text(json.dumps(results))
    status, output = _render(root, "--check")
    assert status == 1
    assert "README.md: the block performance-summary differs from its source" in output
    assert "docs/performance.md: the block startup-table differs from its source" in output
    assert _render(root) == (0, "rewrote README.md\nrewrote docs/performance.md\n")
    assert _render(root, "--check") == (0, "")
    assert "Start-up: +50.00 % instructions" in (root / "README.md").read_text()


def test_a_hand_edited_block_is_caught(tmp_path: Path) -> None:
    root = _copy_checkout(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace("with every shim off, ", "with every shim off (edited), ", 1))
    status, output = _render(root, "--check")
    assert (status, output) == (1, "README.md: the block doctor-modern differs from its source\n")


def test_a_block_without_its_closing_marker_or_renderer_is_caught(tmp_path: Path) -> None:
    root = _copy_checkout(tmp_path)
    page = root / "docs" / "testing.md"
    page.write_text(page.read_text().replace("<!-- /deliberate-differences -->", ""))
    (root / "docs" / "extra.md").write_text(
        "<!-- no-such-block: generated from nothing -->\n\n<!-- /no-such-block -->\n"
    )
    status, output = _render(root, "--check")
    assert status == 1
    assert "testing.md: a generated block lacks its closing marker: ['deliberate-differences']" in output
    assert "extra.md: no renderer for the blocks ['no-such-block']" in output
    assert "the block deliberate-differences is used in no document" in output


def test_the_readme_stays_a_users_guide(tmp_path: Path) -> None:
    root = _copy_checkout(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\n" * 200)
    status, output = _render(root, "--check")
    assert status == 1 and re.search(r"README.md has \d+ lines, more than 200", output), output


def test_every_relative_link_of_the_docs_resolves() -> None:
    for page in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}, which is missing"
