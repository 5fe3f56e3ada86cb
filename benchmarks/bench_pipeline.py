"""Time from `git push` to a JUnit report, in a gitlab-ci-local run of the student pipeline (TP1).

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 3]

A released starter repo is pushed to a bare repository standing in for GitLab; a student clone
fills TP1 from solutions/, commits and pushes; the "runner" clones the pushed commit and runs the
starter's own `.gitlab-ci.yml` job `check: [tp1]` with gitlab-ci-local (shell executor), until
`report-tp1.xml` is there. Two cases:

- a runner whose image already has dlgrade (grader on PATH): the usual set-up;
- a bare Python image: the job's before_script installs the grader's wheel (and CPU torch) into
  a fresh virtual environment first.

The job log's timestamps split each run into install (before_script), grading (`grader check`)
and overhead (push, clone, gitlab-ci-local's parsing, copying and artifacts). The baseline, in
the same run, is `grader check tp1` typed directly in the student's clone.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import git

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
GCL = ROOT / ".tools" / "node_modules" / ".bin" / "gitlab-ci-local"
ACTOR = git.Actor("Étudiante", "e@example.org")
STAMP = re.compile(r"^\[[\d:]+\s+([\d.]+)\s*(ms|s|min)\]")


def seconds(line: str) -> float | None:
    match = STAMP.match(line)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value * 60 if unit == "min" else value


def phases(log: str) -> tuple[float, float]:
    """(install, grading) seconds from gitlab-ci-local's --timestamps log of one job."""
    lines = [line for line in log.splitlines() if "check: [tp1]" in line]
    before = next(seconds(line) for line in lines if "$ if ! command -v grader" in line)
    grading = next(seconds(line) for line in lines if "$ grader check" in line)
    done = next(seconds(line) for line in lines if "finished in" in line)
    return grading - before, done - grading


def one_run(work: Path, starter: Path, grader_on_path: bool) -> dict[str, float]:
    server = work / "server.git"
    git.Repo.clone_from(starter, server, bare=True)
    student = git.Repo.clone_from(server, work / "student")
    shutil.rmtree(work / "student" / "tp1")
    shutil.copytree(ROOT / "solutions" / "tp1", work / "student" / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    student.git.add(A=True)
    student.index.commit("TP1", author=ACTOR, committer=ACTOR)
    path = [str(GCL.parent)] + ([str(VENV_BIN)] if grader_on_path else []) + ["/usr/bin", "/bin"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CI_")}, "PATH": ":".join(path)}
    start = time.perf_counter()
    student.git.push("origin", "main")
    runner = git.Repo.clone_from(server, work / "runner")  # what the runner checks out
    done = subprocess.run([str(GCL), "--shell-isolation", "--force-shell-executor", "--timestamps", "check: [tp1]"],
                          cwd=runner.working_dir, env=env, capture_output=True, text=True, timeout=900)
    total = time.perf_counter() - start
    if done.returncode or not (work / "runner" / "report-tp1.xml").exists():
        raise SystemExit(f"the pipeline failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    install, grading = phases(done.stdout)
    return {"total": total, "install": install, "grading": grading, "overhead": total - install - grading}


def direct(work: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(VENV_BIN / "grader"), "check", "tp1"], cwd=work / "student", check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not GCL.exists():
        raise SystemExit("gitlab-ci-local is missing: run ./setup.sh")
    with tempfile.TemporaryDirectory() as scratch:
        starter = Path(scratch) / "starter"
        subprocess.run([str(VENV_BIN / "grader"), "release", str(starter)], check=True, capture_output=True)
        for label, on_path in (("image with dlgrade", True), ("bare Python image (installs the wheel)", False)):
            runs, baselines = [], []
            for index in range(args.runs):
                work = Path(scratch) / f"{on_path}-{index}"
                runs.append(one_run(work, starter, on_path))
                baselines.append(direct(work))
            median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            base = statistics.median(baselines)
            print(f"{label}: push → JUnit {median['total']:.2f} s (median of {args.runs}) = "
                  f"install {median['install']:.2f} s + grading {median['grading']:.2f} s + "
                  f"overhead {median['overhead']:.2f} s; `grader check tp1` alone {base:.2f} s "
                  f"→ {median['total'] / base:.1f}× the direct check")


if __name__ == "__main__":
    main()
