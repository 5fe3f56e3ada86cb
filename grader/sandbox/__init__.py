"""The untrusted side of the trust boundary: worker processes that run student code.

`sandbox` imports nothing from the rest of `grader`; the rest talks to it through
`WorkerSession` (session.py) and plain data (protocol.py).
"""
from __future__ import annotations

from .protocol import ProtocolError
from .session import CallFailure, IsolationReport, SandboxPolicy, WorkerSession

__all__ = ["CallFailure", "IsolationReport", "ProtocolError", "SandboxPolicy", "WorkerSession"]
