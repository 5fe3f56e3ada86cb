"""What runs outside the trusted process, contained: the files copied by name into a worker's
runtime folder and run there as top-level modules.

- `worker.py`: the worker's main loop; `protocol.py`: the frames both sides read and write
  (the trusted side imports it too, as `grader.sandbox.runtime.protocol`);
- `template.py`, `confine.py`: a template process, and how each of its forks confines itself
  before it reads a byte of a submission;
- `probes.py`: the grader's public code that drives the student package in a worker;
- `replay.py`: the probes of the replay process, which rebuilds a student's trained model from
  its description and runs it, so that the trusted process never does.

Each file is self-contained: it imports the standard library, numpy and torch, and its runtime
neighbours by their bare names (`import protocol`), never the grader (`grader.*` does not exist
in a worker). tests/test_architecture.py checks it. This `__init__.py` is never copied; it only
says where the files are, for the trusted side that copies them.
"""
from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent  # the files a worker's runtime folder is made of
PROBES = FOLDER / "probes.py"  # a student worker's probes
REPLAY = FOLDER / "replay.py"  # the replay process's probes
