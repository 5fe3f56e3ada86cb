"""The worker: the only process that imports student code (the untrusted side).

Started by `session.py` as `python -I worker.py IN_FD OUT_FD SUBMISSION_DIR`, already inside its
limits, under its own uid where the grader is root. It answers one request at a time: a probe
name and its arguments in, a value or an error description out. Nothing it sends is trusted:
the grader validates every frame, and the marks are computed on the grader's side.
"""
from __future__ import annotations

import os
import sys
import traceback

# `python -I` leaves the script's directory off sys.path: put the runtime first, then import
# numpy and the probes before the submission is on sys.path, so that a student's `numpy.py`
# or `probes.py` cannot shadow them; the submission goes last on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy  # noqa: E402,F401

import probes  # noqa: E402
import protocol  # noqa: E402

MESSAGE_LIMIT = 2000


def describe(exc: BaseException, submission: str) -> dict:
    """Type, message and the last line of student code in the traceback of `exc`."""
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(submission + os.sep):
            where = f"{os.path.relpath(frame.filename, submission)}:{frame.lineno}"
    kind = "import" if getattr(exc, "_dlgrade_import", False) else "exception"
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(submission):
        where = f"{os.path.relpath(exc.filename, submission)}:{exc.lineno}"
    try:
        message = str(exc)[:MESSAGE_LIMIT]
    except BaseException:  # a student exception whose __str__ raises
        message = "?"
    return {"kind": kind, "type": type(exc).__name__[:100], "message": message, "where": where}


def serve(in_fd: int, out_fd: int, submission: str) -> None:
    sys.path.append(submission)
    os.chdir(submission)
    while True:
        try:
            header, request = protocol.receive(in_fd)
        except protocol.StreamClosed:
            return
        reply = {"id": header.get("id"), "ok": True}
        try:
            value = probes.run(header.get("probe"), request)
        except BaseException as exc:  # SystemExit and pytest.skip() from student code included
            reply.update(ok=False, error=describe(exc, submission))
            value = None
        try:
            protocol.send(out_fd, reply, value)
        except TypeError as exc:  # the student returned something we cannot send
            reply.update(ok=False, error={"kind": "invalid", "type": "TypeError", "message": str(exc), "where": None})
            protocol.send(out_fd, reply, None)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), os.path.realpath(sys.argv[3]))
