"""Shared primitives: what every family of the grader uses, and nothing else.

The error family that grader/cli.py turns into one line and an exit code (`errors.py`),
whole-or-nothing file writes and where the page templates are (`files.py`), YAML read with the
line of every key (`yamlsource.py`), Python source parsed one thread at a time (`parsing.py`).

Place in the flow (docs/architecture.md): the bottom, under every family but the sandbox.

May import: nothing of the grader (the standard library and pyyaml only), so that every family
reaches it without climbing.
"""
