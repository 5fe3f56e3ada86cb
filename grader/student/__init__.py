"""The student's side: `grader check TP`, what a student runs on their own machine and in their
own CI job: the public tests of their repository, run by pytest with `check_plugin.py`, and a
provisional mark, with messages in French (`check_messages.py`).

Place in the flow (docs/architecture.md): beside the grading of one submission, never inside it:
nothing hidden is at stake (the public tests, the student's own code, unsandboxed where the OS
lacks the layers). Its modules, the CLI's entry and what they import make the students' wheel
(grader/authoring/student_wheel.py).

May import: grader.grading (config, marks, repos, report: modules that import nothing heavier)
and grader.base; nothing else, or the students' wheel would grow.
"""
