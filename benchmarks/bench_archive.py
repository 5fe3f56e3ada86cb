"""Speed and accuracy of `grader similarity` against an archive of past classes and public sources.

    .venv/bin/python benchmarks/bench_archive.py [--students 100] [--archive 300] [--sources 5] [--tp tp2]

Builds (tests/classmates/years.py) a past class of `--archive` independent students, `--sources`
public solutions, and this year's class of `--students` repository owners as real git repos and a
collect folder: independent students and the planted copies of tests/classmates/years.COPIES (five
2025 submissions and one source, disguised by renaming, reordering, comments, reformatting, one
function rewritten). The archive is filled with grader.integrity.archive.write_record (what `grader archive`
writes for each submission; its fingerprinting is timed apart). Then times `grader similarity TP`
as an instructor runs it (CSV, HTML report, oral sheets, gradebook page), once from nothing and
once again unchanged (the cache), and scores the ranking: precision and recall of "score ≥
threshold" against the planted pairs, the margin between the lowest planted pair and the highest
other pair, and whether each copy's closest match is its true origin.
With `--students 32 --archive 30 --sources 2 --tp tp1` it is the class of tests/test_archive.py.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.integrity import archive, similarity  # noqa: E402
from grader.integrity.documents import Document, SourceFile  # noqa: E402
from grader.integrity.pairs import THRESHOLD, read_csv  # noqa: E402
from tests.classmates.years import COPIES, build_years  # noqa: E402

COMMAND = [sys.executable, "-c", "import sys; from grader.cli import run; sys.argv[0] = 'grader'; run()"]


def fill_archive(base: Path, folder: Path, tp: str) -> int:
    """What `grader archive` stores, written from the 2025 students' files (no repositories)."""
    count = 0
    for owner_dir in sorted((base / "2025" / "files").iterdir()):
        files = tuple(SourceFile(f"{tp}/{p.name}", p.read_text(encoding="utf-8"))
                      for p in sorted((owner_dir / tp).glob("*.py")))
        doc = Document(owner_dir.name, "0" * 40, files)
        archive.write_record(folder, 2025, tp, doc, [archive.ArchivedStudent(owner_dir.name, f"Nom {owner_dir.name}", None)],
                             "Classe synthétique")
        count += 1
    return count


def ranking(pairs: list[similarity.Pair], planted: dict[str, str]) -> dict[str, object]:
    copies = [p for p in pairs if planted.get(p.a) == p.b]
    others = [p for p in pairs if planted.get(p.a) != p.b]
    flagged = [p for p in pairs if p.score >= THRESHOLD]
    hits = sum(planted.get(p.a) == p.b for p in flagged)
    named = sum(max((p for p in pairs if c in (p.a, p.b)), key=lambda p: p.score).b == o for c, o in planted.items())
    return {"pairs (class, archive, sources)": f"{sum(not p.origin for p in pairs)}, "
                                               f"{sum(p.origin == 'archive' for p in pairs)}, "
                                               f"{sum(p.origin == 'source' for p in pairs)}",
            "planted copies found": f"{len(copies)} / {len(planted)}",
            "lowest planted": min(p.score for p in copies), "highest other pair": max(p.score for p in others),
            "margin": min(p.score for p in copies) - max(p.score for p in others),
            "precision": hits / len(flagged) if flagged else 1.0, "recall": hits / len(planted),
            "copies whose closest match is their origin": f"{named} / {len(planted)}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100, help="repository owners this year, copies included")
    parser.add_argument("--archive", type=int, default=300, help="archived submissions of 2025")
    parser.add_argument("--sources", type=int, default=5, help="public source folders")
    parser.add_argument("--tp", default="tp2")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        start = time.perf_counter()
        years = build_years(base, args.archive, args.students - len(COPIES), args.sources, args.seed, args.tp,
                            archive_2025=False)
        built = time.perf_counter() - start
        start = time.perf_counter()
        stored = fill_archive(base, years.archive, args.tp)
        archived = time.perf_counter() - start
        out = years.course_2026.parent / "out"
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(COMMAND + ["similarity", args.tp, "--course", str(years.course_2026), "--out", str(out)],
                           check=True, capture_output=True, cwd=ROOT)
            timings.append(time.perf_counter() - start)
        print(f"| class | {args.students} repository owners ({len(COPIES)} planted copies), archive of {stored} "
              f"(2025), {args.sources} sources, {args.tp}, seed {args.seed} |")
        print(f"| building the repos and sources (not timed below) | {built:.1f} s |")
        print(f"| archiving the {stored} past submissions (fingerprints stored once) | {archived:.1f} s |")
        print(f"| `grader similarity {args.tp}`, first run (CSV, HTML, oral sheets, gradebook page) | **{timings[0]:.1f} s** | < 90 s |")
        print(f"| `grader similarity {args.tp}`, unchanged re-run (cache) | {timings[1]:.1f} s |")
        print(f"| threshold | {THRESHOLD:.0%} |")
        for name, value in ranking(read_csv(out / f"similarity-{args.tp}.csv"), years.planted).items():
            print(f"| {name} | {value:.3f} |" if isinstance(value, float) else f"| {name} | {value} |")


if __name__ == "__main__":
    main()
