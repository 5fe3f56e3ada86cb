"""Shared primitives: what every family of the grader uses, and nothing else.

The error family turned into exit codes by the CLI (`errors.py`), whole-or-nothing file writes
(`files.py`), YAML read with the line of every key (`yamlsource.py`), Python source parsed one
thread at a time (`parsing.py`). Lowest layer of the flow: imports nothing of the grader (only
the standard library and pyyaml), so that every family reaches it without climbing.
"""
