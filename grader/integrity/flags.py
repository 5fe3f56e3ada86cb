"""Integrity flags: hints for the instructor about a submission. Flags inform; they never change
a mark, and they never reach a student (not the feedback files, not Moodle's CSV).

Four kinds (labels in French, as on the instructor's page):
- `data-access`: the TP package loads a dataset, reads files or opens the network (grader.integrity.codescan);
- `embedded-data`: the repository carries data files, or `.py` files with huge numeric literals;
- `held-out`: the held-out tests (rubric's `held_out`) pass while most other tests fail;
- `last-minute`: one commit adds most of the TP's code just before the deadline.
The first, second and fourth come from the graded commit and its history; `grader collect`
stores them per repository owner in `flags/<owner>.json`. The third is derived from the stored
gradings whenever the gradebook is rendered, so that merged shards are judged against the whole
class; nothing is re-read from the repositories then.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import statistics
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..base.files import write_atomically
from ..course.course import Course
from ..course.gradebook import Submission
from ..course.review import NO_REVIEW, Decision, Review
from ..course.roster import RepoOwner
from ..grading.config import Project
from ..grading.marks import Grading
from ..grading.repos import commit_files
from .codescan import ScanMemo, scan_commit
from .pairs import THRESHOLD, Pair, percent, stored

KINDS = {"data-access": "accès à des données", "embedded-data": "données embarquées",
         "held-out": "tests sur données cachées", "last-minute": "tout ajouté juste avant la date limite"}
PASTE_WINDOW = timedelta(minutes=30)  # default: how long before the deadline a big commit counts as last-minute
PASTE_SHARE = 0.8  # share of the TP's code lines the one commit adds
PASTE_MIN_LINES = 30  # below this many code lines the TP is too small to judge
HELD_OUT_PASS, OTHERS_FAIL, GAP_OVER_CLASS = 0.75, 0.5, 0.5  # see held_out_flags
MAX_PER_SUBMISSION = 20  # findings kept per (owner, TP): the first ones by file and line
SCANNERS = hashlib.sha256(b"".join(Path(__file__).with_name(name).read_bytes()
                                   for name in ("codescan.py", "flags.py"))).hexdigest()[:16]


@dataclass(frozen=True)
class Flag:
    owner: str  # repository owner (student or group id)
    tp: str  # "tp1"
    kind: str  # one of KINDS
    where: str  # "tp1/mlp.py:12", a commit, or ""
    detail: str  # French, for the instructor

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def line(self) -> str:
        return f"{self.owner} {self.tp} {self.kind}: " + " · ".join(filter(None, [self.where, self.detail]))


def scan_submission(mirror: Path, owner: RepoOwner, submission: Submission, course: Course,
                    starter: set[str], window: timedelta = PASTE_WINDOW, memo: ScanMemo | None = None) -> list[Flag]:
    """The stored flags of one graded commit: static scans and its history. `memo`: shared by
    the scans of a run, so that the files every repository holds are read and parsed once."""
    known = (lambda path, blob: memo.knows(blob, path.startswith(f"{submission.tp}/"))) if memo else (lambda *_: False)
    files = commit_files(mirror, submission.commit, max_read=2 << 20, skip=known)
    found = [Flag(owner.id, submission.tp, f.kind, f.where, f.detail)
             for f in scan_commit(files, submission.tp, memo)]
    found = found[:MAX_PER_SUBMISSION]
    paste = last_minute(mirror, submission.commit, submission.tp, starter, deadline(course, owner, submission.tp), window)
    if paste is not None:
        found.append(Flag(owner.id, submission.tp, "last-minute", *paste))
    return found


def cached_scan(out: Path, mirror: Path, owner: RepoOwner, submission: Submission, course: Course,
                starter: set[str], window: timedelta = PASTE_WINDOW, memo: ScanMemo | None = None) -> list[Flag]:
    """`scan_submission`, stored in `out/scans/`: a re-run of an unchanged class reads the flags back
    instead of scanning every commit and its history again. The key holds all the scan depends on:
    the commit, the owner's deadline, the window, the starter's lines and the scanners' own code."""
    due = deadline(course, owner, submission.tp)
    key = hashlib.sha256(json.dumps([SCANNERS, owner.id, submission.tp, submission.commit, due.isoformat(),
                                     window.total_seconds(), sorted(starter)]).encode()).hexdigest()
    path = out / "scans" / submission.tp / f"{owner.id}-{submission.commit}.json"
    try:
        stored_scan = json.loads(path.read_text(encoding="utf-8"))
        if stored_scan["key"] == key:
            return [Flag(**item) for item in stored_scan["flags"]]
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: scan again
        pass
    found = scan_submission(mirror, owner, submission, course, starter, window, memo)
    write_atomically(path, json.dumps({"key": key, "flags": [asdict(f) for f in found]}, ensure_ascii=False))
    return found


def starter_lines(project: Project, tp: str) -> set[str]:
    """The stripped lines of the stubs: lines a student did not write."""
    return {line.strip() for path in (project.assignments / tp).rglob("*.py")
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def deadline(course: Course, owner: RepoOwner, tp: str) -> datetime:
    """The TP's deadline with the largest extension of the owner or of one of its members."""
    delays = [e.delay for e in course.extensions if e.owner in (owner.id, *owner.members) and e.tp in (None, tp)]
    return course.tp(tp).deadline + max(delays, default=timedelta(0))


def last_minute(mirror: Path, sha: str, tp: str, starter: set[str], due: datetime,
                window: timedelta) -> tuple[str, str] | None:
    """(commit, French detail) when one commit of the graded history adds most of the TP's code
    lines (not the starter's) within `window` before the deadline, else None. Commit dates are
    the student's own: a forged date hides a paste, so this is a hint, never evidence."""
    log = subprocess.run(["git", "--git-dir", str(mirror), "log", "--no-renames", "-p", "-U0", "--format=%x01%H %ct",
                          sha, "--", f"{tp}/"], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    commits = []
    for chunk in log.split("\x01")[1:]:
        head, _, patch = chunk.partition("\n")
        commit, stamp = head.split()
        added = sum(1 for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")
                    and line[1:].strip() and line[1:].strip() not in starter)
        commits.append((added, commit, datetime.fromtimestamp(int(stamp), timezone.utc)))
    total = sum(added for added, _, _ in commits)
    if total < PASTE_MIN_LINES:
        return None
    added, commit, when = max(commits)
    if added < PASTE_SHARE * total or not due - window <= when <= due:
        return None
    minutes = int((due - when).total_seconds() // 60)
    return (commit[:10], f"ce commit ajoute {added} des {total} lignes de code du TP ({percent(added / total)}), "
                         f"{minutes} min avant la date limite (date du commit, déclarée par l'étudiant)")


def held_out_flags(project: Project, submissions: list[Submission]) -> list[Flag]:
    """Held-out tests passed while most other tests fail, in a way the class does not show.

    For each graded submission of a TP whose rubric lists `held_out` tests: h = share of the
    held-out points earned, u = share of the other points earned. Flagged when h ≥ 0.75 and
    u < 0.5 and h − u exceeds the class's median h − u for that TP by at least 0.5 (a class
    where everyone's training tests pass and unit tests fail is a grader problem, not a student's)."""
    by_tp: dict[str, list[tuple[Submission, float, float]]] = {}
    rubrics: dict[str, frozenset[str]] = {}
    for s in submissions:
        if s.grading is None:
            continue
        held = rubrics.setdefault(s.tp, project.tp(s.tp).rubric.held_out) if s.tp not in rubrics else rubrics[s.tp]
        if held and any(t.id in held for t in s.grading.tests):
            by_tp.setdefault(s.tp, []).append((s, _share(s.grading, held, True), _share(s.grading, held, False)))
    flags = []
    for tp, rows in sorted(by_tp.items()):
        median_gap = statistics.median(h - u for _, h, u in rows)
        for s, h, u in rows:
            if h >= HELD_OUT_PASS and u < OTHERS_FAIL and h - u - median_gap >= GAP_OVER_CLASS:
                flags.append(Flag(s.owner, tp, "held-out", "",
                                  f"{percent(h)} des points sur données cachées, {percent(u)} des autres points "
                                  f"(écart médian de la classe : {'+' * (median_gap >= 0)}{percent(median_gap)})"))
    return flags


def _share(grading: Grading, held: frozenset[str], inside: bool) -> float:
    tests = [t for t in grading.tests if (t.id in held) == inside]
    at_stake = sum(t.max_points for t in tests)
    return sum(t.points for t in tests) / at_stake if at_stake else 0.0


def flags_path(out: Path, owner: str) -> Path:
    return out / "flags" / f"{owner}.json"


def write_flags(out: Path, owner: str, flags: list[Flag]) -> None:
    write_atomically(flags_path(out, owner), json.dumps([asdict(f) for f in flags], ensure_ascii=False, indent=1) + "\n")


def read_flags(folders: list[Path]) -> list[Flag]:
    found = []
    for folder in folders:
        for path in sorted((folder / "flags").glob("*.json")):
            found += [Flag(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    return found


@dataclass(frozen=True)
class ClassIntegrity:
    flags: tuple[Flag, ...]  # every flag of the class, by owner, TP and place
    similarity: tuple[tuple[str, tuple[Pair, ...]], ...]  # (TP, its stored pairs best first), TPs in course order
    review: Review = NO_REVIEW  # the instructor's decisions (integrity-review.yaml): shown, never a mark

    def of(self, owner: str) -> list[Flag]:
        return [f for f in self.flags if f.owner == owner]

    def visible_of(self, owner: str) -> list[Flag]:
        """The owner's flags that no decision has set aside (écarté)."""
        return [f for f in self.of(owner) if not ((d := self.flag_decision(f)) and d.hidden)]

    def flag_decision(self, flag: Flag) -> Decision | None:
        return self.review.of_flag(flag.owner, flag.tp, flag.kind, flag.where)

    def pair_decision(self, tp: str, pair: Pair) -> Decision | None:
        return self.review.of_pair(tp, pair.a, pair.b)

    def closest(self, owner: str) -> tuple[str, Pair] | None:
        """The TP and pair of this owner's highest similarity over the TPs compared (classmates,
        archive and sources), leaving out the pairs the instructor set aside (écarté)."""
        best = [(p.score, tp, p) for tp, pairs in self.similarity for p in self._first_with(tp, pairs, owner)]
        if not best:
            return None
        _, tp, pair = max(best, key=lambda item: item[0])
        return tp, pair

    def _first_with(self, tp: str, pairs: tuple[Pair, ...], owner: str) -> list[Pair]:
        return next(([p] for p in pairs if owner in (p.a, p.b)
                     and not ((d := self.pair_decision(tp, p)) and d.hidden)), [])

    def listed_pairs(self, threshold: float = THRESHOLD) -> list[tuple[str, Pair, Decision | None]]:
        """The pairs the gradebook page lists: at or above the threshold, or with a decision."""
        return [(tp, p, d) for tp, pairs in self.similarity for p in pairs
                if (d := self.pair_decision(tp, p)) is not None or p.score >= threshold]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["owner", "tp", "kind", "label", "where", "detail", "decision", "note"])
        for f in self.flags:
            decision = self.flag_decision(f)
            writer.writerow([f.owner, f.tp, f.kind, f.label, f.where, f.detail, decision.decision if decision else "",
                             decision.note if decision else ""])
        return out.getvalue()

    def summary(self) -> str:
        """The instructor's console line."""
        owners = len({f.owner for f in self.flags})
        tops = [f"{tp} {pairs[0].score:.0%} ({pairs[0].a} – {pairs[0].b})" for tp, pairs in self.similarity if pairs]
        decided = f" · {len(self.review.decisions)} decision(s) in {self.review.path.name}" if self.review.decisions else ""
        return (f"integrity: {len(self.flags)} flag(s) for {owners} repositor{'y' if owners == 1 else 'ies'} "
                f"(integrity.csv)" + (f" · highest similarity: {', '.join(tops)}" if tops else "") + decided)


def load(project: Project, course: Course, sources: list[Path], reports: list[Path],
         submissions: list[Submission]) -> ClassIntegrity:
    """The flags stored in the collect folders `sources`, the held-out flags of the stored gradings,
    and the similarity pairs of the first folder of `reports` that has them."""
    order = {tp.name: i for i, tp in enumerate(course.tps)}
    flags = read_flags(sources) + held_out_flags(project, [s for s in submissions if s.tp in order])
    flags.sort(key=lambda f: (f.owner, order.get(f.tp, 99), f.kind, f.where))
    similarity = tuple((tp.name, tuple(pairs)) for tp in course.tps
                       if (pairs := stored(reports, tp.name)) is not None)
    return ClassIntegrity(tuple(flags), similarity, course.review)
