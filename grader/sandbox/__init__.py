"""The untrusted side of the trust boundary: the processes that run student code, and their handles.

Place in the flow (docs/architecture.md): every call a hidden test makes into student code goes
through `WorkerSession.call` (session.py) to a worker process, and comes back as validated plain
data or a `CallFailure` (policy.py). What runs in those processes is in `runtime/`, copied by name
into each worker's runtime folder; what runs here, in the grader, starts, confines and ends them:
`layers.py` (which isolation layers this machine has), `limits.py` (rlimits, cgroups, uid slots),
`templates.py` (processes that have imported torch once and fork a worker per submission).

May import: nothing of the rest of the grader (not even `grader.base`), so that the boundary
reads on its own; the rest talks to it through the names below and plain data (runtime/protocol.py).
"""
from __future__ import annotations

from .layers import LAYERS, IsolationReport, Layer
from .limits import Limits
from .policy import Budget, CallFailure, SandboxError, SandboxPolicy
from .runtime.protocol import ProtocolError
from .session import WorkerSession

__all__ = ["LAYERS", "Budget", "CallFailure", "IsolationReport", "Layer", "Limits", "ProtocolError", "SandboxError",
           "SandboxPolicy", "WorkerSession"]
