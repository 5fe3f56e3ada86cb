"""dlgrade: the trusted grading engine of the course *Apprentissage profond*.

One package per family of the flow (docs/architecture.md draws them and the directions their
imports may take, which tests/test_architecture.py checks):
base/ shared primitives · sandbox/ the untrusted side (runtime/: what runs contained) ·
grading/ one submission graded · student/ `grader check` · course/ the course and its class as
data · integrity/ hints on copied work · gitlab/ the forge · authoring/ the TPs, the starter
repo, mutants · classrun/ `grader collect` and `grader report` · commands/ the instructor's CLI ·
cli.py the console script. This file holds the version and imports nothing.
"""
from __future__ import annotations

__version__ = "0.1.0"
