"""The untrusted side of the trust boundary: worker processes that run student code.

`sandbox` imports nothing from the rest of `grader`; the rest talks to it through
`WorkerSession` (session.py) and plain data (protocol.py).
"""
from __future__ import annotations

from .layers import LAYERS, IsolationReport, Layer
from .limits import Limits
from .runtime.protocol import ProtocolError
from .session import CallFailure, SandboxError, SandboxPolicy, WorkerSession

__all__ = ["LAYERS", "CallFailure", "IsolationReport", "Layer", "Limits", "ProtocolError", "SandboxError",
           "SandboxPolicy", "WorkerSession"]
