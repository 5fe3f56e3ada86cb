"""Where a submission's code may come from besides its classmates: course.yaml's `archive:` and `sources:`.

- `archive:` one folder, or a list of folders, that `grader archive` fills with the graded
  submissions of past classes (one sub-folder per year). Every one is compared with, none has to
  exist yet: the first year's course names the folder its archive will go to.
- `sources:` known public solutions the instructor collected (a GitHub repository of a former
  student, an answer key posted online): one folder each, with a name and the URL it came from.
  A source's folder holds `tpN/` folders laid out like a student's repository (`.py` files, and
  notebooks whose code cells count as one file); a source without `tpN/` is not compared for tpN.

Only read and checked here (a leaf of the flow: nothing here reads code); errors name the file,
the line and the key like every other key of course.yaml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..base.yamlsource import YamlSource, kind

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Source:
    id: str  # the key in course.yaml ("cs231n-2019"): how the CSV, the page and the review file name it
    name: str  # for people ("CS231n 2019, dépôt GitHub d'un ancien étudiant"); default: the id
    url: str  # where the instructor found it, shown beside every match
    folder: Path  # absolute: holds tp1/, tp2/… like a student's repository

    @property
    def ref(self) -> str:
        """How a pair's other side names it (CSV, review file): "source:cs231n-2019"."""
        return f"source:{self.id}"


def parse_archives(source: YamlSource, value: object) -> tuple[Path, ...]:
    """`archive: past-years/` or `archive: [past-years/, ../other-course/archive/]`."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise source.error("archive", f"expected a folder or a list of folders, got {kind(value)}")
    folders = []
    for i, item in enumerate(items):
        key = "archive" if isinstance(value, str) else f"archive[{i}]"
        folder = (source.path.parent / source.text(item, key)).resolve()
        if folder in folders:
            raise source.error(key, f"{item!r} is listed twice")
        if folder.exists() and not folder.is_dir():
            raise source.error(key, f"{folder} is a file, not a folder")
        folders.append(folder)
    return tuple(folders)


def parse_sources(source: YamlSource, value: object) -> tuple[Source, ...]:
    """`sources: {cs231n-2019: {dir: sources/cs231n, url: https://…, name: "…"}}`."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        raise source.error("sources", f"expected a mapping of source names to {{dir, url, name}}, got {kind(value)}")
    found = []
    for ident, settings in value.items():
        key = f"sources.{ident}"
        if not isinstance(ident, str) or not SOURCE_ID.match(ident):
            raise source.error(key, f"a source's key is letters, digits, '.', '_' and '-', not {ident!r}")
        settings = source.mapping(settings, key, ("dir", "url", "name"), required=("dir", "url"))
        folder = (source.path.parent / source.text(settings["dir"], f"{key}.dir")).resolve()
        if not folder.is_dir():
            raise source.error(f"{key}.dir", f"no such folder: {folder}")
        url = source.text(settings["url"], f"{key}.url")
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url):
            raise source.error(f"{key}.url", f"expected the URL the source came from (https://…), got {url!r}")
        found.append(Source(ident, source.text(settings.get("name", ident), f"{key}.name"), url, folder))
    return tuple(found)
