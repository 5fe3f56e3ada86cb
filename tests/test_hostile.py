"""Each attack in tests/hostile/ is a real git repo graded by `grader test`, with every isolation
layer and again without bubblewrap: it gets exactly the mark its expect.yaml states, the grader
finishes with exit code 0, nothing rewrites its output, and the machine is left clean. Attacks on
the held-out tests of TP1–TP4 (a lookup in a copy of the dataset, weights written from it) start
from the untouched starter and are graded on those tests only."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import git
import pytest
import yaml

from grader.cli import main
from grader.grading.runner import hidden_lines
from grader.sandbox.limits import CGROUP_ROOT, UID_BASE, UID_SLOTS, process_state

from .conftest import commit_fixed, replace_function

HOSTILE = Path(__file__).with_name("hostile")
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "expect.yaml").exists())
# Workers come from a template (forked, then confined) where the grader is root; "fresh-worker"
# grades the same attack with a new interpreter confined from outside instead.
CONFIGS = {"all-layers": [], "no-bwrap": ["--without", "bwrap"], "fresh-worker": ["--without", "templates"]}


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
    folders = [*Path("/tmp").glob(tag), *Path("/dev/shm").glob(tag)]  # /dev/shm: the sandbox's tmpfs
    return {str(p) for p in [*folders, *CGROUP_ROOT.glob(f"*/{tag}"), *CGROUP_ROOT.glob(tag)]}


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


def build_case(project, name: str, dest: Path, substitutions: dict[str, str] | None = None) -> Path:
    """The attack `name` as a real git repo at `dest`: its base (solutions/ or the untouched
    starter, assignments/), its functions rewritten and files added, and the installed dataset
    files it vendors copied in."""
    case, substitutions = HOSTILE / name, substitutions or {}
    spec = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    base = project.assignments if spec.get("base") == "assignments" else project.solutions
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for target, body in (spec.get("functions") or {}).items():
        path = dest / target.split(":")[0]
        path.write_text(replace_function(path.read_text(encoding="utf-8"), target.split(":")[1],
                                         substitute(body, substitutions)), encoding="utf-8")
    for relative, text in overlay_files(case, substitutions).items():
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        (dest / relative).write_text(text, encoding="utf-8")
    for relative, text in (spec.get("append") or {}).items():  # e.g. a class redefined at the end of a module
        with open(dest / relative, "a", encoding="utf-8") as handle:
            handle.write("\n\n" + substitute(text, substitutions))
    for pattern, (count, size) in (spec.get("generated") or {}).items():  # large files of zeros
        for index in range(count):
            path = dest / pattern.format(index)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.truncate(size)
    for relative, (package, inside) in (spec.get("vendor") or {}).items():
        origin = Path(importlib.util.find_spec(package).submodule_search_locations[0]) / inside
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(origin, dest / relative)
    repo = git.Repo.init(dest, initial_branch="main")
    repo.git.add(A=True)
    commit_fixed(repo, f"attack {name}")
    return dest


def lookup_cases(tp: str) -> list[str]:
    """The attacks that grade chosen tests of `tp` (the calibration of held-out thresholds replays them)."""
    return [name for name in CASES
            if (yaml.safe_load((HOSTILE / name / "expect.yaml").read_text()).get("grade") or {}).get(tp)]


def configs_of(name: str) -> list[str]:
    """The configurations an attack is graded in (`configs` in its expect.yaml; all by default)."""
    spec = yaml.safe_load((HOSTILE / name / "expect.yaml").read_text(encoding="utf-8"))
    return spec.get("configs") or sorted(CONFIGS)


@pytest.mark.parametrize("name, config", [(name, config) for name in CASES for config in configs_of(name)])
def test_hostile_submission_gets_its_mark(name, config, project, tmp_path, capsys):
    case = HOSTILE / name
    spec = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    if spec.get("needs_root") and os.geteuid() != 0:
        pytest.skip("this attack is stopped by the uid layer, which needs the grader to run as root")
    expected = {**spec, **(spec.get(config) or {})}  # what this attack gets, with these layers
    listener = Listener()
    before, processes_before = leftovers(), set(worker_processes())
    substitutions = {"{{JSON}}": str(tmp_path / "out" / "tp1.json"), "{{REFERENCE}}": str(project.reference),
                     "{{PORT}}": str(listener.port)}
    repo = build_case(project, name, tmp_path / name, substitutions)
    lost, results, shown = set(), {}, ""
    try:
        for tp, only in (spec.get("grade") or {"tp1": None}).items():
            result_path = tmp_path / "out" / f"{tp}.json"
            options = [arg for test_id in only or () for arg in ("--only", test_id)]
            code = main(["test", tp, str(repo), "--json", str(result_path), "--timeout", str(spec.get("timeout", 3)),
                         *options, *CONFIGS[config]])
            assert code == 0
            results[tp] = (result_path, result_path.read_text())
            shown += results[tp][1] + capsys.readouterr().out
    finally:
        listener.close()
    time.sleep(spec.get("wait_after_s", 0))
    for tp, (result_path, written) in results.items():
        assert result_path.read_text() == written, "something rewrote the result after grading"
        result = json.loads(written)
        lost |= {t["id"].split("::")[1] for t in result["tests"] if t["status"] != "passed"}
        assert result["mark"] == expected["mark"], (tp, result["mark"], [(t["id"], t["points"], t["message"][:200])
                                                                          for t in result["tests"] if t["status"] != "passed" or t["message"]])
        shown_messages = " | ".join(t["message"] for t in result["tests"] if t["status"] != "passed")
        for pattern in expected.get("messages") or ():  # why the tests were lost, as the student reads it
            assert re.search(pattern, shown_messages), (pattern, shown_messages)
        if expected.get("errors"):
            assert re.search(expected["errors"], " | ".join(result["errors"])), result["errors"]
        # a failed test may keep part of its points only where the engine says why: a held-out score's
        # partial credit, or points kept because a function it calls is charged by its own test
        assert all(t["points"] < t["max_points"] and (t["points"] == 0 or t["message"]) for t in result["tests"]
                   if t["status"] != "passed")
        assert not any(line in shown for line in hidden_lines(project.reference / tp))
    assert lost == set(expected["lost"]), spec["attack"]
    assert listener.accepted == 0, "student code reached a server of the grading machine"
    survivors = sorted(set(worker_processes()) - processes_before)
    assert not survivors, f"processes of the submission outlived its grading: {describe(survivors)}"
    assert leftovers() <= before, "the sandbox left files or cgroups behind"


def test_the_grader_s_own_memory_stays_bounded_whatever_the_replies(project, tmp_path):
    """The bool bomb took the grader's own process to 4.7 GiB: its peak (VmHWM, the grading
    process alone, not its workers) now stays far under 1.5 GiB (a refused reply is freed before the
    error that says so: failures chained by a dependency check kept 256 MiB each alive, 1.6 GiB)."""
    import subprocess
    import sys

    repo = build_case(project, "bool_bomb", tmp_path / "bomb")
    script = ("import sys; from pathlib import Path; from grader.grading.config import Project; "
              "from grader.grading.runner import RunOptions, grade_checkout; project = Project.at(Path(sys.argv[1])); "
              "grading, _ = grade_checkout(project, project.tp('tp1'), Path(sys.argv[2]), options=RunOptions(call_timeout=10)); "
              "print(grading.mark, [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])")
    done = subprocess.run([sys.executable, "-c", script, str(project.root), str(repo)], capture_output=True, text=True,
                          timeout=300)
    mark, peak_kib = done.stdout.split()[-2:]
    assert float(mark) == 13.75 and int(peak_kib) < 1536 * 1024, (mark, int(peak_kib) // 1024)
