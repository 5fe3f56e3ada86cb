"""`grader collect`: the whole class, from Git repos to stored results (then `report`).

Per repository owner of the roster (a shard of them with --shard): fetch the repo, record what
each ref points to in the ledger, pick each TP's commit, grade what the cache does not hold yet
(in parallel), and store one submissions file per owner. Every file is written atomically, so a
run killed at any moment resumes where it stopped and regrades nothing already stored.
"""
from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no lock (collect's sandbox needs Linux anyway)
    fcntl = None

from ..base.errors import GraderError, UsageError
from ..base.files import write_atomically
from ..course.course import Course, TPConfig, load_class
from ..course.gradebook import Submission
from ..course.ledger import Ledger, Sighting
from ..course.roster import RepoOwner, Roster
from ..course.submissions import RUN_FILE, write_submissions
from ..gitlab.events import pipeline_sightings, push_sightings
from ..grading.config import Project
from ..grading.pool import Pool, Task
from ..grading.poolstart import JOB_MARGIN, PoolStart
from ..grading.repos import Fetched, fetch, is_ancestor, pick, sightings_now
from ..grading.runner import RunOptions
from ..integrity.codescan import ScanMemo
from ..integrity.flags import PASTE_WINDOW, cached_scan, starter_lines, write_flags
from ..sandbox.templates import offer_templates
from .jobs import GRADING_FAILED, Job, grade_job, grading_likely, result_path, submission


FETCHERS = 8  # clones and fetches at once


@dataclass(frozen=True)
class CollectOptions:
    out: Path  # results, submissions, repos cache and gradebook go here
    ledger: Path  # the append-only ledger of sightings (kept across runs)
    jobs: int = 1  # gradings in parallel
    shard: tuple[int, int] = (1, 1)  # (i, N), 1-based: this run takes owners i, i+N, i+2N…
    snapshot: bool = False  # fetch and record sightings only
    now: datetime | None = None  # judge lateness as of this time (a past collection's view); records nothing
    clock: datetime | None = None  # what the machine's clock says (DLGRADE_CLOCK: demos and tests); None: the clock
    owners: tuple[str, ...] = ()  # collect only these repository owners (a student's or group's id); () all
    tps: tuple[str, ...] = ()  # grade only these TPs of them (the others keep what is stored); () all
    regrade: bool = False  # grade the selection again, whatever the cache holds
    repo_timeout: float = 120.0  # seconds for one clone or fetch
    run: RunOptions = field(default_factory=RunOptions)  # passed to each grading
    trust_commit_dates: bool = False  # a commit's own (forgeable) date counts as evidence of when it was seen
    allow_unreachable: bool = False  # go on when most repositories cannot be fetched
    paste_window: timedelta = PASTE_WINDOW  # integrity: a big commit this close to the deadline is flagged


@dataclass
class Summary:
    owners: int = 0  # repositories handled by this run
    graded: int = 0  # gradings done now
    cached: int = 0  # gradings found in the cache
    failed: int = 0  # gradings that could not run (export error…)
    notes: list[str] = field(default_factory=list)  # problems, one line each


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, total = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected i/N, e.g. 1/4") from None
    if not 1 <= index <= total:
        raise UsageError(f"--shard {text!r}: i must be between 1 and N")
    return index, total


def collect(project: Project, course_path: Path, options: CollectOptions) -> Summary:
    course, roster = load_class(course_path, project.tp_names())  # every config error before any fetch or grading
    unknown = [name for name in options.tps if name not in {tp.name for tp in course.tps}]
    if unknown:
        raise UsageError(f"--tp {unknown[0]}: not a TP of {course_path} ({', '.join(tp.name for tp in course.tps)})")
    if options.owners:
        options = replace(options, owners=owners_of(roster, options.owners))
    with out_lock(options.out), closing(PoolStart(project, options.run)) as started:
        return collect_class(project, course, roster, options, started)


def owners_of(roster: Roster, ids: tuple[str, ...]) -> tuple[str, ...]:
    """The repository owners of `--student` ids: a student's own, or their group's; a group id too."""
    owners = {owner.id for owner in roster.owners}
    found = []
    for ident in ids:
        if ident in owners:
            found.append(ident)
            continue
        try:
            found.append(roster.owner_of(ident).id)
        except KeyError:
            raise UsageError(f"--student {ident}: no such student or group in {roster.path}") from None
    return tuple(dict.fromkeys(found))


LOCK_FILE = ".collect.lock"  # in --out: one collect at a time per output folder


@contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for this run: a second `grader collect` on it (a scheduled
    `--snapshot` at a deadline while a collect runs…) waits for the first, instead of cloning the
    same mirrors at the same time. The lock is the kernel's (flock): a killed run releases it."""
    out.mkdir(parents=True, exist_ok=True)
    handle = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "?"
                print(f"grader: another grader collect (pid {holder}) is using {out}: waiting for it to finish",
                      file=sys.stderr, flush=True)
                fcntl.flock(handle, fcntl.LOCK_EX)
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock


def collect_class(project: Project, course: Course, roster: Roster, options: CollectOptions,
                  started: PoolStart) -> Summary:
    tps = {tp.name: project.tp(tp.name) for tp in course.tps}
    owners = sorted(roster.owners, key=lambda o: o.id)
    index, total = options.shard
    owners = [o for position, o in enumerate(owners) if position % total == index - 1]
    if options.owners:
        owners = [o for o in owners if o.id in options.owners]
    if not options.snapshot and (options.regrade or grading_likely(options.out, list(tps.values()), len(owners),
                                                                    options.run)):
        started.start(list(tps.values()))  # the pool's imports, in the background while the class is fetched
    for sub in ("repos", "results", "submissions"):
        (options.out / sub).mkdir(parents=True, exist_ok=True)
    options.out.chmod(0o700)  # the sandbox must not see other students' repos and results
    ledger, summary = Ledger(options.ledger), Summary(owners=len(owners))
    clock = options.clock or datetime.now(timezone.utc)
    now = options.now or clock  # what lateness is judged against; sightings are recorded at the clock only
    checks: dict[tuple[str, str | None], list[str]] = defaultdict(list)  # (owner, TP or None for all) -> kinds
    plans, refs = fetch_class(course, owners, options, ledger, summary, checks, clock)
    if options.snapshot:
        return summary
    candidates, jobs = plan_gradings(course, tps, ledger, plans, refs, checks, options, summary)
    if not options.trust_commit_dates:  # before any grading: a run that would zero the class stops here
        check_evidence(course, ledger, plans, candidates, now)
    else:
        write_atomically(options.out / RUN_FILE, json.dumps({"trust_commit_dates": True, "at": now.isoformat()}))
    grade_and_store(project, course, tps, ledger, plans, candidates, jobs, checks, options, summary, started)
    return summary


def fetch_class(course: Course, owners: list[RepoOwner], options: CollectOptions, ledger: Ledger, summary: Summary,
                checks: dict, clock: datetime) -> tuple[dict[str, tuple[RepoOwner, Path | None, list[str]]], dict]:
    """Fetch every repository and record what each ref points to (and GitLab's times) in the
    ledger; stop when too many repositories are unreachable. Returns (plans, refs): per owner, its
    mirror and notes, and the refs seen now."""
    plans: dict[str, tuple[RepoOwner, Path | None, list[str]]] = {}

    def fetch_refs(owner: RepoOwner) -> tuple[Fetched, dict[str, str]]:
        fetched = fetch(owner.id, owner.url, owner.token_env, options.out / "repos", options.repo_timeout)
        return fetched, sightings_now(fetched.path) if fetched.path is not None else {}

    fetches = fetch_all(owners, fetch_refs)
    sightings, source, refs = [], "snapshot" if options.snapshot else "collect", {}
    for owner, (fetched, owner_refs) in zip(owners, fetches):
        notes = [fetched.note] if fetched.note else []
        if fetched.problem:
            checks[(owner.id, None)].append(fetched.problem)
        if fetched.path is not None:
            refs[owner.id] = owner_refs
            sightings += [Sighting(owner.id, ref, sha, clock.isoformat(), source, owner.url)
                          for ref, sha in sorted(owner_refs.items())]
        plans[owner.id] = (owner, fetched.path, notes)
        summary.notes += [f"{owner.id}: {note}" for note in notes]
    if course.gitlab:  # push and pipeline times as GitLab saw them: evidence even when no snapshot ran
        for read in (push_sightings, pipeline_sightings):
            seen, gitlab_notes = read(*course.gitlab, owners, options.repo_timeout)
            sightings += seen
            summary.notes += gitlab_notes
    if options.now is None:
        ledger.record(sightings)  # one append and one fsync for the whole class
    else:  # what is seen now is no evidence of what was there at --now: history is never rewritten
        summary.notes.append(f"--now {options.now.isoformat()}: lateness judged as of then; the {len(sightings)} "
                             "ref(s) seen now are not recorded in the ledger")
    check_reachable(fetches, options)
    return plans, refs


def plan_gradings(course: Course, tps: dict, ledger: Ledger, plans: dict, refs: dict, checks: dict,
                  options: CollectOptions, summary: Summary) -> tuple[dict, list[Job]]:
    """Each owner's candidate commits per TP, and the gradings the cache lacks (a commit held by
    several repositories is graded once). Returns (candidates, jobs)."""
    candidates, jobs, scheduled = {}, [], set()
    for owner_id, (owner, mirror, notes) in plans.items():
        for tp in course.tps:
            found = choose_commits(ledger, owner, mirror, tp, notes, checks[(owner_id, tp.name)],
                                   refs.get(owner_id)) if mirror else []
            candidates[(owner_id, tp.name)] = found
            for sha, _ in found:
                result = result_path(options.out, tps[tp.name], sha, options.run)
                if result.exists() and not (options.regrade and (not options.tps or tp.name in options.tps)):
                    summary.cached += 1
                elif result not in scheduled:  # the same commit in several repos: graded once
                    scheduled.add(result)
                    jobs.append(Job(owner_id, tp.name, sha, mirror, result))
    return candidates, jobs


def grade_and_store(project: Project, course: Course, tps: dict, ledger: Ledger, plans: dict, candidates: dict,
                    jobs: list[Job], checks: dict, options: CollectOptions, summary: Summary,
                    started: PoolStart) -> None:
    """Scan the candidates in threads while the pool grades the jobs, then store each owner's
    submissions and integrity flags."""
    starters = {tp.name: starter_lines(project, tp.name) for tp in course.tps}
    memo = ScanMemo()  # what every repository shares is scanned once
    with ThreadPoolExecutor(max_workers=FETCHERS) as scans:  # git reads, while the pool grades
        flags = {(owner_id, tp.name, sha): scans.submit(scan, course, owner, mirror, tp.name, sha, starters, options, memo)
                 for owner_id, (owner, mirror, _) in plans.items() for tp in course.tps
                 for sha, _ in candidates[(owner_id, tp.name)]}
        export_notes = run_jobs(project, jobs, options, summary, started)
        for owner_id, (owner, mirror, notes) in plans.items():
            submissions = [submission(options.out, ledger, mirror, owner, course.tp(tp.name), tps[tp.name],
                                      candidates[(owner_id, tp.name)], notes, export_notes,
                                      checks[(owner_id, None)] + checks[(owner_id, tp.name)],
                                      options.trust_commit_dates, options.run) for tp in course.tps]
            write_submissions(options.out / "submissions" / f"{owner_id}.json", submissions)
            found = [flags[(owner_id, s.tp, s.commit)].result() for s in submissions if s.commit]
            write_flags(options.out, owner_id, [flag for flagged, _ in found for flag in flagged])
            summary.notes += [note for _, note in found if note]


def fetch_all(owners: list[RepoOwner], fetch_one) -> list:
    """Fetch every repository, FETCHERS at a time (git runs in subprocesses: threads suffice), with a
    progress bar on a terminal; in the roster's order. Ctrl-C stops at once: git got it too."""
    from tqdm import tqdm

    pool = ThreadPoolExecutor(max_workers=FETCHERS)
    try:
        with tqdm(total=len(owners), desc="récupération", unit="dépôt", file=sys.stderr, disable=None) as bar:
            futures = [pool.submit(fetch_one, owner) for owner in owners]
            for future in as_completed(futures):
                bar.update()
            return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def scan(course: Course, owner: RepoOwner, mirror: Path, tp: str, sha: str, starters: dict[str, set[str]],
         options: CollectOptions, memo: ScanMemo | None = None) -> tuple[list, str | None]:
    """Integrity flags of one candidate commit: (flags, a note when the scan failed). A scan that
    fails is said on the console (never in the feedback) and costs nothing else."""
    try:
        return cached_scan(options.out, mirror, owner, Submission(owner.id, tp, sha, None, None), course, starters[tp],
                           options.paste_window, memo), None
    except Exception as exc:  # a corrupt object, a git failure: the gradebook does not depend on it
        return [], f"{owner.id}: {tp} : integrity scan failed ({type(exc).__name__}: {exc})"[:300]


def choose_commits(ledger: Ledger, owner: RepoOwner, mirror: Path, tp: TPConfig, notes: list[str],
                   checks: list[str], refs: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The commit(s) to grade for one TP: [(sha, ref)]. A tag moved after the deadline gives two:
    the commit it pointed to at the last sighting before the deadline, and the new one. What the
    instructor should check goes to `notes` (French) and `checks` (kinds of grader.classrun.attention)."""
    chosen, problem, kind = pick(mirror, tp.tag, refs)
    if chosen is None:
        notes.append(f"{tp.name} : {problem}")
        checks.append(kind)
        return []
    if problem:  # graded, with something to say (another branch holds work the default one lacks)
        notes.append(f"{tp.name} : {problem}")
    earlier = ledger.ref_before(owner.id, f"tag:{tp.tag}", tp.deadline, owner.url) if chosen.ref.startswith("tag:") else None
    if earlier and earlier != chosen.sha:
        notes.append(f"{tp.name} : l'étiquette {tp.tag} a été déplacée après la date limite "
                     f"({earlier[:10]} → {chosen.sha[:10]}) ; la meilleure des deux notes est gardée")
        checks.append("moved-tag")
        return [(earlier, f"tag:{tp.tag} before the deadline"), (chosen.sha, chosen.ref)]
    return [(chosen.sha, chosen.ref)]


def run_jobs(project: Project, jobs: list[Job], options: CollectOptions, summary: Summary,
             started: PoolStart) -> dict:
    """Grade in parallel, with a progress bar; return {(owner, tp, sha): [notes]}. A grading whose
    process dies (a signal, the OOM killer) or runs past its TP's budget is retried once alone,
    then recorded as failed for that student (GRADING_FAILED, "À vérifier"): the others are
    graded as if it did not exist (grader/grading/pool.py)."""
    from tqdm import tqdm

    notes: dict = {}
    if not jobs:
        return notes
    tps = {name: project.tp(name) for name in sorted({job.tp for job in jobs})}
    started.start(list(tps.values()))
    # TP by TP: a pool process keeps the hidden tests of one TP collected (grader/grading/suite.py).
    tasks = [Task(job, grade_job, (project.root, job, options.run), tps[job.tp].budget + JOB_MARGIN)
             for job in sorted(jobs, key=lambda job: job.tp)]
    pool = Pool(max(1, options.jobs), started.context, offer_templates, (started.offers(),))
    with tqdm(total=len(jobs), desc="notation", unit="rendu", file=sys.stderr, disable=None) as bar:

        def record(job: Job, ok: bool, job_notes: list[str]) -> None:
            notes[(job.owner, job.tp, job.sha)] = job_notes
            summary.graded += ok
            summary.failed += not ok
            summary.notes += [f"{job.owner}: {job.tp} : {n}" for n in job_notes]
            bar.set_postfix(notés=summary.graded, échecs=summary.failed, cache=summary.cached)
            bar.update()

        pool.run(tasks, lambda task, value: record(task.key, *value),
                 lambda task, why: record(task.key, False, [f"{GRADING_FAILED} : {why}"[:300]]))
    return notes


def check_reachable(fetches: list[tuple[Fetched, dict]], options: CollectOptions) -> None:
    """Stop (exit 2) when more than half of the repositories could not be fetched: a wrong repo
    column, an expired token or the server down, not students. Graded now, each of them would
    get 0. One repository gone is a student's problem: it is said and the class goes on. A full
    disk on this machine is nobody's repository: it stops the run whatever the count."""
    full = [fetched.owner for fetched, _ in fetches if fetched.problem == "disk"]
    if full:
        raise GraderError(f"no space left on this machine's disk while fetching {', '.join(full[:3])}"
                          f"{' …' if len(full) > 3 else ''} into {options.out / 'repos'}: free some space and run "
                          "again (what is stored is kept; nothing was graded)")
    unreachable = [fetched for fetched, _ in fetches if fetched.problem == "unreachable"]
    if options.allow_unreachable or 2 * len(unreachable) <= len(fetches):
        return
    examples = "; ".join(f"{fetched.owner}: {fetched.note}" for fetched in unreachable[:3])
    consequence = ("their first-seen times are not recorded" if options.snapshot
                   else "graded now, each of them would get 0")
    raise UsageError(f"{len(unreachable)} of the {len(fetches)} repositories could not be fetched ({examples}"
                     f"{'; …' if len(unreachable) > 3 else ''}): {consequence}. Check the roster's repo column, the "
                     "token (the roster's token_env column) and the network, then run again; --allow-unreachable grades "
                     "the others anyway (the unreachable ones get 0)")


def check_evidence(course: Course, ledger: Ledger, plans: dict, candidates: dict, now: datetime) -> None:
    """Stop (exit 2) when a TP's deadline has passed and no submission of it has any sighting from
    before the deadline: graded now, every student would be late (a class zeroed by mistake)."""
    for tp in course.tps:
        if tp.deadline >= now:
            continue
        submitted = [(owner, sha) for (owner, name), found in candidates.items() if name == tp.name for sha, _ in found]
        on_time = any((seen := ledger.first_seen(owner, sha, lambda a, b, m=plans[owner][1]: is_ancestor(m, a, b),
                                                 plans[owner][0].url))
                      and seen <= tp.deadline for owner, sha in submitted)
        if submitted and not on_time:
            raise UsageError(
                f"{tp.name}: its deadline ({tp.deadline.astimezone(course.zone).isoformat()}) has passed and the ledger has no sighting of any "
                f"of its {len(submitted)} submission(s) from before it: graded now, every student would be late. "
                "Record first-seen evidence before deadlines (`grader collect --snapshot` on a schedule, or GitLab's "
                "push times with `gitlab:` in course.yaml, then run again), or take the commits' own dates on trust "
                "for this run with --trust-commit-dates (the gradebook says so)")
