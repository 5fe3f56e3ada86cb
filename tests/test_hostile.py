"""Each attack in tests/hostile/ is a real git repo graded by `grader test`, with every isolation
layer and again without bubblewrap: it gets exactly the mark its expect.yaml states, the grader
finishes with exit code 0, nothing rewrites its output, and the machine is left clean."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.runner import hidden_lines
from grader.sandbox.limits import CGROUP_ROOT, UID_BASE, UID_SLOTS, process_state

HOSTILE = Path(__file__).with_name("hostile")
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expect.yaml").exists())
CONFIGS = {"all-layers": [], "no-bwrap": ["--without", "bwrap"]}


def overlay_files(case: Path, substitutions: dict[str, str]) -> dict[str, str]:
    files = {}
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expect.yaml" and "__pycache__" not in path.parts:
            files[path.relative_to(case).as_posix()] = substitute(path.read_text(encoding="utf-8"), substitutions)
    return files


def substitute(text: str, substitutions: dict[str, str]) -> str:
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text


def worker_processes() -> list[int]:
    """Processes of a worker uid that descend from this test process (orphans come back to it:
    the grader is a child subreaper). Other graders running on the machine are not counted."""
    found = []
    for entry in Path("/proc").iterdir():
        state = process_state(int(entry.name)) if entry.name.isdigit() else None
        if state and UID_BASE <= state[0] < UID_BASE + UID_SLOTS and descends_from_us(int(entry.name)):
            found.append(int(entry.name))
    return found


def descends_from_us(pid: int) -> bool:
    for _ in range(64):
        state = process_state(pid)
        if state is None or state[2] <= 1:
            return False
        if state[2] == os.getpid():
            return True
        pid = state[2]
    return False


def describe(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120].decode()
        except OSError:
            cmd = "?"
        out.append(f"{pid} {process_state(pid)} {cmd}")
    return out


def leftovers() -> set[str]:
    """Sandbox directories and cgroups of this process's graders that outlive a grading."""
    tag = f"dlgrade-{os.getpid()}-*"
    return {str(p) for p in [*Path("/tmp").glob(tag), *CGROUP_ROOT.glob(f"*/{tag}"), *CGROUP_ROOT.glob(tag)]}


class Listener:
    """A TCP server on the grading machine's loopback that student code must never reach."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.server.settimeout(0.2)
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.sendall(b"ok")
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.server.close()


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("name", CASES)
def test_hostile_submission_gets_its_mark(name, config, project, student_repo, tmp_path, capsys):
    case = HOSTILE / name
    spec = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    if spec.get("needs_root") and os.geteuid() != 0:
        pytest.skip("this attack is stopped by the uid layer, which needs the grader to run as root")
    listener = Listener()
    before, processes_before = leftovers(), set(worker_processes())
    result_path = tmp_path / "out" / "result.json"
    substitutions = {"{{JSON}}": str(result_path), "{{REFERENCE}}": str(project.reference),
                     "{{PORT}}": str(listener.port)}
    functions = {tuple(target.split(":")): substitute(body, substitutions)
                 for target, body in (spec.get("functions") or {}).items()}
    repo = student_repo(files=overlay_files(case, substitutions), functions=functions, name=name)
    try:
        code = main(["test", "tp1", str(repo), "--json", str(result_path), "--timeout", "3", *CONFIGS[config]])
    finally:
        listener.close()
    assert code == 0
    table = capsys.readouterr().out
    written = result_path.read_text()
    time.sleep(spec.get("wait_after_s", 0))
    assert result_path.read_text() == written, "something rewrote the result after grading"

    result = json.loads(written)
    lost = {t["id"].split("::")[1] for t in result["tests"] if t["status"] != "passed"}
    assert lost == set(spec["lost"]), spec["attack"]
    assert result["mark"] == spec["mark"]
    assert all(t["points"] == 0 for t in result["tests"] if t["status"] != "passed")
    assert listener.accepted == 0, "student code reached a server of the grading machine"
    survivors = sorted(set(worker_processes()) - processes_before)
    assert not survivors, f"processes of the submission outlived its grading: {describe(survivors)}"
    assert leftovers() <= before, "the sandbox left files or cgroups behind"
    shown = written + table
    assert not any(line in shown for line in hidden_lines(project.reference / "tp1"))
