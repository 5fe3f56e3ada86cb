"""`grader gitlab setup` and `grader gitlab snapshot`: the students' GitLab projects (python-gitlab).

setup forks one private project per repository owner of the roster from the starter and cuts the
fork link; members are Developers, the grading YAML comes from the course's YAML-only project,
`tp*` tags are frozen once pushed, the default branch refuses force-pushes, pipeline variables are
closed to students. It only adds what is missing: run it again after every roster change.
snapshot appends GitLab's own push and pipeline times to the ledger. Student code never runs here.
"""
from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import gitlab
from gitlab.const import AccessLevel
from gitlab.v4.objects import Project

from ..base.errors import ConfigError, UsageError
from ..course.course import load_course
from ..course.ledger import Ledger
from ..course.roster import Roster, Student, load_roster
from ..grading.config import Project as GraderProject
from .events import connect, pipeline_sightings, project_path, push_sightings

DEVELOPER = int(AccessLevel.DEVELOPER)  # 30: may push, may not change settings or protections
TAG_PATTERN = "tp*"  # the deliverables' tags: once pushed, never moved or deleted by a student
CI_CONFIG = re.compile(r"^[^@\s]+@[^@\s/:]+(/[^@\s/:]+)+(:\S+)?$")  # file@group/project[:ref]
ERRORS = (gitlab.exceptions.GitlabError, OSError)  # requests' connection errors are OSErrors
CREATED, UPDATED, ALREADY, PROBLEM = "created", "updated", "already there", "problem"
WOULD_CREATE, WOULD_UPDATE = "would create", "would update"  # --dry-run
LEVELS = {int(level): f"{level.name.replace('_', ' ').title()} ({int(level)})" for level in AccessLevel}


@dataclass(frozen=True)
class SetupOptions:
    starter: str  # "group/starter": the project every student project is forked from
    ci_config: str | None  # "grade.yml@course/ci-config": CI configuration path; None leaves it alone
    dry_run: bool  # read and report what would change; never write
    fork_timeout: float = 300.0  # seconds to wait for one fork's repository to be copied
    poll_every: float = 2.0  # seconds between two looks at a fork's import_status


@dataclass(frozen=True)
class Action:
    owner: str  # the roster's repository owner
    step: str  # "project", "member jdupont", "settings", "tags tp*", "branch main"
    status: str  # created, updated, already there, problem; would create / would update with --dry-run
    detail: str  # what was done or found, for the instructor


@dataclass(frozen=True)
class OwnerContext:
    client: gitlab.Gitlab  # authenticated
    owner: str  # the roster's repository owner
    students: tuple[Student, ...]  # its members
    options: SetupOptions


def setup(client: gitlab.Gitlab, roster: Roster, options: SetupOptions) -> Iterator[Action]:
    """Every step for every owner, as it is done; one owner's failure never stops the others."""
    try:
        starter = client.projects.get(options.starter)
    except ERRORS as exc:
        raise UsageError(f"--starter {options.starter}: cannot read it on {client.url} ({describe(exc)}): "
                         "check the path and that the token's user can see it") from None
    for owner in roster.owners:
        students = tuple(roster.student(member) for member in owner.members)
        yield from setup_owner(OwnerContext(client, owner.id, students, options), starter, owner.url)


def setup_owner(ctx: OwnerContext, starter: Project, url: str) -> list[Action]:
    path = project_path(url)
    if path is None or "/" not in path:
        return [Action(ctx.owner, "project", PROBLEM, f"{url} is not a GitLab project URL (https://host/group/name.git)")]
    try:
        project, action = ensure_project(ctx, starter, path)
    except ERRORS as exc:
        return [Action(ctx.owner, "project", PROBLEM, describe(exc))]
    actions = [action]
    if action.status == PROBLEM:
        return actions
    steps: list[tuple[str, Callable[[Any, OwnerContext], list[Action]]]] = [("members", ensure_members)]
    if project is not None:  # None: --dry-run of a project still to fork, its users are all there is to read
        steps += [("settings", ensure_settings), (f"tags {TAG_PATTERN}", protect_tags), ("branch", protect_default_branch)]
    for name, step in steps:
        try:
            actions += step(project, ctx)
        except ERRORS as exc:
            actions.append(Action(ctx.owner, name, PROBLEM, describe(exc)))
    return actions


def ensure_project(ctx: OwnerContext, starter: Project, path: str) -> tuple[Project | None, Action]:
    """The owner's project, forked from the starter when missing, copied, and cut from the starter."""
    project = get_or_none(ctx.client.projects, path)
    status, detail = ALREADY, path
    if project is None:
        namespace, name = path.rsplit("/", 1)
        detail = f"{path}: forked from {starter.path_with_namespace} (private), then set up"
        if ctx.options.dry_run:
            return None, Action(ctx.owner, "project", WOULD_CREATE, detail)
        fork = starter.forks.create({"namespace_path": namespace, "path": name, "name": name, "visibility": "private"})
        project, status = ctx.client.projects.get(fork.id), CREATED
    problem = wait_until_copied(ctx, project)
    if problem:
        return None, Action(ctx.owner, "project", PROBLEM, f"{path}: {problem}")
    if project.attributes.get("forked_from_project"):
        # A fork may open merge requests to its source: cut the link so no student work reaches the course project.
        if ctx.options.dry_run:
            return project, Action(ctx.owner, "project", WOULD_UPDATE, f"{path}: remove the fork link")
        project.delete_fork_relation()
        status, detail = (status, detail) if status == CREATED else (UPDATED, f"{path}: fork link removed")
    return project, Action(ctx.owner, "project", status, detail)


def wait_until_copied(ctx: OwnerContext, project: Project) -> str | None:
    """Wait (bounded) until GitLab has copied a fork's repository; a problem text if not."""
    deadline = time.monotonic() + ctx.options.fork_timeout
    while True:
        status = project.attributes.get("import_status") or "none"
        if status in ("finished", "none"):  # "none": a project that was never imported
            return None
        if status == "failed":
            return f"the fork's copy failed ({project.attributes.get('import_error')}): delete it and run setup again"
        left = deadline - time.monotonic()
        if left <= 0:
            return f"still being copied (import_status {status}): run setup again in a few minutes"
        time.sleep(min(ctx.options.poll_every, left))
        project = ctx.client.projects.get(project.id)


def ensure_members(project: Project | None, ctx: OwnerContext) -> list[Action]:
    """Each student as Developer; an unknown user or another existing role is reported, never changed."""
    actions = []
    for student in ctx.students:
        username = student.username or student.id
        step, users = f"member {username}", ctx.client.users.list(username=username)
        if not users:
            actions.append(Action(ctx.owner, step, PROBLEM, f"no GitLab user {username!r} (student {student.id}): "
                                  "they must sign in to GitLab once, or give their username in the roster"))
            continue
        member = get_or_none(project.members, users[0].id) if project is not None else None
        if member is not None and member.access_level == DEVELOPER:
            actions.append(Action(ctx.owner, step, ALREADY, "Developer"))
        elif member is not None:
            role = LEVELS.get(member.access_level, member.access_level)
            actions.append(Action(ctx.owner, step, PROBLEM, f"already a member as {role}, not Developer: "
                                  "left as it is, change it by hand if it is a mistake"))
        elif ctx.options.dry_run:
            actions.append(Action(ctx.owner, step, WOULD_CREATE, "add as Developer"))
        else:
            project.members.create({"user_id": users[0].id, "access_level": DEVELOPER})
            actions.append(Action(ctx.owner, step, CREATED, "added as Developer"))
    return actions


def ensure_settings(project: Project, ctx: OwnerContext) -> list[Action]:
    """Private; grading YAML from the course's project (a Developer cannot change the path); no
    pipeline variables from students (they could override what the grade job reads)."""
    wanted: dict[str, object] = {"visibility": "private", "restrict_user_defined_variables": True,
                                 "ci_pipeline_variables_minimum_override_role": "maintainer"}
    if ctx.options.ci_config:
        wanted["ci_config_path"] = ctx.options.ci_config
    changed = {key: value for key, value in wanted.items() if project.attributes.get(key) != value}
    text = ", ".join(f"{key}={value}" for key, value in (changed or wanted).items())
    if not changed or ctx.options.dry_run:
        return [Action(ctx.owner, "settings", WOULD_UPDATE if changed else ALREADY, text)]
    for key, value in changed.items():
        setattr(project, key, value)
    project.save()  # one PUT /projects/:id with the changed keys only
    return [Action(ctx.owner, "settings", UPDATED, text)]


def protect_tags(project: Project, ctx: OwnerContext) -> list[Action]:
    """Students may push a `tp*` tag; once there, no one below Maintainer can move or delete it."""
    return [reprotect(ctx, f"tags {TAG_PATTERN}", project.protectedtags, TAG_PATTERN,
                      lambda rule: allows_developers(rule.create_access_levels),
                      {"create_access_level": DEVELOPER}, "protected, Developers may create")]


def protect_default_branch(project: Project, ctx: OwnerContext) -> list[Action]:
    """Developers may push to the default branch, nobody may force-push: its history only grows, so a
    commit seen there before the deadline stays there. (GitLab's default: only Maintainers push.)"""
    branch = project.attributes.get("default_branch")
    if not branch:
        return [Action(ctx.owner, "branch", PROBLEM, "no default branch (empty repository?): run setup again later")]
    return [reprotect(ctx, f"branch {branch}", project.protectedbranches, branch,
                      lambda rule: (allows_developers(rule.push_access_levels) and not rule.attributes.get("allow_force_push")
                                    and allows_developers(rule.merge_access_levels)),
                      {"push_access_level": DEVELOPER, "merge_access_level": DEVELOPER, "allow_force_push": False},
                      "protected: Developers push and merge, no force-push")]


def reprotect(ctx: OwnerContext, step: str, rules: Any, name: str, good: Callable[[Any], bool],
              levels: dict[str, object], done: str) -> Action:
    """A missing or wrong protection rule made right: access levels cannot be edited in place on
    every tier, so a wrong rule is removed and made again (the ref is unprotected for a moment)."""
    rule = get_or_none(rules, name)
    if rule is not None and good(rule):
        return Action(ctx.owner, step, ALREADY, done)
    if ctx.options.dry_run:
        return Action(ctx.owner, step, WOULD_UPDATE if rule else WOULD_CREATE, done)
    if rule is not None:
        rule.delete()
    rules.create({"name": name, **levels})
    return Action(ctx.owner, step, UPDATED if rule else CREATED, done)


def get_or_none(manager: Any, key: str | int) -> Any:
    """The object, or None where GitLab answers 404."""
    try:
        return manager.get(key)
    except gitlab.exceptions.GitlabGetError as exc:
        if exc.response_code == 404:
            return None
        raise


def allows_developers(levels: list[dict] | None) -> bool:
    return any(level.get("access_level") == DEVELOPER for level in levels or [])


def describe(exc: Exception) -> str:
    if isinstance(exc, gitlab.exceptions.GitlabError):
        hint = ": the token needs the api scope and the Owner role on the group" if exc.response_code == 403 else ""
        return f"GitLab answered {exc.response_code}: {exc.error_message}{hint}"
    return f"no answer from GitLab ({exc})"


def add_gitlab_commands(commands: argparse._SubParsersAction) -> None:
    """`grader gitlab setup` and `grader gitlab snapshot`."""
    actions = commands.add_parser("gitlab", help="the students' GitLab projects and GitLab's own times").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    cmd = actions.add_parser("setup", help="fork and lock down one project per repository owner (idempotent)")
    cmd.add_argument("--roster", type=Path, required=True, help="roster.csv (its repo URLs name the projects)")
    cmd.add_argument("--starter", required=True, metavar="GROUP/STARTER", help="the project to fork")
    cmd.add_argument("--ci-config", metavar="FILE@GROUP/PROJECT", help="e.g. grade.yml@course/ci-config")
    cmd.add_argument("--url", help="GitLab's address (default: $CI_SERVER_URL)")
    cmd.add_argument("--token-env", default="GITLAB_TOKEN", metavar="VAR", help="token with the api scope")
    cmd.add_argument("--fork-timeout", type=float, default=300.0, metavar="SECONDS", help="wait per new fork")
    cmd.add_argument("--dry-run", action="store_true", help="only read and say what would be done")
    cmd.set_defaults(run=cmd_gitlab_setup)
    cmd = actions.add_parser("snapshot", help="append GitLab's push and pipeline times to the ledger")
    cmd.add_argument("--course", type=Path, default=Path("course.yaml"), help="the course file (default: ./course.yaml)")
    cmd.add_argument("--ledger", type=Path, help="first-seen ledger (default: ledger.jsonl beside course.yaml)")
    cmd.set_defaults(run=cmd_gitlab_snapshot)


def cmd_gitlab_setup(project: GraderProject, args: argparse.Namespace) -> int:
    if "/" not in args.starter:
        raise UsageError(f"--starter {args.starter!r}: expected GROUP/PROJECT, e.g. course/starter")
    if args.ci_config is not None and not CI_CONFIG.match(args.ci_config):
        raise UsageError(f"--ci-config {args.ci_config!r}: expected FILE@GROUP/PROJECT, e.g. grade.yml@course/ci-config")
    roster = load_roster(args.roster, max_group_size=1000)  # group sizes are course.yaml's business
    url = args.url or os.environ.get("CI_SERVER_URL")
    client = connect(url, args.token_env, "api")
    options = SetupOptions(args.starter, args.ci_config, args.dry_run, max(args.fork_timeout, 0.0))
    counts: Counter[str] = Counter()
    troubled: set[str] = set()
    for action in setup(client, roster, options):
        print(f"{action.owner:<12} {action.step:<22} {action.status:<14} {action.detail}", flush=True)
        counts[action.status] += 1
        if action.status == PROBLEM:
            troubled.add(action.owner)
    owners = len(roster.owners)
    print(f"{owners} projects on {url}: {owners - len(troubled)} fine, {len(troubled)} with problems · "
          + " · ".join(f"{n} {status}" for status, n in sorted(counts.items()))
          + (" (dry run: nothing changed)" if args.dry_run else ""))
    return 1 if troubled else 0


def cmd_gitlab_snapshot(project: GraderProject, args: argparse.Namespace) -> int:
    if not args.course.is_file():
        raise UsageError(f"{args.course}: no such course file")
    course = load_course(args.course, with_marks=False)  # a bad marks file must not cost evidence
    roster = load_roster(course.roster_path, course.max_group_size)
    if course.gitlab is None:
        raise ConfigError(course.path, "no gitlab key: add `gitlab: {url: https://gitlab.example.fr, "
                          "token_env: GITLAB_TOKEN}` to read GitLab's push and pipeline times", key="gitlab")
    url, token_env = course.gitlab
    connect(url, token_env, "read_api")  # a refused token is one clear error, not one note per student
    owners = list(roster.owners)
    pushes, notes = push_sightings(url, token_env, owners)
    pipelines, pipeline_notes = pipeline_sightings(url, token_env, owners)
    ledger_path = args.ledger or args.course.parent / "ledger.jsonl"
    ledger = Ledger(ledger_path)
    before = sum(len(ledger.of(owner.id)) for owner in owners)
    ledger.record(pushes + pipelines)
    added = sum(len(ledger.of(owner.id)) for owner in owners) - before
    local = sum(project_path(owner.url) is None for owner in owners)
    print(f"{len(owners) - local} GitLab projects · {len(pushes)} pushes · {len(pipelines)} pipelines · "
          f"{added} new sightings in {ledger_path}" + (f" · {local} local repositories skipped" if local else ""))
    print("".join(f"  ! {note}\n" for note in notes + pipeline_notes), end="")
    return 0
