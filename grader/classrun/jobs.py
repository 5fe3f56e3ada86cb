"""The gradings of a class run, one per commit: where each result is stored (the cache key), the
grading of one commit in a pool process, and what the gradebook gets for one owner and TP.

A result is stored under (TP, commit, hidden side's version, grader version, every setting that
can change a mark): a rerun grades only what changed, and a run with other settings grades again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..base.files import write_atomically
from ..course.course import TPConfig
from ..course.gradebook import Submission, late_penalty
from ..course.ledger import Ledger
from ..course.roster import RepoOwner
from ..grading.config import TP
from ..grading.marks import Grading
from ..grading.poolstart import project_tp
from ..grading.repos import commit_date, export, is_ancestor
from ..grading.runner import RunOptions, grade_checkout
from ..sandbox.policy import fast_scratch

NO_PACKAGE = "le commit {sha} ne contient pas de dossier {tp}/"
GRADING_FAILED = "la notation n'a pas pu se faire"  # a grading that raised, or whose process died twice


@dataclass(frozen=True)
class Job:
    owner: str  # who
    tp: str  # which TP
    sha: str  # which commit
    mirror: Path  # where its objects are
    result: Path  # where its result goes (the cache)


def result_path(out: Path, tp: TP, sha: str, run: RunOptions) -> Path:
    """The cache key: (TP, commit, reference version, grader version, every setting that can
    change a mark): a run with other settings grades again instead of reusing a mark they made."""
    return out / "results" / tp.name / f"{sha}-{tp.version}-{__version__}-{settings_key(run)}.json"


def settings_key(run: RunOptions) -> str:
    """What, besides the commit and the hidden side, can change a mark: the delay per call, the
    isolation layers switched off, the held-out key (hashed: it is a secret) and seed, the tests run."""
    settings = [run.call_timeout, sorted(run.without), hashlib.sha256(run.heldout_key.encode()).hexdigest()[:16],
                run.heldout_seed, sorted(run.only)]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:10]


def grading_likely(out: Path, tps: list[TP], owners: int, run: RunOptions = RunOptions()) -> bool:
    """Whether this run will grade (before fetching, to start the pool meanwhile): some TP has
    fewer stored results of its current hidden tests than there are repositories."""
    patterns = [result_path(out, tp, "*", run) for tp in tps]  # any commit, these hidden tests and settings
    return any(len(list(pattern.parent.glob(pattern.name))) < owners for pattern in patterns)


def grade_job(root: Path, job: Job, run: RunOptions) -> tuple[bool, list[str]]:
    """In a pool process: export the commit, grade it, store the result atomically."""
    project, tp = project_tp(root, job.tp)
    with tempfile.TemporaryDirectory(prefix=f"dlgrade-export-{os.getpid()}-", dir=fast_scratch()) as scratch:
        checkout = Path(scratch) / "checkout"
        try:
            notes = export(job.mirror, job.sha, checkout)
        except Exception as exc:  # corrupt objects, a missing commit...
            return False, [f"commit {job.sha[:10]} illisible ({type(exc).__name__})"]
        if not (checkout / job.tp).is_dir():
            notes.append(NO_PACKAGE.format(sha=job.sha[:10], tp=job.tp))
        grading, _ = grade_checkout(project, tp, checkout, job.owner, job.sha, run, scratch=True)
    write_atomically(job.result, grading.to_json() + "\n")
    write_atomically(job.result.with_suffix(".notes.json"), json.dumps(notes, ensure_ascii=False))
    return True, notes


def submission(out: Path, ledger: Ledger, mirror: Path | None, repo_owner: RepoOwner, tp: TPConfig, project_tp: TP,
               found: list[tuple[str, str]], notes: list[str], export_notes: dict, checks: list[str],
               trust_commit_dates: bool = False, run: RunOptions = RunOptions()) -> Submission:
    """What the gradebook gets for one (owner, TP): the better candidate after lateness."""
    owner, options = repo_owner.id, []
    refs = dict(found)
    for sha, _ in found:
        path = result_path(out, project_tp, sha, run)
        if not path.exists():
            continue
        grading = Grading.from_json(path.read_text(encoding="utf-8"))
        seen = ledger.first_seen(owner, sha, lambda a, b: is_ancestor(mirror, a, b), repo_owner.url)
        if trust_commit_dates:  # the instructor chose to take the commit's own date on trust
            dated = commit_date(mirror, sha)
            seen = min(seen, dated) if seen and dated else seen or dated
        extra = export_notes.get((owner, tp.name, sha))
        if extra is None and path.with_suffix(".notes.json").exists():
            extra = json.loads(path.with_suffix(".notes.json").read_text(encoding="utf-8"))
        after = grading.mark - late_penalty(tp.late_penalty, tp.deadline, seen, grading.mark).penalty
        options.append((after, sha, seen, grading, tuple(extra or ())))
    # The TP's own notes, without the "tp1 : " that told them apart (the gradebook says which TP).
    tp_notes = tuple(n.removeprefix(f"{tp.name} : ") for n in notes if n.startswith(f"{tp.name} :") or not n.startswith("tp"))
    if not options:  # nothing graded: say why, with what the failed gradings reported
        failed = tuple(note for sha, _ in found for note in export_notes.get((owner, tp.name, sha), ()))
        unreadable = any(note.startswith(f"commit {sha[:10]} illisible") for sha, _ in found for note in failed)
        crashed = any(note.startswith(GRADING_FAILED) for note in failed)
        return Submission(owner, tp.name, None, None, None, tp_notes + failed, None,
                          tuple(checks) + ("corrupt",) * unreadable + ("grading-failed",) * crashed)
    _, sha, seen, grading, extra = max(options, key=lambda option: option[0])
    no_package = NO_PACKAGE.format(sha=sha[:10], tp=tp.name) in extra
    return Submission(owner, tp.name, sha, seen, grading, tp_notes + extra, refs[sha],
                      tuple(checks) + ("no-package",) * no_package)
