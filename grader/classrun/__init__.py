"""The class run: `grader collect`, `grader report`, `grader history`, from Git repositories to
the gradebook's files.

`collect.py` fetches every repository of the roster (a shard of it), records what it sees in the
ledger, picks each TP's commit, has the integrity scans run, grades what the cache lacks through
a pool of processes (`jobs.py`: the cache key, one commit's grading, the better candidate after
lateness) and stores one submissions file per owner (grader.course.submissions). `classreport.py`
writes the gradebook (CSV for Moodle, HTML page, feedback files) from what is stored, with
`classtests.py` (per-test statistics) and `attention.py` (what the instructor should check);
`history.py` tells one student's semester.

Place in the flow (docs/architecture.md): the top of the flow below the CLI; it calls every
other family, none calls it.

May import: grader.integrity, grader.gitlab, grader.course, grader.grading, grader.sandbox (the
pool's templates and scratch space) and grader.base.
"""
