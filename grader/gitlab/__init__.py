"""GitLab: the course's forge, seen from the trusted side.

`events.py` reads GitLab's push events and pipelines into first-seen sightings for the ledger
(evidence of time a student cannot forge); `admin.py` is `grader gitlab setup` and `grader
gitlab snapshot` (the class's projects, their CI config path, protected tags, the schedule);
`push.py` is `grader push`: one push graded in the trusted grade job of a pipeline, and what the
student may see of it before the deadline.

Place in the flow (docs/architecture.md): beside the class run, which reads its sightings; it
grades through grader.grading like everything else.

May import: grader.course (course.yaml, the roster, the ledger), grader.grading and grader.base.
`import gitlab` in these modules is python-gitlab, never this package (absolute imports).
"""
