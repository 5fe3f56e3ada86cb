"""Options shared by the grading commands: isolation layers, limits, held-out secret."""
from __future__ import annotations

import argparse
import os
import sys

from ..base.errors import IsolationError, UsageError
from ..grading.heldout import KEY_ENV
from ..grading.runner import RunOptions
from ..sandbox import LAYERS, IsolationReport


def add_isolation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--require-isolation", action="store_true",
                        help="exit 3 if any isolation layer is missing (for the instructor's final runs)")
    parser.add_argument("--without", action="append", default=[], choices=LAYERS, metavar="LAYER",
                        help=f"switch an isolation layer off (repeatable): {', '.join(LAYERS)}")


def run_options(args: argparse.Namespace) -> RunOptions:
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    return RunOptions(call_timeout=timeout, without=frozenset(args.without), only=tuple(getattr(args, "only", ())),
                      heldout_key=os.environ.get(KEY_ENV, ""), heldout_seed=getattr(args, "heldout_seed", None))


def check_isolation(args: argparse.Namespace, isolation: IsolationReport) -> None:
    """A missing layer is always said (stderr); with --require-isolation it is an error."""
    if isolation.missing and not args.require_isolation:
        print("grader: warning: isolation layers missing: " + ", ".join(layer.name for layer in isolation.missing),
              file=sys.stderr)
    if args.require_isolation and isolation.missing:
        raise IsolationError("missing isolation layers: " + ", ".join(layer.name for layer in isolation.missing))
