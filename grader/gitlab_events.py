"""Push times from GitLab's project events API (python-gitlab), as first-seen evidence.

GitLab records when each push reached the server: a commit pushed before the deadline counts as
on time even if no snapshot ran between the push and the deadline. Read-only; a project that
cannot be read is a note, never an error.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import gitlab

from .ledger import Sighting
from .roster import RepoOwner

PROJECT_PATH = re.compile(r"^(?:https?://[^/]+/|ssh://[^/]+/|[\w.-]+@[\w.-]+:)(?P<path>.+?)(?:\.git)?/?$")


def project_path(url: str) -> str | None:
    """"group/sub/project" of a GitLab HTTPS or SSH URL; None for a local path."""
    match = PROJECT_PATH.match(url)
    return match.group("path") if match else None


def push_sightings(server: str, token_env: str, owners: list[RepoOwner],
                   timeout: float = 30.0) -> tuple[list[Sighting], list[str]]:
    """Every push event of the owners' projects as a sighting; notes for what could not be read."""
    token = os.environ.get(token_env)
    if not token:
        return [], [f"évènements GitLab ignorés : la variable {token_env} n'est pas définie"]
    client = gitlab.Gitlab(server, private_token=token, timeout=timeout)
    sightings, notes = [], []
    for owner in owners:
        path = project_path(owner.url)
        if path is None:
            continue
        try:
            events = client.projects.get(path, lazy=True).events.list(action="pushed", iterator=True)
            for event in events:
                sighting = to_sighting(owner.id, event.attributes)
                if sighting:
                    sightings.append(sighting)
        except (gitlab.exceptions.GitlabError, OSError, ValueError) as exc:
            notes.append(f"{owner.id}: évènements GitLab illisibles ({type(exc).__name__})")
    return sightings, notes


def to_sighting(owner: str, event: dict) -> Sighting | None:
    push = event.get("push_data") or {}
    sha, ref, kind = push.get("commit_to"), push.get("ref"), push.get("ref_type")
    if not sha or not ref or kind not in ("branch", "tag"):
        return None  # a deleted branch or tag: nothing was submitted
    moment = datetime.fromisoformat(str(event["created_at"]).replace("Z", "+00:00")).astimezone(timezone.utc)
    return Sighting(owner, f"{kind}:{ref}", sha, moment.isoformat(), "gitlab")
