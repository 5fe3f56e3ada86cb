"""The class's CSV files: the roster (who, which repository) and the marks files (exam, project…).

Read before any grading starts; every error names the file, the line and the column. A group
(pair or trio) shares one repository: its id is the repository owner, and every member gets the
group's TP marks.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import ConfigError
from .formula import Mark, parse_mark

REQUIRED_COLUMNS = ("id", "name", "email", "repo")
OPTIONAL_COLUMNS = ("group", "token_env", "username")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # ids become file names (feedback/<id>.md)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
USERNAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")  # GitLab's own rule for usernames
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REMOTE_URL = re.compile(r"^(https://|ssh://|file://|[\w.-]+@[\w.-]+:)")


@dataclass(frozen=True)
class Student:
    id: str  # the student number: Moodle's "ID number", and the name of the feedback file
    name: str  # as shown to people ("Dupont Jeanne")
    email: str  # Moodle's "email address"
    group: str | None  # the group id when the student works in a pair or trio, else None
    line: int  # line of the roster, for error messages
    username: str | None = None  # GitLab username (`grader gitlab setup`); the roster fills in the id when blank


@dataclass(frozen=True)
class RepoOwner:
    id: str  # a group id, or the student id of someone working alone
    url: str  # local path (made absolute), file://, or an HTTPS/SSH GitLab URL
    token_env: str | None  # environment variable holding the access token for this repo, if any
    members: tuple[str, ...]  # student ids sharing this repository, in roster order


@dataclass(frozen=True)
class Roster:
    path: Path  # the roster file
    students: tuple[Student, ...]  # in file order
    owners: tuple[RepoOwner, ...]  # one per repository to collect, in order of first appearance

    def student(self, student_id: str) -> Student:
        for student in self.students:
            if student.id == student_id:
                return student
        raise KeyError(student_id)

    def owner_of(self, student_id: str) -> RepoOwner:
        """The repository owner whose TP marks this student gets."""
        for owner in self.owners:
            if student_id in owner.members:
                return owner
        raise KeyError(student_id)

    def members(self, owner_or_student: str) -> tuple[str, ...]:
        """The students an id stands for: a group's members, or the student alone."""
        for owner in self.owners:
            if owner.id == owner_or_student:
                return owner.members
        return (owner_or_student,) if any(s.id == owner_or_student for s in self.students) else ()


@dataclass(frozen=True)
class MarkTable:
    path: Path  # the CSV file
    marks: dict[str, tuple[Mark, int]]  # student or group id -> (mark /20, line in the file)


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows (with their line numbers) of a UTF-8 CSV; ',' or ';' separated."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text: save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in first else ",", strict=True)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not any(header):
            raise ConfigError(path, "empty file: expected a header line", line=1)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise ConfigError(path, f"{len(cells)} cells where the header has {len(header)}", line=reader.line_num)
            rows.append((reader.line_num, {name: cell.strip() for name, cell in zip(header, cells)}))
    except csv.Error as exc:
        raise ConfigError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
    return header, rows


def load_roster(path: Path, max_group_size: int = 3) -> Roster:
    header, rows = read_rows(path)
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise ConfigError(path, f"missing column {column!r} (columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})",
                              line=1, key=column)
    students: list[Student] = []
    repos: dict[str, list[tuple[str, str, str, int]]] = {}  # owner -> (student, url, token env, line)
    for line, row in rows:
        student = _student(path, line, row, students)
        students.append(student)
        repos.setdefault(student.group or student.id, []).append(
            (student.id, _url(path, line, row["repo"]), _token_env(path, line, row.get("token_env", "")), line))
    ids = {s.id for s in students}
    for student in students:
        if student.group in ids:
            raise ConfigError(path, f"group id {student.group!r} is also a student id", line=student.line, key="group")
    owners = []
    for owner_id, members in repos.items():
        if len(members) > max_group_size:
            raise ConfigError(path, f"group {owner_id!r} has {len(members)} members, more than max_group_size "
                              f"({max_group_size})", line=members[-1][3], key="group")
        owners.append(RepoOwner(owner_id, _shared(path, owner_id, members, 1, "repo"),
                                _shared(path, owner_id, members, 2, "token_env") or None,
                                tuple(m[0] for m in members)))
    first: dict[str, str] = {}  # a repository -> its first owner: a copied row would give one's marks to another
    for owner in owners:
        key = owner.url.rstrip("/").removesuffix(".git").rstrip("/")
        if key in first:
            line = next(m[3] for m in repos[owner.id] if m[1])
            raise ConfigError(path, f"{owner.id} has the same repository as {first[key]} ({owner.url}): a pair or trio "
                              "shares one repository through the group column, else fix the repo cell", line=line, key="repo")
        first[key] = owner.id
    return Roster(path, tuple(students), tuple(owners))


def _student(path: Path, line: int, row: dict[str, str], seen: list[Student]) -> Student:
    student_id, email, group = row["id"], row["email"], row.get("group", "") or None
    username = row.get("username", "") or student_id
    if not SAFE_ID.match(student_id):
        raise ConfigError(path, f"student id {student_id!r} must be letters, digits, '.', '_' or '-'", line=line, key="id")
    if any(s.id == student_id for s in seen):
        raise ConfigError(path, f"student id {student_id!r} appears twice", line=line, key="id")
    if not row["name"]:
        raise ConfigError(path, f"student {student_id} has no name", line=line, key="name")
    if not EMAIL.match(email):
        raise ConfigError(path, f"{email!r} is not an e-mail address", line=line, key="email")
    if group is not None and not SAFE_ID.match(group):
        raise ConfigError(path, f"group id {group!r} must be letters, digits, '.', '_' or '-'", line=line, key="group")
    if not USERNAME.match(username):
        raise ConfigError(path, f"{username!r} is not a GitLab username (letters, digits, '_', '.', '-')",
                          line=line, key="username")
    return Student(student_id, row["name"], email, group, line, username)


def _url(path: Path, line: int, url: str) -> str:
    if not url:
        return ""
    if REMOTE_URL.match(url):
        return url
    if "://" in url:  # http://, ftp://, git://: unauthenticated or unsupported transports
        raise ConfigError(path, f"unsupported repository URL {url!r}: use a path, file://, https:// or ssh",
                          line=line, key="repo")
    return str((path.parent / url).resolve())  # a local path, relative to the roster


def _token_env(path: Path, line: int, name: str) -> str:
    if name and not ENV_NAME.match(name):
        raise ConfigError(path, f"{name!r} is not an environment variable name", line=line, key="token_env")
    return name


def _shared(path: Path, owner: str, members: list[tuple[str, str, str, int]], index: int, column: str) -> str:
    """A group's repository (or token) may be on every member's row or on one: never two values."""
    values = {m[index] for m in members if m[index]}
    if len(values) > 1:
        line = next(m[3] for m in members[1:] if m[index])
        raise ConfigError(path, f"members of group {owner!r} give different {column} values", line=line, key=column)
    if not values and index == 1:
        raise ConfigError(path, f"no repository for {owner!r}", line=members[0][3], key="repo")
    return values.pop() if values else ""


def read_mark_table(path: Path, id_column: str, column: str, out_of: float) -> MarkTable:
    """A marks file: one row per student (or group), the mark on `out_of` put on /20."""
    header, rows = read_rows(path)
    for name in (id_column, column):
        if name not in header:
            raise ConfigError(path, f"missing column {name!r} (columns: {', '.join(header)})", line=1, key=name)
    marks: dict[str, tuple[Mark, int]] = {}
    for line, row in rows:
        owner = row[id_column]
        if not owner:
            raise ConfigError(path, "empty id", line=line, key=id_column)
        if owner in marks:
            raise ConfigError(path, f"{owner!r} appears twice (also line {marks[owner][1]})", line=line, key=id_column)
        if not row[column]:
            continue  # a blank cell: no mark entered, as if the row were absent
        try:
            mark = parse_mark(row[column])
        except ValueError as exc:
            raise ConfigError(path, str(exc), line=line, key=column) from None
        if mark.value is not None and not 0 <= mark.value <= out_of:
            raise ConfigError(path, f"mark {row[column]} outside 0…{out_of:g}", line=line, key=column)
        marks[owner] = (Mark(None if mark.value is None else mark.value * 20 / out_of, mark.code), line)
    return MarkTable(path, marks)
