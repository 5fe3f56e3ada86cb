"""Student repositories (gitpython): which commit a checkout holds.

Class-wide cloning, tags per TP and the deadline ledger come with `grader collect`.
"""
from __future__ import annotations

from pathlib import Path

import git


def commit_of(checkout: Path) -> str | None:
    """The sha of HEAD when `checkout` is the top of a git work tree, else None."""
    try:
        repo = git.Repo(checkout)
        if Path(repo.working_tree_dir).resolve() != checkout.resolve():
            return None
        return repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
        return None
