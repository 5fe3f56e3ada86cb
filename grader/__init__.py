"""dlgrade: the trusted grading engine of the course *Apprentissage profond*."""
from __future__ import annotations

__version__ = "0.1.0"
