"""One push, graded in GitLab CI: the `grade` job of `gitlab/grade.yml` runs `grader push TP`.

The job runs with YAML the student cannot edit (their project's CI configuration file points to
`grade.yml` in a YAML-only project) and with the hidden reference fetched by a token student code
never sees. It grades the pushed commit with the hidden tests (in the sandbox, like `grader
test`), and publishes only what course.yaml's `ci.before_deadline` allows: before the TP's
deadline (+ the student's extension), by default the mark and, for each module of the student's
package, how many of its hidden tests passed, never which ones, so that repeated pushes cannot
probe the hidden tests one by one but a student knows which module to check again. It also
writes the pipeline's creation time, set by GitLab and not by the student, as a ledger line.
The official mark still comes from `grader collect`.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

from ..base.errors import ConfigError, UsageError
from ..base.files import write_atomically
from ..course.course import Course, load_course
from ..course.ledger import Sighting
from ..course.roster import RepoOwner, load_roster
from ..grading.marks import Grading, TestResult
from .events import project_path

HIDDEN_SUMMARY_PREFIX = "tests_caches::"  # + the module's name: the id of its summary under the `count` policy


@dataclass(frozen=True)
class Push:
    project: str  # "l3-ap/e2024001": CI_PROJECT_PATH
    sha: str  # the pushed commit: CI_COMMIT_SHA
    ref: str  # "tag:tp1" or "branch:main", as the ledger names refs
    created_at: datetime  # when GitLab created the pipeline (CI_PIPELINE_CREATED_AT), UTC

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Push:
        """The push a GitLab CI job runs for, from GitLab's predefined variables."""
        missing = [name for name in ("CI_PROJECT_PATH", "CI_COMMIT_SHA", "CI_COMMIT_REF_NAME", "CI_PIPELINE_CREATED_AT")
                   if not env.get(name)]
        if missing:
            raise UsageError(f"grader push runs inside a GitLab CI job: {', '.join(missing)} not set")
        try:
            created = datetime.fromisoformat(env["CI_PIPELINE_CREATED_AT"].replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"CI_PIPELINE_CREATED_AT={env['CI_PIPELINE_CREATED_AT']!r} is not an ISO time") from None
        if created.tzinfo is None:
            raise UsageError("CI_PIPELINE_CREATED_AT has no time zone")
        kind = "tag" if env.get("CI_COMMIT_TAG") else "branch"
        return cls(env["CI_PROJECT_PATH"], env["CI_COMMIT_SHA"], f"{kind}:{env['CI_COMMIT_REF_NAME']}",
                   created.astimezone(timezone.utc))


@dataclass(frozen=True)
class PushContext:
    owner: str  # the roster's repository owner, or the project path when the roster does not list it
    deadline: datetime  # this owner's deadline for the TP, extension included (UTC)
    policy: str  # course.yaml's ci.before_deadline
    zone: str  # the course's time zone, in which students read times
    notes: tuple[str, ...]  # what could not be matched (French, for the job log)


def push_context(course_path: Path, tp: str, push: Push) -> PushContext | None:
    """Deadline and feedback policy for this push; course.yaml is read without the marks files.
    None when course.yaml has no such TP (yet): the grade job of a TP not given is not graded."""
    course = load_course(course_path, with_marks=False)
    try:
        tp_config = course.tp(tp)
    except KeyError:
        return None
    owner = _owner(course, push.project)
    notes = () if owner else (f"le projet {push.project} n'est pas dans la liste des étudiants : "
                              "date limite sans prolongation",)
    members = owner.members if owner else ()
    owner_id = owner.id if owner else push.project
    delays = [e.delay for e in course.extensions if e.owner in (owner_id, *members) and e.tp in (None, tp)]
    return PushContext(owner_id, tp_config.deadline + max(delays, default=timedelta(0)), course.ci_feedback,
                       course.timezone, notes)


def _owner(course: Course, project: str) -> RepoOwner | None:
    try:
        roster = load_roster(course.roster_path, course.max_group_size)
    except ConfigError:
        return None  # no roster beside the course file: the push is still graded
    return next((o for o in roster.owners if project_path(o.url) == project), None)


def hidden_modules(reference: Path, tp: str) -> dict[str, str]:
    """Hidden test file -> the student module its tests call ("test_sizes.py" -> "conv" when it
    calls `tp3.conv.…`): the name a student knows. Read from the hidden side, never shown as is."""
    modules = {}
    for path in sorted(reference.glob("test_*.py")):
        called = Counter(re.findall(rf"\b{tp}\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")))
        modules[path.name] = called.most_common(1)[0][0] if called else path.stem.removeprefix("test_")
    return modules


def student_view(grading: Grading, policy: str, before_deadline: bool,
                 modules: Mapping[str, str] | None = None) -> Grading:
    """What the student may see of the hidden tests: everything after the deadline; before it,
    under the `count` policy, one line per module of their package (`modules`: hidden test file
    -> module, from `hidden_modules`) with how many of its hidden tests passed, and the mark."""
    if policy == "full" or not before_deadline:
        return grading
    by_module: dict[str, list[TestResult]] = {}
    for test in grading.tests:
        file = test.id.split("::")[0]
        module = (modules or {}).get(file) or file.removeprefix("test_").removesuffix(".py")
        by_module.setdefault(module, []).append(test)
    return replace(grading, tests=tuple(module_summary(name, tests) for name, tests in by_module.items()))


def module_summary(module: str, tests: list[TestResult]) -> TestResult:
    """One module's hidden tests as one result: points and a count, no test name, input or message."""
    passed = sum(t.status == "passed" for t in tests)
    message = f"{module} : {passed}/{len(tests)} tests cachés réussis"
    if passed < len(tests):
        message += (". Le détail de chaque test sera visible après la date limite ; vérifiez ce module avec les "
                    "tests publics (grader check), qui disent ce qui est attendu et ce que votre code donne.")
    return TestResult(HIDDEN_SUMMARY_PREFIX + module, sum(t.points for t in tests), sum(t.max_points for t in tests),
                      "passed" if passed == len(tests) else "failed", message,
                      round(sum(t.duration_s for t in tests), 4))


def sighting(push: Push, context: PushContext) -> Sighting:
    """The ledger line this pipeline is evidence for: GitLab saw `sha` on `ref` at `created_at`."""
    return Sighting(context.owner, push.ref, push.sha, push.created_at.isoformat(), "ci")


def write_sighting(path: Path, item: Sighting) -> None:
    write_atomically(path, item.line())


def banner(push: Push, context: PushContext, before_deadline: bool) -> str:
    """The job log's first lines, in French."""
    zone = ZoneInfo(context.zone)
    deadline = context.deadline.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    seen = push.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S")
    shown = ("le détail des tests cachés" if not before_deadline or context.policy == "full"
             else "le nombre de tests cachés réussis par module (détail après la date limite)")
    lines = [f"Commit {push.sha[:10]} ({push.ref}) vu par GitLab le {seen} ({context.zone})",
             f"Date limite : {deadline} — affiché : {shown}.",
             "Note provisoire : la note officielle est calculée à la date limite (grader collect)."]
    return "\n".join(lines + list(context.notes))
