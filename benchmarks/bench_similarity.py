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

from grader import similarity  # noqa: E402
from grader.collect import read_submissions  # noqa: E402
from grader.config import Project  # noqa: E402
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
    parser.add_argument("--tp", default="tp2")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    copies = sum(tp == args.tp for tp, _, _ in PLANTED)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        course, out, planted = build_collect_folder(Path(tmp), args.students - copies - 2, args.seed, (args.tp,))
        built = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([GRADER, "similarity", args.tp, "--course", str(course), "--out", str(out)], check=True,
                       capture_output=True)
        command = time.perf_counter() - start
        project = Project.at(ROOT)
        stages = {}
        start = time.perf_counter()
        docs, _ = similarity.documents([out], read_submissions([out]), args.tp)
        stages["read the graded commits"] = time.perf_counter() - start
        start = time.perf_counter()
        printed = similarity.fingerprint_all(docs, similarity.boilerplate(project, args.tp))
        stages["fingerprint each submission once"] = time.perf_counter() - start
        start = time.perf_counter()
        pairs, _ = similarity.compare_class(args.tp, printed)
        stages[f"compare every pair ({len(pairs)})"] = time.perf_counter() - start
        scores = ranking(pairs, planted, args.tp, similarity.THRESHOLD)
    print(f"| class | {len(docs)} submissions of {args.tp} ({copies} planted copies), seed {args.seed} |")
    print(f"| building the class's repos (not timed below) | {built:.1f} s |")
    print(f"| `grader similarity {args.tp}` (CSV, HTML report, gradebook page) | **{command:.1f} s** | < 60 s |")
    for name, seconds in stages.items():
        print(f"| of which {name} | {seconds:.1f} s |")
    print(f"| threshold | {similarity.THRESHOLD:.0%} |")
    for name, value in scores.items():
        print(f"| {name} | {value:.3f} |" if isinstance(value, float) else f"| {name} | {value} |")


if __name__ == "__main__":
    main()
