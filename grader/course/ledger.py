"""The deadline ledger: when the grader (or GitLab) first saw each commit, as trusted evidence.

Commit dates can be forged; the time a snapshot, a collect run or a CI pipeline saw a ref
pointing at a commit cannot. One JSON line per sighting, appended and fsync'd, never rewritten.
A commit counts as seen at the first sighting of itself or of any descendant (a pushed branch
head carries its ancestors with it).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Sighting:
    owner: str  # the roster's repository owner
    ref: str  # "tag:tp1", "branch:main"
    sha: str  # the commit the ref pointed to
    seen_at: str  # ISO time, UTC
    source: str  # "snapshot", "collect", "ci", "gitlab"
    repo: str = ""  # the repository's URL as the roster gave it (collect): evidence follows the repository

    def line(self) -> str:
        """The sighting as one line of the ledger file (what `grader push` also writes alone); an
        unknown repository is left out, as in ledgers written before it was recorded."""
        data = asdict(self)
        if not data["repo"]:
            del data["repo"]
        return json.dumps(data, sort_keys=True) + "\n"


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._sightings: list[Sighting] = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self._sightings.append(Sighting(**json.loads(line)))
                except (ValueError, TypeError):
                    continue  # a line cut by a crash mid-append: the ones before it stand

    def record(self, sightings: list[Sighting]) -> None:
        """Append, flush and fsync: a crash never loses an earlier line. A sighting already in
        the ledger (GitLab's events, read again on every run) is not written twice."""
        known = set(self._sightings)
        sightings = [s for s in dict.fromkeys(sightings) if s not in known]
        if not sightings:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write("".join(s.line() for s in sightings))
            handle.flush()
            os.fsync(handle.fileno())
        self._sightings.extend(sightings)

    def of(self, owner: str, repo: str = "") -> list[Sighting]:
        """This owner's sightings, and those of its repository under any other owner id (a pair
        that split, one of them keeping the pair's repository): oldest first."""
        return sorted((s for s in self._sightings if s.owner == owner or (repo and s.repo == repo)),
                      key=lambda s: datetime.fromisoformat(s.seen_at))

    def first_seen(self, owner: str, sha: str, contains: Callable[[str, str], bool], repo: str = "") -> datetime | None:
        """Earliest sighting of `sha` or of a commit that contains it (`contains(sha, other)`), in
        this owner's repository. Never another repository's: a commit copied from a classmate after
        the deadline is late, whenever the classmate's was seen."""
        checked: set[str] = set()  # snapshots see the same heads again and again: ask git once per commit
        for sighting in self.of(owner, repo):
            if sighting.sha in checked:
                continue
            checked.add(sighting.sha)
            if sighting.sha == sha or contains(sha, sighting.sha):
                return datetime.fromisoformat(sighting.seen_at)
        return None

    def ref_before(self, owner: str, ref: str, moment: datetime, repo: str = "") -> str | None:
        """The commit `ref` pointed to at its last sighting no later than `moment`."""
        seen = [s for s in self.of(owner, repo) if s.ref == ref and datetime.fromisoformat(s.seen_at) <= moment]
        return seen[-1].sha if seen else None
