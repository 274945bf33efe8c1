"""Rewrite, or check, the generated blocks of README.md and docs/*.md from their recorded sources.

Every figure and every pasted output in the documentation sits in a block between
``<!-- name: generated from SOURCE -->`` and ``<!-- /name -->``, and is rendered here from the one
source that recorded it, so no hand-copied number can drift:

- the registry (``ta_compat._families``): the families table;
- ``docs/recorded/<stack>.json``, written by ``nox -s record``: ``ta-compat doctor`` and the demo on
  the modern stack, the doctor's verdicts on the legacy stack;
- ``benchmarks/results.json``, written by ``nox -s bench``: every performance figure;
- ``DELIBERATE`` in ``tests/support/deliberate.py`` (read as data, not imported), which
  checks that each deliberate difference from legacy torchaudio really occurs.

Usage::

    python tests/scripts/render_docs.py                    # rewrite every block in place
    python tests/scripts/render_docs.py --check            # exit 1 naming each stale block
    python tests/scripts/render_docs.py --print BLOCK      # print one block as rendered
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

#: The longest README a reader is asked to read (lines).
README_LIMIT = 200
#: What to do when a recording no longer covers the registry's families.
RERECORD = "re-record with `nox -s record`, then run `python tests/scripts/render_docs.py`"
#: Implementations the bench compares with ta-compat, and their names in the docs.
OTHERS = {
    "torchcodec": "torchaudio 2.11 + torchcodec 0.17",
    "legacy-soundfile": "legacy torchaudio 2.8, soundfile",
    "legacy-ffmpeg": "legacy torchaudio 2.8, FFmpeg",
}


class Sources:
    """The recorded sources under one checkout root (loaded lazily: ``--print`` needs one)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def json(self, relative: str) -> Any:
        """A recorded JSON file of the checkout."""
        return json.loads((self.root / relative).read_text())

    def recorded(self, stack: str) -> Dict[str, Any]:
        """The ``nox -s record`` run on ``stack``."""
        return dict(self.json(f"docs/recorded/{stack}.json"))

    def bench(self) -> Dict[str, Any]:
        """The last ``nox -s bench`` run."""
        return dict(self.json("benchmarks/results.json"))

    def deliberate(self) -> Dict[str, str]:
        """``DELIBERATE`` of the differential suite, read as a literal (importing a test module
        would drag in pytest and the suite's fixtures)."""
        tree = ast.parse((self.root / "tests" / "support" / "deliberate.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "DELIBERATE":
                assert node.value is not None
                return dict(ast.literal_eval(node.value))
        raise LookupError("DELIBERATE is gone from tests/support/deliberate.py")


# -- rendering helpers -------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    """A duration with three significant figures and a readable unit."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(value: float) -> str:
    """A speed-up or a ratio of memory: three significant figures, thousands grouped."""
    return f"{value:,.0f}×" if value >= 1000 else f"{value:.3g}×"


def percent_more(ratio: float) -> str:
    """A ratio to its floor as what it adds: ``1.0163`` -> ``+1.63 %``."""
    return f"{(ratio - 1) * 100:+.2f} %"


def stack_line(versions: Dict[str, str]) -> str:
    """``torch X, torchaudio Y, pyannote.audio Z, numpy N, Python P`` of a recorded stack."""
    names = ("torch", "torchaudio", "pyannote.audio", "numpy")
    return ", ".join(f"{name} {versions[name]}" for name in names if name in versions) + (
        f", Python {versions['python']}"
    )


# -- the blocks --------------------------------------------------------------------------------------


def families_table(sources: Sources) -> str:
    """The families table, one row per registry entry, in registry order."""
    from ta_compat import _families as families

    rows = ["| family | restores | what it does | applies when |", "|---|---|---|---|"]
    for family in families.FAMILIES:
        targets = " or ".join(f"`{target}`" for target in family.targets)
        rows.append(f"| `{family.name}` | {family.restores} | {family.summary} | {targets} is imported |")
    return "\n".join(rows)


def doctor_modern(sources: Sources) -> str:
    """The stack and ``ta-compat doctor``'s table on it, as the doctor itself prints it."""
    from ta_compat import _doctor as doctor

    recorded = sources.recorded("modern")
    report = recorded["doctor"]["report"]
    verdicts = [
        doctor.Verdict(row["family"], doctor.Need(row["verdict"]), row["working"], row["evidence"])
        for row in report["families"]
    ]
    absent = [verdict.family for verdict in verdicts if verdict.verdict is doctor.Need.NOT_APPLICABLE]
    shown = [verdict for verdict in verdicts if verdict.verdict is not doctor.Need.NOT_APPLICABLE]
    return "\n".join(
        [
            f"On the modern stack ({stack_line(recorded['versions'])}), exit status "
            f"{recorded['doctor']['exit_status']}; the rows of the families whose library is not "
            f"installed there ({', '.join(f'`{name}`' for name in absent)}: `not applicable`) left out:",
            "",
            "```",
            doctor.report(shown, report["all_off"], as_json=False),
            "```",
        ]
    )


def doctor_legacy(sources: Sources) -> str:
    """The doctor's verdicts on the legacy stack, family by family, in one sentence."""
    recorded = sources.recorded("legacy")
    by_verdict: Dict[str, List[str]] = {}
    for row in recorded["doctor"]["report"]["families"]:
        by_verdict.setdefault(row["verdict"], []).append(f"`{row['family']}`")
    parts = [f"{verdict}: {', '.join(names)}" for verdict, names in sorted(by_verdict.items())]
    return (
        f"On the legacy stack ({stack_line(recorded['versions'])}) the doctor finds "
        + "; ".join(parts)
        + f" (exit status {recorded['doctor']['exit_status']})."
    )


def demo_modern(sources: Sources) -> str:
    """The output of ``examples/pyannote_demo.py`` on the modern stack."""
    return "\n".join(["```", sources.recorded("modern")["demo"], "```"])


def deliberate_differences(sources: Sources) -> str:
    """One bullet per deliberate difference, its reason as the differential suite states it."""
    return "\n".join(f"- {reason}" for reason in sources.deliberate().values())


def bench_run(sources: Sources) -> str:
    """Where and when the quoted bench run happened."""
    results = sources.bench()
    machine, versions = results["machine"], results["io"]["versions"]["ta-compat"]
    return (
        f"Recorded by `nox -s bench` on {machine['date']} ({results['duration_s'] / 60:.1f} min): "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']} RAM, {machine['os']}; load average "
        f"{machine['loadavg_start']:.2f} at the start, {machine['loadavg_end']:.2f} at the end. Modern stack: "
        f"{stack_line(versions)}, soundfile {versions['soundfile']} (libsndfile {versions['libsndfile']})."
    )


def startup_table(sources: Sources) -> str:
    """``python -c pass``: ta-compat and the start-up anchors against the same venv without them."""
    startup = sources.bench()["startup"]
    floor_name = next(name for name in startup if name.endswith("(floor)"))
    floor = startup[floor_name]
    rows = [
        "| venv | instructions vs the floor | wall time vs the floor (95 % CI) |",
        "|---|---|---|",
    ]
    for name, row in startup.items():
        if name in (floor_name, "installed"):
            continue
        low, high = row["ratio_ci95"]
        rows.append(
            f"| {name} | {row['instructions_ratio']:.4f} ({percent_more(row['instructions_ratio'])}) "
            f"| {row['ratio']:.3f} ({low:.3f}–{high:.3f}) |"
        )
    ours = startup["ta-compat"]
    added = ours["instructions"] - floor["instructions"]
    rows += [
        "",
        f"The floor, the same venv without ta-compat, executes {floor['instructions'] / 1e6:.1f} M instructions "
        f"({fmt_time(floor['wall_median_s'])} median wall); ta-compat adds {added / 1e6:.2f} M. The `.pth` "
        f"measured is `{startup['installed']['pth']}`.",
    ]
    if ours.get("collector_instructions") and floor.get("collector_instructions"):
        collector = ours["collector_instructions"] - floor["collector_instructions"]
        rows[-1] += (
            f" Of those, {(added - collector) / 1e6:.2f} M are ta-compat's own work (importing the bootstrap, "
            f"and its finder declining each later import) and {collector / 1e6:+.2f} M the garbage collector's: "
            "any allocation at start-up moves when its collections run, and so what is left for the last one, "
            "at exit."
        )
    return "\n".join(rows)


def import_figures(sources: Sources) -> str:
    """``import torchaudio`` with the shims applied against ``TA_COMPAT_DISABLE=1``."""
    section = sources.bench()["import"]
    shims, direct = section["ta-compat shims"], section["direct"]
    low, high = shims["ratio_ci95"]
    return (
        f"`import torchaudio` with the shims takes {shims['ratio']:.3f} ({low:.3f}–{high:.3f}) times as long as "
        f"with `TA_COMPAT_DISABLE=1` ({shims['n']} interleaved processes each). Timed inside one process, "
        f"applying the shims takes {fmt_time(direct['apply_s'])} of the {fmt_time(direct['import_s'])} "
        f"that `import torchaudio` takes ({direct['apply_s'] / direct['import_s'] * 100:.2f} %, "
        f"{direct['modules']:.0f} modules loaded)."
    )


def io_table(sources: Sources) -> str:
    """Audio I/O: ta-compat against the bare soundfile floor and against the other implementations."""
    io = sources.bench()["io"]
    header = "| case | ta-compat | ta-compat / floor (95 % CI) | target | " + " | ".join(OTHERS.values()) + " |"
    rows = [header, "|---" * (4 + len(OTHERS)) + "|"]
    for entry in io["cases"].values():
        impls = entry["impls"]
        low, high = entry["ratio_ci95"]
        met = "met" if entry["ratio"] <= entry["target"] else "**NOT met**"
        cells = [
            entry["title"],
            fmt_time(impls["ta-compat"]["median_s"]),
            f"{entry['ratio']:.3f} ({low:.3f}–{high:.3f})",
            f"≤ {entry['target']:g}: {met}",
        ]
        cells += [f"{fmt_time(impls[impl]['median_s'])} ({fmt_ratio(impls[impl]['speedup'])})" for impl in OTHERS]
        rows.append("| " + " | ".join(cells) + " |")
    crop, names = io["crop_60_over_10"], {"floor": "bare soundfile", **OTHERS}
    rows += [
        "",
        "A 5 s crop of a 60 min file over the same crop of a 10 min file (1.00: a seek, whatever the length): "
        + "; ".join(f"{names.get(impl, impl)} {value:.2f}" for impl, value in crop.items())
        + ".",
    ]
    return "\n".join(rows)


def memory_table(sources: Sources) -> str:
    """Peak memory of a full load, against the floor and the other implementations."""
    memory = sources.bench()["memory"]
    rows = [
        "| file | decoded tensor | ta-compat / floor | target | " + " | ".join(OTHERS.values()) + " |",
        "|---" * (4 + len(OTHERS)) + "|",
    ]
    for entry in memory.values():
        met = "met" if entry["ratio"] <= entry["target"] else "**NOT met**"
        cells = [
            entry["title"],
            f"{entry['result_mib']:.1f} MiB",
            f"{entry['ratio']:.3f}",
            f"≤ {entry['target']:g}: {met}",
        ]
        cells += [
            f"{entry['peak_delta_mib'][impl]:.1f} MiB ({fmt_ratio(entry['others_over_ta_compat'][impl])})"
            for impl in OTHERS
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def pyannote4_table(sources: Sources) -> str:
    """pyannote.audio 4's reads through the torchcodec-fallback route and through torchcodec."""
    section: Optional[Dict[str, Any]] = sources.bench().get("pyannote4")
    if section is None:
        return "Not measured in the recorded run (its `--only` left the section out)."
    rows = [
        "| case | fallback (soundfile) | torchcodec 0.17 on FFmpeg | torchcodec / fallback |",
        "|---|---|---|---|",
    ]
    for entry in section["cases"].values():
        times = [fmt_time(entry["impls"][impl]["median_s"]) for impl in ("pyannote4-soundfile", "pyannote4-torchcodec")]
        rows.append(f"| {entry['title']} | {' | '.join(times)} | {fmt_ratio(entry['torchcodec_over_fallback'])} |")
    ratios = section["load_over_crop"]
    rows += [
        "",
        f"A 5 s crop of the 60 min WAV costs 1/{ratios['pyannote4-soundfile']:.0f} of a full read of it through the "
        f"fallback (a seek) and 1/{ratios['pyannote4-torchcodec']:.0f} through torchcodec.",
    ]
    return "\n".join(rows)


def performance_summary(sources: Sources) -> str:
    """The README's few performance lines, each from the bench run."""
    results = sources.bench()
    startup = results["startup"]
    anchors = [
        f"{name.split(',')[0].replace(' (anchor)', '')} {percent_more(row['instructions_ratio'])}"
        for name, row in startup.items()
        if "(anchor)" in name
    ]
    cases = results["io"]["cases"]
    ratios = [entry["ratio"] for entry in cases.values()]
    crop = cases["crop:wav60"]["impls"]
    return "\n".join(
        [
            f"- Start-up: {percent_more(startup['ta-compat']['instructions_ratio'])} instructions for a bare "
            f"`python -c pass` (other packages' `.pth` files measured alike: {', '.join(anchors)}).",
            f"- `load`, `info`, `save`: {min(ratios):.3f} to {max(ratios):.3f} times bare soundfile; a 5 s crop of "
            f"a 60 min WAV takes {fmt_time(crop['ta-compat']['median_s'])} (torchaudio 2.11 + torchcodec: "
            f"{fmt_time(crop['torchcodec']['median_s'])}).",
        ]
    )


#: Block name -> the function that renders it.
BLOCKS: Dict[str, Callable[[Sources], str]] = {
    "families-table": families_table,
    "doctor-modern": doctor_modern,
    "doctor-legacy": doctor_legacy,
    "demo-modern": demo_modern,
    "deliberate-differences": deliberate_differences,
    "bench-run": bench_run,
    "startup-table": startup_table,
    "import-figures": import_figures,
    "io-table": io_table,
    "memory-table": memory_table,
    "pyannote4-table": pyannote4_table,
    "performance-summary": performance_summary,
}
#: A generated block: its opening marker, its lines (none in a block not rendered yet), its closing marker.
BLOCK = re.compile(r"(<!-- ([a-z0-9-]+): generated from [^>]*-->\n)((?:.*?\n)?)(<!-- /\2 -->)", re.S)
OPENING = re.compile(r"<!-- ([a-z0-9-]+): generated from ")


def documents(root: Path) -> List[Path]:
    """The files that may hold generated blocks."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render_file(path: Path, sources: Sources) -> str:
    """The file's text with every generated block rendered afresh."""
    text = path.read_text()
    opened = OPENING.findall(text)
    closed = [match.group(2) for match in BLOCK.finditer(text)]
    if opened != closed:
        raise ValueError(f"{path}: a generated block lacks its closing marker: {sorted(set(opened) - set(closed))}")
    unknown = sorted(set(closed) - set(BLOCKS))
    if unknown:
        raise ValueError(f"{path}: no renderer for the blocks {unknown}")
    return BLOCK.sub(lambda match: match.group(1) + BLOCKS[match.group(2)](sources) + "\n" + match.group(4), text)


def problems(root: Path) -> List[str]:
    """Everything that is stale or missing; empty when the docs agree with their sources."""
    from ta_compat import _families as families

    sources, found, used = Sources(root), [], set()
    for path in documents(root):
        text = path.read_text()
        try:
            render_file(path, sources)  # the markers are sound and each has a renderer
        except ValueError as exc:
            found.append(str(exc))
            continue
        for match in BLOCK.finditer(text):
            used.add(match.group(2))
            if BLOCKS[match.group(2)](sources) + "\n" != match.group(3):
                found.append(f"{path.relative_to(root)}: the block {match.group(2)} differs from its source")
    found += [f"the block {name} is used in no document" for name in sorted(set(BLOCKS) - used)]
    for stack in ("modern", "legacy"):
        recorded = {row["family"] for row in sources.recorded(stack)["doctor"]["report"]["families"]}
        if recorded != set(families.names()):
            found.append(f"docs/recorded/{stack}.json does not cover exactly the registry's families: {RERECORD}")
    readme_lines = len((root / "README.md").read_text().splitlines())
    if readme_lines > README_LIMIT:
        found.append(f"README.md has {readme_lines} lines, more than {README_LIMIT}")
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Rewrite the blocks, or check them (``--check``), or print one (``--print``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2], help="the checkout")
    parser.add_argument("--check", action="store_true", help="exit 1 naming each stale block; change nothing")
    parser.add_argument("--print", dest="block", choices=sorted(BLOCKS), help="print one rendered block")
    args = parser.parse_args(argv)
    if args.block:
        print(BLOCKS[args.block](Sources(args.root)))
        return 0
    if args.check:
        found = problems(args.root)
        for problem in found:
            print(problem)
        return 1 if found else 0
    for path in documents(args.root):
        try:
            rendered = render_file(path, Sources(args.root))
        except ValueError as exc:  # a marker without its pair or renderer: say which, change nothing more
            print(exc, file=sys.stderr)
            return 1
        if rendered != path.read_text():
            path.write_text(rendered)
            print(f"rewrote {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
