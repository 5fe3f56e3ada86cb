"""Speed and accuracy of `grader similarity` on the synthetic class of tests/classmates.

    .venv/bin/python benchmarks/bench_similarity.py [--students 100] [--tp tp2] [--seed 12]

Builds the class as real git repos and a collect output folder (bare mirrors, submissions; no
grading): independent students drawing one implementation per function, tests/alternatives/ as
one student, a declared pair, and the planted copies of the TP (disguised by renaming,
reordering, comments, reformatting, one function rewritten). Then times the command as an
instructor runs it (`grader similarity TP`, report and gradebook page included) and, in process,
its stages; and scores the ranking: precision and recall of "score ≥ threshold" against the
planted pairs, and the margin between the lowest planted pair and the highest independent one.
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

from grader.integrity import similarity  # noqa: E402
from grader.course.submissions import read_submissions  # noqa: E402
from grader.grading.config import Project  # noqa: E402
from tests.classmates import PLANTED, build_collect_folder  # noqa: E402

GRADER = str(Path(sys.executable).parent / "grader")


def ranking(pairs: list[similarity.Pair], planted: set, tp: str, threshold: float) -> dict[str, float]:
    copies = [p for p in pairs if (tp, frozenset({p.a, p.b})) in planted]
    others = [p for p in pairs if (tp, frozenset({p.a, p.b})) not in planted]
    flagged = [p for p in pairs if p.score >= threshold]
    hits = sum((tp, frozenset({p.a, p.b})) in planted for p in flagged)
    return {"pairs": len(pairs), "planted": len(copies), "lowest planted": min(p.score for p in copies),
            "highest independent": max(p.score for p in others),
            "median independent": sorted(p.score for p in others)[len(others) // 2],
            "precision": hits / len(flagged) if flagged else 1.0, "recall": hits / len(copies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100, help="repository owners in all")
    parser.add_argument("--tp", default="tp2", help="one TP, or several separated by commas (tp1,tp2: the test class)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    tps = tuple(args.tp.split(","))
    copies = sum(tp in tps for tp, _, _ in PLANTED)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        course, out, planted = build_collect_folder(Path(tmp), args.students - copies - 2, args.seed, tps)
        built = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([GRADER, "similarity", *tps, "--course", str(course), "--out", str(out)], check=True,
                       capture_output=True)
        command = time.perf_counter() - start
        print(f"| class | {args.students} repository owners, {', '.join(tps)} ({copies} planted copies), seed {args.seed} |")
        print(f"| building the class's repos (not timed below) | {built:.1f} s |")
        print(f"| `grader similarity {' '.join(tps)}` (CSV, HTML report, gradebook page) | **{command:.1f} s** | < 60 s |")
        for tp in tps:
            stages(Project.at(ROOT), out, tp, planted)


def stages(project: Project, out: Path, tp: str, planted: set) -> None:
    """Time each stage of one TP in process, and score its ranking."""
    timings = {}
    start = time.perf_counter()
    docs, _ = similarity.documents([out], read_submissions([out]), tp)
    timings["read the graded commits"] = time.perf_counter() - start
    start = time.perf_counter()
    printed = similarity.fingerprint_all(docs, similarity.boilerplate(project, tp))
    timings["fingerprint each submission once"] = time.perf_counter() - start
    start = time.perf_counter()
    pairs, _ = similarity.compare_class(tp, printed)
    timings[f"compare every pair ({len(pairs)})"] = time.perf_counter() - start
    for name, seconds in timings.items():
        print(f"| {tp}: {name} | {seconds:.1f} s |")
    print(f"| {tp}: threshold | {similarity.THRESHOLD:.0%} |")
    for name, value in ranking(pairs, planted, tp, similarity.THRESHOLD).items():
        print(f"| {tp}: {name} | {value:.3f} |" if isinstance(value, float) else f"| {tp}: {name} | {value} |")


if __name__ == "__main__":
    main()
