"""What a class run stores, read back: one submissions file per repository owner
(`submissions/<owner>.json`: each TP's chosen commit, when it was first seen, its grading, notes
and checks) and how the run judged lateness (`collect-run.json`). Written by `grader collect`
(grader.classrun.collect), read by the report, the similarity, the oral check and the archive.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..base.files import write_atomically
from ..grading.marks import Grading
from .gradebook import Submission

RUN_FILE = "collect-run.json"  # how the last collection into this folder judged lateness


def trusted_commit_dates(folders: list[Path]) -> list[str]:
    """When each of these output folders' runs took the commits' own dates on trust."""
    found = []
    for folder in folders:
        if (folder / RUN_FILE).is_file():
            run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
            if run.get("trust_commit_dates"):
                found.append(str(run.get("at", "")))
    return found


def write_submissions(path: Path, submissions: list[Submission]) -> None:
    data = [{"owner": s.owner, "tp": s.tp, "commit": s.commit,
             "first_seen_at": s.first_seen_at.isoformat() if s.first_seen_at else None,
             "grading": json.loads(s.grading.to_json()) if s.grading else None, "notes": list(s.notes),
             "ref": s.ref, "checks": list(s.checks)}
            for s in submissions]
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def read_submissions(folders: list[Path]) -> list[Submission]:
    """Every stored submission of the given output folders (the shards of one class)."""
    found = []
    for folder in folders:
        for path in sorted((folder / "submissions").glob("*.json")):
            for item in json.loads(path.read_text(encoding="utf-8")):
                grading = Grading.from_json(json.dumps(item["grading"])) if item["grading"] else None
                seen = datetime.fromisoformat(item["first_seen_at"]) if item["first_seen_at"] else None
                found.append(Submission(item["owner"], item["tp"], item["commit"], seen, grading, tuple(item["notes"]),
                                        item.get("ref"), tuple(item.get("checks", ()))))
    return found
