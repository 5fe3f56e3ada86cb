"""Workers forked from a template (grader/sandbox/runtime/template.py, confine.py, templates.py): each
submission still gets its own process, confined before it reads anything — its own namespaces,
root, /tmp and randomness, another uid — and a template that dies costs no grading."""
from __future__ import annotations

import multiprocessing
import os
import signal

import numpy as np
import pytest

from grader.sandbox import SandboxPolicy, WorkerSession
from grader.sandbox.limits import become_subreaper, uid_processes
from grader.sandbox.templates import shared_templates
from grader.sandbox.templates import PROCESS_TEMPLATES, SharedTemplate, Template
from grader.grading.testkit import Student

from .conftest import needs_root

CODE = '''
import os
import numpy as np

def leave_a_file():
    with open("/tmp/left-behind", "w") as out:
        out.write("secret of the previous submission")
    return True

def look_around():
    return (os.getpid(), os.getuid(), os.path.exists("/tmp/left-behind"),
            len([p for p in os.listdir("/proc") if p.isdigit()]), float(np.random.rand()))
'''


@pytest.fixture
def submissions(tmp_path):
    folders = []
    for name in ("first", "second"):
        (tmp_path / name / "tp9").mkdir(parents=True)
        (tmp_path / name / "tp9" / "__init__.py").write_text("")
        (tmp_path / name / "tp9" / "m.py").write_text(CODE)
        folders.append(tmp_path / name)
    return folders


def look(project, folder, leave=True, **policy):
    with WorkerSession(folder, SandboxPolicy(probes_path=project.probes, **policy)) as session:
        student = Student(session)
        if leave:
            student.call("tp9.m.leave_a_file")
        names = ("pid", "uid", "left", "processes", "random")
        return dict(zip(names, student.call("tp9.m.look_around"))), session.isolation


@needs_root
def test_each_submission_gets_its_own_process_namespaces_tmp_and_randomness(project, submissions):
    first, isolation = look(project, submissions[0])
    second, _ = look(project, submissions[1], leave=False)
    layers = {layer.name: layer.active for layer in isolation.layers}
    assert layers["templates"] and layers["bwrap"] and layers["pid-namespace"]
    for seen in (first, second):
        assert seen["pid"] == 1 and seen["processes"] == 1  # alone in its PID namespace: no template in sight
        assert seen["uid"] != 0 and seen["uid"] != os.getuid()
    # The first left a file in its /tmp; the second, forked from the same template, has a /tmp of its own.
    assert first["left"] and not second["left"]
    assert first["random"] != second["random"]  # not the template's random state, copied


@needs_root
def test_a_dead_template_costs_no_grading(project, submissions):
    PROCESS_TEMPLATES.close()  # other tests of this process may have left templates of other imports
    look(project, submissions[0])
    [template] = [t for t in PROCESS_TEMPLATES.running()]
    os.kill(template.pid, signal.SIGKILL)
    seen, isolation = look(project, submissions[1])  # a new template, or a fresh worker: the call answers
    assert seen["pid"] > 0 and {layer.name: layer.active for layer in isolation.layers}["templates"]


@needs_root
def test_without_templates_a_fresh_worker_says_so(project, submissions):
    seen, isolation = look(project, submissions[0], without=frozenset({"templates"}))
    line = next(layer for layer in isolation.layers if layer.name == "templates")
    assert not line.active and "--without templates" in line.detail
    assert "templates" not in [layer.name for layer in isolation.missing]  # a speed-up, not an isolation layer
    assert seen["uid"] != 0


@needs_root
def test_the_template_is_not_dumpable_and_runs_no_student_code(project, submissions):
    PROCESS_TEMPLATES.close()
    look(project, submissions[0])
    [template] = PROCESS_TEMPLATES.running()
    status = dict(line.split(":", 1) for line in open(f"/proc/{template.pid}/status").read().splitlines() if ":" in line)
    assert status["Uid"].split()[0] == "0"
    assert os.stat(f"/proc/{template.pid}/mem").st_uid == 0  # non-dumpable: /proc/<pid>/* belongs to root
    maps = open(f"/proc/{template.pid}/maps").read()
    assert str(submissions[0]) not in maps and "tp9" not in maps


def own_shared_template(probes, answers, stop) -> None:
    """A pool's owner, in a process of its own: starts a shared template, says where, and waits.
    A subreaper that never reaps: an orphan the template did not reap would stay a zombie here."""
    become_subreaper()
    templates = shared_templates([SandboxPolicy(probes_path=probes)])
    answers.put({key: (template.address, template.pid) for key, template in templates.items()})
    stop.get()
    for template in templates.values():
        template.close()


@pytest.fixture
def offered(project):
    """The templates of a pool's owner (another process), offered to this one as a pool's are."""
    context = multiprocessing.get_context("spawn")
    answers, stop = context.Queue(), context.Queue()
    owner = context.Process(target=own_shared_template, args=(project.probes, answers, stop))
    owner.start()
    offers = answers.get(timeout=120)
    PROCESS_TEMPLATES.close()
    PROCESS_TEMPLATES.offer(offers)
    yield offers
    PROCESS_TEMPLATES.close()
    PROCESS_TEMPLATES._offers.clear()
    stop.put(None)
    owner.join(timeout=30)


@needs_root
def test_a_pool_shares_its_owners_template_and_each_grading_leaves_nothing(project, submissions, offered):
    [(address, pid)] = offered.values()
    first, isolation = look(project, submissions[0])
    assert {layer.name: layer.active for layer in isolation.layers}["templates"]
    [template] = PROCESS_TEMPLATES.running()
    assert isinstance(template, SharedTemplate) and template.pid == pid  # connected to, not started
    # The killed worker's PID-namespace init is an orphan of the template, whose starter here
    # never reaps: the template reaps it itself, so nothing of the slot's uid is left after close.
    assert uid_processes(first["uid"]) == set()
    second, _ = look(project, submissions[1], leave=False)
    assert second["pid"] == 1 and not second["left"] and second["random"] != first["random"]
    assert uid_processes(second["uid"]) == set()
    PROCESS_TEMPLATES.close()  # a grading process closes its connection, not the owner's template
    assert os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/status").read().count("State:\tZ") == 0


@needs_root
def test_a_shared_template_that_dies_costs_no_grading(project, submissions, offered):
    [(address, pid)] = offered.values()
    os.kill(pid, signal.SIGKILL)
    seen, _ = look(project, submissions[0])  # a fresh worker if it is not yet known dead, else our own template
    assert seen["pid"] > 0 and seen["uid"] != 0
    seen, isolation = look(project, submissions[1])
    assert seen["pid"] == 1 and {layer.name: layer.active for layer in isolation.layers}["templates"]
    [template] = PROCESS_TEMPLATES.running()
    assert type(template) is Template and template.pid != pid  # this process started its own
