"""GitLab's own record of when it saw each commit (python-gitlab), as first-seen evidence.

Two readings: the push events of each project (when a push reached the server) and its pipelines
(when GitLab started CI on a branch or tag head). A commit pushed before the deadline counts as
on time even if no snapshot ran between the push and the deadline. Read-only; a project that
cannot be read is a note, never an error; `connect` checks the token once for `grader gitlab`.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from typing import Callable, Iterator

import gitlab
from gitlab.v4.objects import Project

from ..base.errors import GraderError, UsageError
from ..course.ledger import Sighting
from ..course.roster import RepoOwner

PROJECT_PATH = re.compile(r"^(?:https?://[^/]+/|ssh://[^/]+/|[\w.-]+@[\w.-]+:)(?P<path>.+?)(?:\.git)?/?$")
PIPELINE_SCOPES = (("tags", "tag"), ("branches", "branch"))  # GitLab's list scope -> the ledger's ref kind


def project_path(url: str) -> str | None:
    """"group/sub/project" of a GitLab HTTPS or SSH URL; None for a local path."""
    match = PROJECT_PATH.match(url)
    return match.group("path") if match else None


def connect(url: str | None, token_env: str, scope: str, timeout: float = 30.0) -> gitlab.Gitlab:
    """A client whose token GitLab accepted; a GraderError (exit 2) saying what to fix otherwise."""
    if not url:
        raise UsageError("no GitLab URL: give --url https://gitlab.example.fr (or set CI_SERVER_URL)")
    token = os.environ.get(token_env)
    if not token:
        raise UsageError(f"the environment variable {token_env} is not set: put a GitLab token ({scope} scope) in it")
    client = gitlab.Gitlab(url, private_token=token, timeout=timeout)
    try:
        client.auth()
    except gitlab.exceptions.GitlabAuthenticationError:
        raise GraderError(f"GitLab at {url} refused the token in {token_env} (401 Unauthorized): "
                          f"create a new access token with the {scope} scope") from None
    except (gitlab.exceptions.GitlabError, OSError) as exc:  # requests' connection errors are OSErrors
        raise GraderError(f"cannot talk to GitLab at {url}: {exc}") from None
    return client


def push_sightings(server: str, token_env: str, owners: list[RepoOwner],
                   timeout: float = 30.0) -> tuple[list[Sighting], list[str]]:
    """Every push event of the owners' projects as a sighting; notes for what could not be read."""
    return _read_projects(server, token_env, owners, timeout, "évènements", _push_events)


def pipeline_sightings(server: str, token_env: str, owners: list[RepoOwner],
                       timeout: float = 30.0) -> tuple[list[Sighting], list[str]]:
    """The pipelines GitLab lists for the owners' tags and branches, each as a sighting of its
    commit at the pipeline's creation time (source "ci"); notes for what could not be read.

    GitLab's `scope=tags` / `scope=branches` lists hold the newest pipeline of each existing ref
    only: run this on a schedule (`grader gitlab snapshot`) so that each head gets recorded."""
    return _read_projects(server, token_env, owners, timeout, "pipelines", _pipelines)


def _read_projects(server: str, token_env: str, owners: list[RepoOwner], timeout: float, what: str,
                   read: Callable[[Project, str], Iterator[Sighting]]) -> tuple[list[Sighting], list[str]]:
    token = os.environ.get(token_env)
    if not token:
        return [], [f"{what} GitLab ignorés : la variable {token_env} n'est pas définie"]
    client = gitlab.Gitlab(server, private_token=token, timeout=timeout)
    sightings, notes = [], []
    for owner in owners:
        path = project_path(owner.url)
        if path is None:
            continue
        try:
            for sighting in read(client.projects.get(path, lazy=True), owner.id):
                sightings.append(sighting)  # what was read before a failure stands
        except (gitlab.exceptions.GitlabError, OSError, ValueError, KeyError) as exc:
            notes.append(f"{owner.id}: {what} GitLab illisibles ({type(exc).__name__})")
    return sightings, notes


def _push_events(project: Project, owner: str) -> Iterator[Sighting]:
    for event in project.events.list(action="pushed", iterator=True):
        sighting = to_sighting(owner, event.attributes)
        if sighting:
            yield sighting


def _pipelines(project: Project, owner: str) -> Iterator[Sighting]:
    for scope, kind in PIPELINE_SCOPES:
        for pipeline in project.pipelines.list(scope=scope, iterator=True):
            yield Sighting(owner, f"{kind}:{pipeline.ref}", pipeline.sha, utc_iso(pipeline.created_at), "ci")


def to_sighting(owner: str, event: dict) -> Sighting | None:
    push = event.get("push_data") or {}
    sha, ref, kind = push.get("commit_to"), push.get("ref"), push.get("ref_type")
    if not sha or not ref or kind not in ("branch", "tag"):
        return None  # a deleted branch or tag: nothing was submitted
    return Sighting(owner, f"{kind}:{ref}", sha, utc_iso(event["created_at"]), "gitlab")


def utc_iso(text: object) -> str:
    """GitLab's time ("…Z" or with an offset) as the ledger's ISO time in UTC."""
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(timezone.utc).isoformat()
