"""Imported by the fork server of `grader collect`'s pool (poolstart.pool_context): imports, once,
the modules named in DLGRADE_TRUSTED_IMPORTS (comma-separated), so that every grading process it
forks has them already. A module that fails to import is left for the grading to report."""
import os

for _name in filter(None, os.environ.get("DLGRADE_TRUSTED_IMPORTS", "").split(",")):
    try:
        __import__(_name)
    except BaseException:  # noqa: BLE001 - collection of the hidden tests will say what is wrong
        pass
