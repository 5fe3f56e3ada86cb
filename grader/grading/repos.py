"""Student repositories (gitpython): fetch them into a cache, pick each TP's commit, export it.

A repository problem (unreachable URL, bad credentials, empty or corrupt repo, a tag on a
missing commit) is returned as a French note for that student, never raised: the class goes on.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import git

from .marks import printable

MAX_EXPORTED_FILE = 20 << 20  # bytes: larger files of a commit are not exported for grading
MAX_EXPORTED_TOTAL = 100 << 20  # bytes of a whole export (a compressible repository is small in git, not on disk)
MAX_EXPORTED_FILES = 20_000  # files of a whole export
NOTE_LIMIT = 300  # characters of git's own text kept in a note


@dataclass(frozen=True)
class Fetched:
    owner: str  # the roster's repository owner
    path: Path | None  # the bare mirror in the cache, None when it could not be fetched
    note: str | None  # why it could not be fetched (French), else None
    problem: str | None = None  # "unreachable" or "corrupt" when it could not be fetched (classrun.attention.KINDS)


@dataclass(frozen=True)
class Pick:
    sha: str  # the commit to grade
    ref: str  # "tag:tp1" when the TP's tag exists, else "branch:<default branch>"


def commit_of(checkout: Path) -> str | None:
    """The sha of HEAD when `checkout` is the top of a git work tree, else None."""
    try:
        repo = git.Repo(checkout)
        if Path(repo.working_tree_dir).resolve() != checkout.resolve():
            return None
        return repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
        return None


def uncommitted(checkout: Path, paths: list[str]) -> list[str]:
    """Files under `paths` of the work tree at `checkout` that differ from HEAD: modified, added,
    deleted or untracked ("tp1/losses.py"); Python's caches are not work. [] outside a git work tree."""
    try:
        status = git.Repo(checkout).git.status("--porcelain", "-z", "--untracked-files=all", "--", *paths)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return []
    fields, changed = status.split("\0"), []
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:  # a rename: the next field is where the file came from
            index += 1
        if "__pycache__" not in path.split("/") and not path.endswith((".pyc", ".pyo")):
            changed.append(path)
    return sorted(set(changed))


def committed_folders(checkout: Path) -> set[str]:
    """The top-level folders of HEAD's tree at `checkout` (a git work tree)."""
    try:
        return {item.name for item in git.Repo(checkout).head.commit.tree.trees}
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandError):
        return set()


def authenticated(url: str, token_env: str | None) -> str:
    """An HTTPS URL with the token of `token_env` in it (GitLab's oauth2 form), else `url`."""
    token = os.environ.get(token_env or "")
    parts = urlsplit(url)
    if not token or parts.scheme != "https":
        return url
    return urlunsplit(parts._replace(netloc=f"oauth2:{quote(token, safe='')}@{parts.hostname}"
                                     + (f":{parts.port}" if parts.port else "")))


def fetch(owner: str, url: str, token_env: str | None, cache: Path, timeout: float) -> Fetched:
    """Clone (first time) or fetch (after) a bare mirror of the student's repository."""
    mirror = cache / f"{owner}.git"
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    try:
        if mirror.exists() and not (mirror / "HEAD").exists():  # not a repository: set aside (never deleted), cloned again
            aside = cache / f".{owner}.unusable-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
            mirror.replace(aside)
            print(f"grader: warning: {mirror} was not a git mirror: moved to {aside}, cloned again", file=sys.stderr)
        if (mirror / "HEAD").exists():
            repo = git.Repo(mirror)
            if repo.remotes.origin.url != authenticated(url, token_env):  # the roster's URL changed: fetch from it
                repo.git.remote("set-url", "origin", authenticated(url, token_env))
            # one remote, a mirror's refspec (+refs/*:refs/*): what `git remote update --prune` does, one process less
            repo.git.fetch("--prune", "origin", env=env, kill_after_timeout=timeout)
        else:
            partial = cache / f".{owner}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            git.Repo.clone_from(authenticated(url, token_env), partial, mirror=True, env=env,
                                kill_after_timeout=timeout)
            partial.replace(mirror)
        return Fetched(owner, mirror, None)
    except (git.GitCommandError, git.InvalidGitRepositoryError, OSError) as exc:
        reason = classify(git_text(exc, token_env))
        kind = {CORRUPT: "corrupt", DISK_FULL: "disk"}.get(reason, "unreachable")
        return Fetched(owner, None, f"dépôt inaccessible : {reason}", kind)


CORRUPT = "objets git manquants ou corrompus"
DISK_FULL = "disque plein sur la machine du correcteur"
GIT_PROBLEMS = (  # git's words -> a stable French reason (git's own text varies from run to run)
    (("No space left on device", "ENOSPC", "Errno 28"), DISK_FULL),
    (("does not exist", "not found", "No such file", "not appear to be a git repository"), "dépôt introuvable"),
    (("Authentication failed", "could not read Username", "Permission denied", "403", "401"),
     "accès refusé (identifiants ou droits)"),
    (("not our ref", "unable to read", "corrupt", "did not send all necessary objects", "bad object",
      "missing blob", "invalid object", "index-pack failed"), CORRUPT),
    (("timed out", "Timeout", "killed"), "délai dépassé"),
    (("Could not resolve host", "unable to access", "Connection refused"), "serveur injoignable"),
)


def classify(text: str) -> str:
    for needles, reason in GIT_PROBLEMS:
        if any(needle in text for needle in needles):
            return reason
    return text


def git_text(exc: Exception, token_env: str | None) -> str:
    text = " ".join(str(getattr(exc, "stderr", "") or exc).split())
    token = os.environ.get(token_env or "")
    return (text.replace(token, "***") if token else text)[:NOTE_LIMIT]


def pick(mirror: Path, tag: str, refs: dict[str, str] | None = None) -> tuple[Pick | None, str | None, str | None]:
    """The TP's tagged commit if the tag exists, else the newest commit of the default branch;
    (None, note, kind) when there is nothing to grade: kind "corrupt" (a broken tag) or "empty".
    `refs`: the mirror's refs as `sightings_now` just read them (a readable tag is not read again)."""
    if refs and f"tag:{tag}" in refs:
        return Pick(refs[f"tag:{tag}"], f"tag:{tag}"), None, None
    repo = git.Repo(mirror)
    try:
        if tag in [t.name for t in repo.tags]:
            return Pick(repo.tags[tag].commit.hexsha, f"tag:{tag}"), None, None
    except (ValueError, git.GitCommandError, git.BadName) as exc:
        return None, f"l'étiquette {tag} désigne un commit absent ou illisible ({git_text(exc, None)[:100]})", "corrupt"
    try:
        branch = repo.head.reference.name
        head = repo.head.commit
    except (ValueError, TypeError, git.GitCommandError, git.BadName):
        return None, "dépôt vide : aucun commit sur la branche principale", "empty"
    return Pick(head.hexsha, f"branch:{branch}"), other_branches(repo, branch, head), None


def other_branches(repo: git.Repo, branch: str, head: git.Commit) -> str | None:
    """A note when another branch has work the default branch lacks (a push to `master` while the
    project's default branch is `main`): without a tag, only the default branch is graded."""
    ahead = []
    for other in repo.heads:
        try:
            if other.name != branch and other.commit != head and not repo.is_ancestor(other.commit, head):
                ahead.append(other.name)
        except (ValueError, git.GitCommandError, git.BadName):
            continue
    if not ahead:
        return None
    return (f"la branche {', '.join(sorted(ahead)[:3])} contient des commits absents de {branch}, la branche par "
            f"défaut : sans étiquette, c'est {branch} qui est notée (fusionnez dans {branch} ou posez l'étiquette)")


def sightings_now(mirror: Path) -> dict[str, str]:
    """Every ref of the mirror -> the commit it points to (tags peeled)."""
    repo = git.Repo(mirror)
    refs = {}
    for ref in [*repo.tags, *repo.heads]:
        try:
            refs[("tag:" if ref in repo.tags else "branch:") + ref.name] = ref.commit.hexsha
        except (ValueError, git.GitCommandError, git.BadName):
            continue
    return refs


def commit_date(mirror: Path | None, sha: str) -> datetime | None:
    """The commit's own date (its committer's clock: forgeable), when the mirror has the commit."""
    try:
        return git.Repo(mirror).commit(sha).committed_datetime.astimezone(timezone.utc) if mirror else None
    except (ValueError, git.GitCommandError, git.BadName):
        return None


def is_ancestor(mirror: Path, ancestor: str, descendant: str) -> bool:
    if ancestor == descendant:
        return True
    result = subprocess.run(["git", "--git-dir", str(mirror), "merge-base", "--is-ancestor", ancestor, descendant],
                            capture_output=True)
    return result.returncode == 0


def export(mirror: Path, sha: str, destination: Path) -> list[str]:
    """Write the tree of commit `sha` into `destination` (no .git), leaving out files larger than
    MAX_EXPORTED_FILE and whatever passes MAX_EXPORTED_TOTAL bytes or MAX_EXPORTED_FILES files (the TP
    folders first); return the French notes about what was left out."""
    repo = git.Repo(mirror)
    keep, notes, total, dropped = [], [], 0, 0
    for path, _, size in sorted(blobs(repo, sha), key=lambda entry: (not entry[0].startswith("tp"), entry[0])):
        if size > MAX_EXPORTED_FILE:
            notes.append(f"fichier trop gros ignoré : {printable(path)} ({size >> 20} Mo)")
            continue
        if total + size > MAX_EXPORTED_TOTAL or len(keep) >= MAX_EXPORTED_FILES:  # compressible files: small in git
            dropped += 1
            continue
        total += size
        keep.append(path)
    if dropped:
        notes.append(f"{dropped} fichier(s) ignoré(s) : le rendu dépasse {MAX_EXPORTED_TOTAL >> 20} Mo ou "
                     f"{MAX_EXPORTED_FILES} fichiers une fois extrait (les dossiers des TP passent en premier)")
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        repo.git.read_tree(sha, env=env)
        subprocess.run(["git", "--git-dir", str(mirror), "--work-tree", str(destination), "checkout-index", "-f", "-z",
                        "--stdin"], input="\0".join(keep).encode(), env={**os.environ, **env},
                       check=True, capture_output=True)
    return notes


def blobs(repo: git.Repo, sha: str) -> list[tuple[str, str, int]]:
    """(path, blob id, size) of every file of commit `sha`, symbolic links included, submodules
    left out: one `git ls-tree`."""
    found = []
    for entry in filter(None, repo.git.ls_tree("-r", "-l", "-z", sha).split("\0")):
        meta, path = entry.split("\t", 1)
        _, kind, blob, size = meta.split()
        if kind == "blob":
            found.append((path, blob, int(size)))
    return found


@dataclass(frozen=True)
class CommitFile:
    path: str  # path inside the commit, e.g. "tp1/mlp.py"
    size: int  # bytes
    data: bytes | None  # the content when it was asked for and not over the limit, else None
    blob: str = ""  # git's id of the content: two files with the same id hold the same bytes


def commit_files(mirror: Path, sha: str, read: tuple[str, ...] = (".py",), max_read: int = 1 << 20,
                 skip: Callable[[str, str], bool] = lambda path, blob: False) -> list[CommitFile]:
    """Every file of commit `sha`, read from the bare mirror without a checkout; the content of
    files whose name ends with one of `read`, of at most `max_read` bytes and not `skip(path,
    blob)` (known already, or of no interest) is included. Two git processes, whatever the size."""
    listing = blobs(git.Repo(mirror), sha)
    wanted = {path for path, blob, size in listing if path.endswith(read) and size <= max_read and not skip(path, blob)}
    contents = read_blobs(mirror, sorted({blob for path, blob, _ in listing if path in wanted}))
    return sorted((CommitFile(path, size, contents[blob] if path in wanted else None, blob)
                   for path, blob, size in listing), key=lambda f: f.path)


def read_blobs(mirror: Path, ids: list[str]) -> dict[str, bytes]:
    """The content of each blob, by id: one `git cat-file --batch` for them all, read object by
    object (never the whole output and a copy of it at once)."""
    if not ids:
        return {}
    contents = {}
    with tempfile.TemporaryFile() as requests:
        requests.write("".join(f"{i}\n" for i in ids).encode())
        requests.seek(0)
        with subprocess.Popen(["git", "--git-dir", str(mirror), "cat-file", "--batch"], stdin=requests,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as git_process:
            for blob in ids:  # "<id> blob <size>\n<content>\n", or "<id> missing\n"
                header = git_process.stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    git_process.kill()
                    raise ValueError(f"git cat-file: {b' '.join(header)[:80]!r} for {blob}")
                size = int(header[2])
                contents[blob] = git_process.stdout.read(size)
                if len(contents[blob]) != size or git_process.stdout.read(1) != b"\n":
                    git_process.kill()
                    raise ValueError(f"git cat-file: {blob} cut short")
    return contents
