"""The commit's export for grading and the reading of a commit's files (grader/grading/repos.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import git
import pytest

from grader.grading import repos


def commit_of(tmp_path: Path) -> tuple[Path, str]:
    work = tmp_path / "depot"
    (work / "tp1").mkdir(parents=True)
    (work / "tp1" / "mlp.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (work / "tp1" / "poids.npy").write_bytes(os.urandom(5000))
    (work / "tp1" / "script.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    (work / "tp1" / "script.sh").chmod(0o755)
    os.symlink("mlp.py", work / "tp1" / "lien.py")
    (work / "notes").mkdir()
    (work / "notes" / "copie.py").write_text("def f():\n    return 1\n", encoding="utf-8")  # mlp.py's content
    repo = git.Repo.init(work, initial_branch="main")
    repo.git.add(A=True)
    repo.git.commit("-m", "tp1", env={"GIT_AUTHOR_NAME": "e", "GIT_AUTHOR_EMAIL": "e@x", "GIT_COMMITTER_NAME": "e",
                                     "GIT_COMMITTER_EMAIL": "e@x"})
    return work / ".git", repo.head.commit.hexsha


def test_export_writes_the_tree_and_leaves_out_large_files(tmp_path, monkeypatch):
    mirror, sha = commit_of(tmp_path)
    monkeypatch.setattr(repos, "MAX_EXPORTED_FILE", 4000)
    notes = repos.export(mirror, sha, tmp_path / "checkout")
    tree = tmp_path / "checkout" / "tp1"
    assert sorted(p.name for p in tree.iterdir()) == ["lien.py", "mlp.py", "script.sh"]
    assert (tree / "mlp.py").read_text(encoding="utf-8") == "def f():\n    return 1\n"
    assert os.readlink(tree / "lien.py") == "mlp.py" and os.access(tree / "script.sh", os.X_OK)
    assert notes == ["fichier trop gros ignoré : tp1/poids.npy (0 Mo)"]
    assert not (tmp_path / "checkout" / ".git").exists()


def test_commit_files_lists_every_file_and_reads_what_is_asked(tmp_path):
    mirror, sha = commit_of(tmp_path)
    files = {f.path: f for f in repos.commit_files(mirror, sha, read=(".py", ".npy"), max_read=4000)}
    assert sorted(files) == ["notes/copie.py", "tp1/lien.py", "tp1/mlp.py", "tp1/poids.npy", "tp1/script.sh"]
    assert files["tp1/mlp.py"].data == b"def f():\n    return 1\n" and files["tp1/lien.py"].data == b"mlp.py"
    assert files["tp1/poids.npy"].data is None and files["tp1/poids.npy"].size == 5000  # over max_read
    assert files["tp1/script.sh"].data is None  # not asked for
    assert files["notes/copie.py"].blob == files["tp1/mlp.py"].blob and len({f.blob for f in files.values()}) == 4
    # `skip` is by path: the same content elsewhere is still read.
    some = {f.path: f for f in repos.commit_files(mirror, sha, skip=lambda path, blob: path.startswith("notes/"))}
    assert some["notes/copie.py"].data is None and some["tp1/mlp.py"].data == b"def f():\n    return 1\n"
    assert repos.read_blobs(mirror, []) == {}
    with pytest.raises(ValueError, match="missing"):  # a corrupt mirror: said, never an empty file
        repos.read_blobs(mirror, [files["tp1/mlp.py"].blob, "0" * 40])


def test_fetch_mirrors_the_repository_forced_moves_and_deletions_included(tmp_path):
    mirror_of, first = commit_of(tmp_path)
    work = git.Repo(mirror_of.parent)
    work.create_tag("tp1")
    work.create_tag("brouillon")
    cache = tmp_path / "cache"
    fetched = repos.fetch("e1", str(mirror_of.parent), None, cache, 30)
    mirror = git.Repo(fetched.path)
    assert fetched.problem is None and mirror.tags["tp1"].commit.hexsha == first
    (mirror_of.parent / "tp1" / "mlp.py").write_text("def f():\n    return 2\n", encoding="utf-8")
    work.git.commit("-am", "v2", env={"GIT_AUTHOR_NAME": "e", "GIT_AUTHOR_EMAIL": "e@x", "GIT_COMMITTER_NAME": "e",
                                      "GIT_COMMITTER_EMAIL": "e@x"})
    work.create_tag("tp1", force=True)  # moved
    work.delete_tag(work.tags["brouillon"])
    work.git.branch("essai")
    again = repos.fetch("e1", str(mirror_of.parent), None, cache, 30)
    assert again.path == fetched.path and again.problem is None
    refs = {ref.path: ref.commit.hexsha for ref in git.Repo(again.path).refs}
    assert refs == {"refs/heads/main": work.head.commit.hexsha, "refs/heads/essai": work.head.commit.hexsha,
                    "refs/tags/tp1": work.head.commit.hexsha}
    assert work.head.commit.hexsha != first
    shutil.rmtree(mirror_of.parent)  # the student's repository is gone: said, in French, and the mirror kept
    gone = repos.fetch("e1", str(mirror_of.parent), None, cache, 30)
    assert (gone.path, gone.problem, gone.note) == (None, "unreachable", "dépôt inaccessible : dépôt introuvable")
    assert git.Repo(fetched.path).tags["tp1"].commit.hexsha == refs["refs/tags/tp1"]


def test_a_leftover_that_is_not_a_mirror_is_set_aside_and_the_repository_cloned_again(tmp_path, capsys):
    source, sha = commit_of(tmp_path)
    cache = tmp_path / "cache"
    (cache / "e1.git").mkdir(parents=True)
    (cache / "e1.git" / "packed-refs").write_text("# half a clone\n")  # e.g. two runs once cloned it at the same time
    fetched = repos.fetch("e1", str(source.parent), None, cache, 30)
    assert fetched.problem is None and git.Repo(fetched.path).head.commit.hexsha == sha
    aside = [p for p in cache.iterdir() if p.name.startswith(".e1.unusable-")]
    assert len(aside) == 1 and (aside[0] / "packed-refs").read_text() == "# half a clone\n"  # kept, not deleted
    assert "was not a git mirror" in capsys.readouterr().err
