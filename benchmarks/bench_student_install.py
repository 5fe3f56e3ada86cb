"""Size and time of the students' install: the wheel `grader release` puts in `outils/`.

    .venv/bin/python benchmarks/bench_student_install.py [--baseline GIT_REF] [--python /usr/bin/python3]

Builds the starter repo from this checkout (and, with --baseline, from a commit of this
repository, e.g. the one before the students' wheel had dependencies of its own), then for each
install command of the students' README: a fresh virtual environment, `pip install
--no-cache-dir` timed (wall clock, the machine's package mirrors), the environment's size on
disk (`du -sk`), and `grader check` run in a clone of the starter to show that the install
works (TP1 everywhere; TP2, which imports torch, where torch is installed).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = (  # (what for, extras, other packages), as assignments/README.md gives them
    ("TP1: grader check", "", ()),
    ("TP1–TP4: grader check (the student CI job)", "[torch]", ()),
    ("the whole module: check and handouts in Jupyter", "[torch,notebooks]", ()),
)
BASELINE = (("before: the README command", "[torch]", ("jupyter",)), ("before: the CI job", "[torch]", ()))


def release(project: Path, out: Path) -> Path:
    """The starter repo made by `grader release` from `project`; returns its wheel."""
    done = subprocess.run([sys.executable, "-m", "grader.cli", "--project", str(project), "release", str(out)],
                          cwd=project, env=dict(os.environ, PYTHONPATH=str(project)),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return next((out / "outils").glob("dlgrade-*.whl"))


def checkout_of(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into)  # noqa: S202 - this repository's own archive
    return into


def size_mb(folder: Path) -> float:
    return int(subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True).stdout.split()[0]) / 1024


def measure(python: str, work: Path, starter: Path, wheel: Path, what: str, extras: str,
            others: tuple[str, ...]) -> dict:
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    bare = size_mb(venv)
    command = [str(venv / "bin" / "pip"), "install", "--quiet", "--no-cache-dir", "--disable-pip-version-check",
               f"{wheel}{extras}", *others]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.monotonic() - started
    size = size_mb(venv)
    packages = len(subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], capture_output=True,
                                  text=True).stdout.splitlines())
    clone = work / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(starter), str(clone)], check=True)
    checks = []
    for tp in ("tp1", "tp2") if "torch" in extras else ("tp1",):
        done = subprocess.run([str(venv / "bin" / "grader"), "check", tp], cwd=clone, capture_output=True, text=True)
        checks.append(f"{tp}: exit {done.returncode}, {done.stdout.strip().splitlines()[-1] if done.stdout else ''}")
    shutil.rmtree(venv)
    return {"what": what, "command": f"pip install \"outils/{wheel.name}{extras}\"" + "".join(f" {o}" for o in others),
            "seconds": seconds, "size": size, "bare": bare, "packages": packages, "checks": "; ".join(checks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure the wheel released from this commit")
    parser.add_argument("--python", default="/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        starter = work / "starter"
        wheel = release(ROOT, starter)
        runs = [(starter, wheel, variant) for variant in VARIANTS]
        if args.baseline:
            old_starter = work / "starter-baseline"
            old = release(checkout_of(args.baseline, work / "baseline"), old_starter)
            runs += [(old_starter, old, variant) for variant in BASELINE]
        for repo, which, (what, extras, others) in runs:
            rows.append(measure(args.python, work, repo, which, what, extras, others))
            print(rows[-1], flush=True)
    print("\n| install | command | time | environment size | packages | grader check |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['what']} | `{row['command']}` | {row['seconds']:.0f} s | {row['size']:.0f} MB "
              f"(bare venv {row['bare']:.0f} MB) | {row['packages']} | {row['checks']} |")


if __name__ == "__main__":
    main()
