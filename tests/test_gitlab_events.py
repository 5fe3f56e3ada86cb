"""Tests of grader/gitlab/events.py against a local HTTP stub that answers as GitLab's events and
pipelines API documentation says (GET /api/v4/projects/:id/events?action=pushed, and
GET /api/v4/projects/:id/pipelines?scope=tags|branches: the newest pipeline of each tag or branch)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from grader.gitlab.events import pipeline_sightings, project_path, push_sightings
from grader.course.ledger import Ledger
from grader.course.roster import RepoOwner

EVENTS = {
    "l3-ap/e001": [
        {"id": 3, "action_name": "pushed to", "created_at": "2026-02-15T22:10:00.000Z",
         "push_data": {"commit_to": "b" * 40, "ref": "tp1", "ref_type": "tag", "action": "created"}},
        {"id": 2, "action_name": "pushed to", "created_at": "2026-02-14T09:00:00.000+01:00",
         "push_data": {"commit_to": "a" * 40, "ref": "main", "ref_type": "branch", "action": "pushed"}},
        {"id": 1, "action_name": "deleted", "created_at": "2026-02-13T09:00:00.000Z",
         "push_data": {"commit_to": None, "ref": "old", "ref_type": "branch", "action": "removed"}},
    ],
}

PIPELINES = {
    ("l3-ap/e001", "tags"): [{"id": 12, "iid": 4, "ref": "tp1", "sha": "b" * 40, "status": "success",
                              "source": "push", "created_at": "2026-02-15T23:10:05.000+01:00"}],
    ("l3-ap/e001", "branches"): [{"id": 11, "iid": 3, "ref": "main", "sha": "a" * 40, "status": "failed",
                                  "source": "push", "created_at": "2026-02-14T08:00:01.000Z"}],
}


class GitLabStub(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        self.requests.append(self.path)
        encoded, _, resource = parts.path.removeprefix("/api/v4/projects/").partition("/")
        project, query = unquote(encoded), dict(parse_qsl(parts.query))
        answer = None  # 404: a project this GitLab does not have
        if resource == "events" and query.get("action") == "pushed":
            answer = EVENTS.get(project)
        elif resource == "pipelines" and project in EVENTS:
            answer = PIPELINES.get((project, query.get("scope")), [])
        if self.headers.get("PRIVATE-TOKEN") != "secret":
            self.send_error(401)
        elif answer is not None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), GitLabStub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


OWNERS = [RepoOwner("e001", "https://gitlab.example.fr/l3-ap/e001.git", None, ("e001",)),
          RepoOwner("e002", "git@gitlab.example.fr:l3-ap/e002.git", None, ("e002",)),
          RepoOwner("e003", "/srv/local/e003", None, ("e003",))]


def test_project_paths():
    assert [project_path(o.url) for o in OWNERS] == ["l3-ap/e001", "l3-ap/e002", None]


def test_push_events_become_sightings(server, monkeypatch):
    monkeypatch.setenv("GL_TOKEN", "secret")
    sightings, notes = push_sightings(server, "GL_TOKEN", OWNERS)
    assert [(s.owner, s.ref, s.sha[0], s.seen_at, s.source) for s in sightings] == [
        ("e001", "tag:tp1", "b", "2026-02-15T22:10:00+00:00", "gitlab"),
        ("e001", "branch:main", "a", "2026-02-14T08:00:00+00:00", "gitlab")]
    assert notes == ["e002: évènements GitLab illisibles (GitlabListError)"]


def test_missing_token_is_a_note_not_an_error(server, monkeypatch):
    monkeypatch.delenv("GL_TOKEN", raising=False)
    assert push_sightings(server, "GL_TOKEN", OWNERS) == ([], ["évènements GitLab ignorés : la variable GL_TOKEN n'est pas définie"])


def test_wrong_token_is_a_note(server, monkeypatch):
    monkeypatch.setenv("GL_TOKEN", "wrong")
    sightings, notes = push_sightings(server, "GL_TOKEN", OWNERS)
    assert sightings == [] and len(notes) == 2


def test_events_read_twice_are_recorded_once(server, monkeypatch, tmp_path):
    monkeypatch.setenv("GL_TOKEN", "secret")
    ledger = Ledger(tmp_path / "ledger.jsonl")
    for _ in range(2):
        ledger.record(push_sightings(server, "GL_TOKEN", OWNERS)[0])
    assert len((tmp_path / "ledger.jsonl").read_text().splitlines()) == 2
    assert len(Ledger(tmp_path / "ledger.jsonl").of("e001")) == 2


def test_pipelines_become_ci_sightings(server, monkeypatch):
    monkeypatch.setenv("GL_TOKEN", "secret")
    sightings, notes = pipeline_sightings(server, "GL_TOKEN", OWNERS)
    assert [(s.owner, s.ref, s.sha[0], s.seen_at, s.source) for s in sightings] == [
        ("e001", "tag:tp1", "b", "2026-02-15T22:10:05+00:00", "ci"),
        ("e001", "branch:main", "a", "2026-02-14T08:00:01+00:00", "ci")]
    assert notes == ["e002: pipelines GitLab illisibles (GitlabListError)"]
    monkeypatch.delenv("GL_TOKEN")
    assert pipeline_sightings(server, "GL_TOKEN", OWNERS) == (
        [], ["pipelines GitLab ignorés : la variable GL_TOKEN n'est pas définie"])
