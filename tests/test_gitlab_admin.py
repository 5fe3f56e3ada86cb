"""Tests of grader/gitlab/admin.py (`grader gitlab setup` and `grader gitlab snapshot`) against a
local HTTP stub that records every API call and answers as GitLab's REST API documentation says:
projects (get, edit, fork, fork relation), members, users, protected tags and branches, events,
pipelines. Status codes: 200 read or edited, 201 created, 204 deleted, 304 nothing to delete,
401 bad token, 404 missing, 409 already there."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from grader import cli

ROOT = Path(__file__).resolve().parents[1]
MAINTAINERS_ONLY = {"push_access_levels": [{"access_level": 40}], "merge_access_levels": [{"access_level": 40}],
                    "allow_force_push": False}  # GitLab's default protection of a new project's default branch


def project_json(pid: int, path: str, **extra: object) -> dict:
    return {"id": pid, "name": path.rsplit("/", 1)[1], "path": path.rsplit("/", 1)[1], "path_with_namespace": path,
            "default_branch": "main", "visibility": "private", "import_status": "none", "ci_config_path": None,
            "restrict_user_defined_variables": False, "ci_pipeline_variables_minimum_override_role": "developer",
            **extra}


class FakeGitLab:
    """The server's state, and the routes of the API that grader gitlab uses."""

    def __init__(self) -> None:
        self.token = "secret"
        self.calls: list[tuple[str, str, dict]] = []  # (method, decoded path, JSON or form body)
        self.users = {"prof": 1, "e001": 11, "jdupont": 12, "e003": 13}
        self.namespaces = {"course", "l3-ap"}
        self.projects = {100: project_json(100, "course/starter")}
        self.members: dict[int, dict[int, int]] = {}  # project -> user -> access level
        self.tags: dict[int, dict[str, dict]] = {}
        self.branches: dict[int, dict[str, dict]] = {}
        self.events: dict[str, list[dict]] = {}  # project path -> push events
        self.pipelines: dict[str, dict[str, list[dict]]] = {}  # project path -> scope -> pipelines
        self.fork_status = "finished"  # import_status of a new fork once it is read again

    def writes(self) -> list[tuple[str, str, dict]]:
        return [call for call in self.calls if call[0] != "GET"]

    def route(self, method: str, parts: list[str], query: dict, body: dict) -> tuple[int, object]:
        match parts:
            case ["user"]:
                return 200, {"id": 1, "username": "prof"}
            case ["users"]:
                name = query.get("username")
                return 200, [{"id": self.users[name], "username": name}] if name in self.users else []
            case ["projects", key, *rest]:
                found = [p for p in self.projects.values() if key in (str(p["id"]), p["path_with_namespace"])]
                if not found:
                    return 404, {"message": "404 Project Not Found"}
                return self.project_route(method, found[0], rest, query, body)
        return 404, {"message": "404 Not Found"}

    def project_route(self, method: str, project: dict, rest: list[str], query: dict, body: dict) -> tuple[int, object]:
        pid, path = project["id"], project["path_with_namespace"]
        match method, rest:
            case "GET", []:
                return 200, project
            case "PUT", []:
                project.update(body)
                return 200, project
            case "POST", ["fork"]:
                return self.fork(project, body)
            case "DELETE", ["fork"]:
                return (204, None) if project.pop("forked_from_project", None) else (304, None)
            case "GET", ["members", user]:
                level = self.members.get(pid, {}).get(int(user))
                return (200, {"id": int(user), "access_level": level}) if level else (404, {"message": "404 Not found"})
            case "POST", ["members"]:
                if int(body["user_id"]) in self.members.setdefault(pid, {}):
                    return 409, {"message": "Member already exists"}
                self.members[pid][int(body["user_id"])] = int(body["access_level"])
                return 201, {"id": int(body["user_id"]), "access_level": int(body["access_level"])}
            case _, ["protected_tags", *name]:
                return self.protection(method, self.tags.setdefault(pid, {}), name, body, "create_access_level")
            case _, ["protected_branches", *name]:
                return self.protection(method, self.branches.setdefault(pid, {}), name, body, "push_access_level")
            case "GET", ["events"] if query.get("action") == "pushed":
                return 200, self.events.get(path, [])
            case "GET", ["pipelines"]:
                return 200, self.pipelines.get(path, {}).get(query.get("scope", ""), [])
        return 404, {"message": "404 Not Found"}

    def fork(self, source: dict, body: dict) -> tuple[int, object]:
        if body.get("namespace_path") not in self.namespaces:
            return 404, {"message": "404 Target Namespace Not Found"}
        path = f"{body['namespace_path']}/{body['path']}"
        if any(p["path_with_namespace"] == path for p in self.projects.values()):
            return 409, {"message": {"path": ["has already been taken"]}}
        pid = max(self.projects) + 1
        self.projects[pid] = project_json(pid, path, import_status=self.fork_status, visibility=body.get("visibility"),
                                          forked_from_project={"id": source["id"]})
        self.branches[pid] = {"main": {"name": "main", **MAINTAINERS_ONLY}}
        return 201, dict(self.projects[pid], import_status="scheduled")

    @staticmethod
    def protection(method: str, rules: dict[str, dict], name: list[str], body: dict, level_key: str) -> tuple[int, object]:
        if method == "POST":
            if body["name"] in rules:
                return 409, {"message": f"Protected ref '{body['name']}' already exists"}
            rule = {"name": body["name"], **{k: v for k, v in body.items() if k == "allow_force_push"}}
            for key in ("create_access_level", "push_access_level", "merge_access_level"):
                if key in body:
                    rule[key + "s"] = [{"access_level": body[key]}]
            rules[body["name"]] = rule
            return 201, rule
        if not name or name[0] not in rules:
            return 404, {"message": "404 Not found"}
        if method == "DELETE":
            del rules[name[0]]
            return 204, None
        return 200, rules[name[0]]


class Handler(BaseHTTPRequestHandler):
    gitlab: FakeGitLab
    timeout = 10  # a stuck client never hangs the test run

    def answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        json_body = "json" in (self.headers.get("Content-Type") or "")
        body = (json.loads(raw) if json_body else dict(parse_qsl(raw.decode()))) if raw else {}
        segments = [unquote(s) for s in parts.path.split("/")[3:]]  # "", "api", "v4", then the resource
        query = f"?{parts.query}" if parts.query else ""
        self.gitlab.calls.append((method, "/" + "/".join(segments) + query, body))
        if self.headers.get("PRIVATE-TOKEN") != self.gitlab.token:
            status, payload = 401, {"message": "401 Unauthorized"}
        else:
            status, payload = self.gitlab.route(method, segments, dict(parse_qsl(parts.query)), body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self.answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self.answer("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self.answer("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self.answer("DELETE")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gitlab_server(monkeypatch):
    state = FakeGitLab()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("BoundHandler", (Handler,), {"gitlab": state}))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("GITLAB_TOKEN", "secret")
    monkeypatch.delenv("CI_SERVER_URL", raising=False)
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def write_roster(folder: Path, pair_username: str = "e003") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(
        "id,name,email,repo,group,username\n"
        "e001,Dupont Jeanne,e001@etu.example.fr,https://gitlab.example.fr/l3-ap/e001.git,,\n"
        "e002,Durand Jean,e002@etu.example.fr,git@gitlab.example.fr:l3-ap/binome-1.git,g1,jdupont\n"
        f"e003,Martin Léa,e003@etu.example.fr,,g1,{pair_username}\n", encoding="utf-8")
    return folder / "roster.csv"


def setup(url: str, roster: Path, *extra: str) -> int:
    return cli.main(["--project", str(ROOT), "gitlab", "setup", "--roster", str(roster), "--starter", "course/starter",
                     "--ci-config", "grade.yml@course/ci-config", "--url", url, *extra])


def expected_writes(pid: int, name: str, users: list[int]) -> list[tuple[str, str, dict]]:
    return [("POST", "/projects/100/fork", {"namespace_path": "l3-ap", "path": name, "name": name, "visibility": "private"}),
            ("DELETE", f"/projects/{pid}/fork", {}),
            *[("POST", f"/projects/{pid}/members", {"user_id": user, "access_level": 30}) for user in users],
            ("PUT", f"/projects/{pid}", {"restrict_user_defined_variables": True,
                                         "ci_pipeline_variables_minimum_override_role": "maintainer",
                                         "ci_config_path": "grade.yml@course/ci-config"}),
            ("POST", f"/projects/{pid}/protected_tags", {"name": "tp*", "create_access_level": 30}),
            ("DELETE", f"/projects/{pid}/protected_branches/main", {}),
            ("POST", f"/projects/{pid}/protected_branches",
             {"name": "main", "push_access_level": 30, "merge_access_level": 30, "allow_force_push": False})]


def test_setup_forks_and_locks_down_each_project(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    assert setup(url, write_roster(tmp_path)) == 0
    assert state.writes() == expected_writes(101, "e001", [11]) + expected_writes(102, "binome-1", [12, 13])
    assert state.projects[102]["path_with_namespace"] == "l3-ap/binome-1" and "forked_from_project" not in state.projects[102]
    assert state.members == {101: {11: 30}, 102: {12: 30, 13: 30}}
    assert state.branches[101]["main"]["allow_force_push"] is False
    out = capsys.readouterr().out
    assert "g1           member jdupont         created" in out
    assert out.strip().splitlines()[-1].startswith(f"2 projects on {url}: 2 fine, 0 with problems")


def test_second_run_forks_nothing_and_writes_nothing(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    roster = write_roster(tmp_path)
    assert setup(url, roster) == 0
    state.calls.clear()
    capsys.readouterr()
    assert setup(url, roster) == 0
    assert state.writes() == []
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 12 and all(" already there " in line for line in lines[:-1])


def test_drift_is_repaired_and_other_roles_are_left(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    roster = write_roster(tmp_path)
    assert setup(url, roster) == 0
    state.branches[101]["main"]["allow_force_push"] = True
    state.members[102][13] = 40
    state.calls.clear()
    capsys.readouterr()
    assert setup(url, roster, "--dry-run") == 1
    assert state.writes() == []
    out = capsys.readouterr().out
    assert "e001         branch main            would update" in out
    assert "already a member as Maintainer (40), not Developer: left as it is" in out
    assert setup(url, roster) == 1  # the Maintainer is reported, never changed
    assert state.writes() == expected_writes(101, "e001", [])[-2:]
    assert state.members[102][13] == 40


def test_unknown_username_is_reported_and_the_others_set_up(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    assert setup(url, write_roster(tmp_path, pair_username="inconnu")) == 1
    out = capsys.readouterr().out
    assert "g1           member inconnu         problem        no GitLab user 'inconnu' (student e003)" in out
    assert "1 fine, 1 with problems" in out
    assert state.writes() == expected_writes(101, "e001", [11]) + expected_writes(102, "binome-1", [12])


def test_dry_run_makes_no_write_call(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    assert setup(url, write_roster(tmp_path), "--dry-run") == 0
    assert state.writes() == [] and len(state.projects) == 1
    out = capsys.readouterr().out
    assert "e001         project                would create   l3-ap/e001: forked from course/starter (private)" in out
    assert "g1           member e003            would create   add as Developer" in out
    assert out.strip().endswith("(dry run: nothing changed)")


def test_a_fork_still_being_copied_is_finished_by_the_next_run(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    state.fork_status = "started"
    roster = write_roster(tmp_path)
    assert setup(url, roster, "--fork-timeout", "0") == 1
    assert [call[:2] for call in state.writes()] == [("POST", "/projects/100/fork")] * 2
    assert "still being copied (import_status started): run setup again" in capsys.readouterr().out
    for project in state.projects.values():
        project["import_status"] = "finished"
    state.calls.clear()
    assert setup(url, roster) == 0
    assert state.writes() == expected_writes(101, "e001", [11])[1:] + expected_writes(102, "binome-1", [12, 13])[1:]
    assert "e001         project                updated        l3-ap/e001: fork link removed" in capsys.readouterr().out


def test_wrong_or_missing_token_is_a_clean_error(gitlab_server, tmp_path, capsys, monkeypatch):
    state, url = gitlab_server
    roster = write_roster(tmp_path)
    monkeypatch.setenv("GITLAB_TOKEN", "wrong")
    assert setup(url, roster) == 2
    err = capsys.readouterr().err
    assert err == (f"grader: error: GitLab at {url} refused the token in GITLAB_TOKEN (401 Unauthorized): "
                   "create a new access token with the api scope\n")
    monkeypatch.delenv("GITLAB_TOKEN")
    assert setup(url, roster) == 2
    assert "GITLAB_TOKEN is not set" in capsys.readouterr().err
    assert state.writes() == []


def test_bad_arguments_are_usage_errors(gitlab_server, tmp_path, capsys):
    state, url = gitlab_server
    roster = write_roster(tmp_path)
    assert setup(url, roster, "--ci-config", "grade.yml") == 2
    assert "expected FILE@GROUP/PROJECT" in capsys.readouterr().err
    assert cli.main(["--project", str(ROOT), "gitlab", "setup", "--roster", str(roster), "--starter", "course/nope",
                     "--url", url]) == 2
    assert "--starter course/nope: cannot read it" in capsys.readouterr().err
    assert setup(url, write_roster(tmp_path / "espace", pair_username="léa martin")) == 2
    assert "roster.csv:4 [username]: 'léa martin' is not a GitLab username" in capsys.readouterr().err
    assert state.writes() == []


def write_course(folder: Path, url: str | None) -> Path:
    write_roster(folder)
    gitlab = f"gitlab: {{url: \"{url}\", token_env: GL_TOKEN}}\n" if url else ""
    (folder / "course.yaml").write_text('course: "Apprentissage profond"\nroster: roster.csv\nformula: "tp1"\n'
                                        'tps:\n  tp1: {deadline: "2026-02-15T23:59:00+01:00"}\n' + gitlab, encoding="utf-8")
    return folder / "course.yaml"


def snapshot(course: Path) -> int:
    return cli.main(["--project", str(ROOT), "gitlab", "snapshot", "--course", str(course)])


def test_snapshot_records_pushes_and_pipelines_once(gitlab_server, tmp_path, capsys, monkeypatch):
    state, url = gitlab_server
    monkeypatch.setenv("GL_TOKEN", "secret")
    state.projects[101] = project_json(101, "l3-ap/e001")
    state.projects[102] = project_json(102, "l3-ap/binome-1")
    state.events["l3-ap/e001"] = [{"id": 1, "created_at": "2026-02-15T22:10:00.000Z", "push_data": {
        "commit_to": "b" * 40, "ref": "tp1", "ref_type": "tag", "action": "created"}}]
    state.pipelines["l3-ap/e001"] = {"tags": [{"id": 7, "ref": "tp1", "sha": "b" * 40, "status": "success",
                                               "created_at": "2026-02-15T23:10:02.000+01:00"}],
                                     "branches": [{"id": 6, "ref": "main", "sha": "a" * 40, "status": "failed",
                                                   "created_at": "2026-02-14T09:00:00.000+01:00"}]}
    state.pipelines["l3-ap/binome-1"] = {"branches": [{"id": 9, "ref": "dev", "sha": "c" * 40, "status": "success",
                                                       "created_at": "2026-02-16T10:00:00.123Z"}]}
    course = write_course(tmp_path, url)
    assert snapshot(course) == 0
    assert "2 GitLab projects · 1 pushes · 3 pipelines · 4 new sightings" in capsys.readouterr().out
    lines = [json.loads(line) for line in (tmp_path / "ledger.jsonl").read_text().splitlines()]
    assert [(s["owner"], s["ref"], s["sha"][0], s["seen_at"], s["source"]) for s in lines] == [
        ("e001", "tag:tp1", "b", "2026-02-15T22:10:00+00:00", "gitlab"),
        ("e001", "tag:tp1", "b", "2026-02-15T22:10:02+00:00", "ci"),
        ("e001", "branch:main", "a", "2026-02-14T08:00:00+00:00", "ci"),
        ("g1", "branch:dev", "c", "2026-02-16T10:00:00.123000+00:00", "ci")]
    assert [call[1] for call in state.calls if "/pipelines" in call[1]] == [
        f"/projects/l3-ap/{name}/pipelines?scope={scope}" for name in ("e001", "binome-1") for scope in ("tags", "branches")]
    assert snapshot(course) == 0
    assert "· 0 new sightings" in capsys.readouterr().out
    assert len((tmp_path / "ledger.jsonl").read_text().splitlines()) == 4
    assert state.writes() == []


def test_snapshot_needs_the_gitlab_key_and_a_good_token(gitlab_server, tmp_path, capsys, monkeypatch):
    _, url = gitlab_server
    assert snapshot(write_course(tmp_path / "sans", None)) == 2
    assert "[gitlab]: no gitlab key: add `gitlab: {url:" in capsys.readouterr().err
    monkeypatch.setenv("GL_TOKEN", "wrong")
    assert snapshot(write_course(tmp_path / "avec", url)) == 2
    assert "refused the token in GL_TOKEN (401 Unauthorized)" in capsys.readouterr().err
    assert not (tmp_path / "avec" / "ledger.jsonl").exists()
