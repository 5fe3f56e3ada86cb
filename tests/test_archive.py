"""Tests of grader/integrity/archive.py, grader/integrity/outside.py and grader/course/origins.py: a 2025
class archived with `grader archive`, then a 2026 class with disguised copies of 2025 submissions and of a public
source among independent students, compared with `grader similarity` (real git repos, real runs)."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

from grader.integrity import similarity
from grader.integrity.archive import read_record, records
from grader.cli import main
from grader.course.course import load_course
from grader.base.errors import ConfigError
from grader.integrity.pairs import THRESHOLD, read_csv

from .classmates import ROOT
from .classmates.years import COPIES, build_years


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    base = tmp_path_factory.mktemp("years")
    built = build_years(base)
    out_2025, out_2026 = built.course_2025.parent / "out", built.course_2026.parent / "out"
    # Another process, another hash seed: copydetect's k-gram hashes (Python's hash()) differ from ours
    done = subprocess.run([sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())", "archive",
                           "--course", str(built.course_2025), "--out", str(out_2025), "--year", "2025"],
                          env={**os.environ, "PYTHONHASHSEED": "2025"}, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("archive tp1: 30 submissions of 2025 in ")
    assert main(["similarity", "--course", str(built.course_2026), "--out", str(out_2026)]) == 0
    return built, out_2026


def planted_pair(pair, planted: dict[str, str]) -> bool:
    return planted.get(pair.a) == pair.b


def test_the_archive_holds_the_2025_class(years):
    built, _ = years
    found = records([built.archive], "tp1")
    assert len(found) == 30 and {p.parent.parent.name for p in found} == {"2025"}
    record = read_record(found[3])
    assert record.ref == "2025/a03" and record.label == "Nom a03 (a03), 2025" and record.grams.hashes.size > 1000
    assert not [name for name in np.load(found[3].with_suffix(".npz"), allow_pickle=False).files if "hash" in name]
    assert {f.path for f in record.document.files} >= {"tp1/mlp.py", "tp1/losses.py"}
    assert stat.S_IMODE(built.archive.stat().st_mode) == 0o700  # students' code and names
    data = json.loads(found[3].read_text(encoding="utf-8"))
    assert data["year"] == 2025 and data["students"][0]["name"] == "Nom a03" and data["commit"]


def test_every_copy_ranks_above_every_independent_pair_naming_its_origin(years):
    built, out = years
    pairs = read_csv(out / "similarity-tp1.csv")
    copies = [p for p in pairs if planted_pair(p, built.planted)]
    independent = [p for p in pairs if not planted_pair(p, built.planted)]
    assert len(copies) == len(COPIES) >= 6 and {p.origin for p in copies} == {"archive", "source"}
    assert {p.origin for p in independent} == {"", "archive", "source"}  # classmates, 2025 and sources alike
    assert min(p.score for p in copies) > max(p.score for p in independent)
    for copier, origin in built.planted.items():  # each copy's closest match is its true origin, named
        best = max((p for p in pairs if copier in (p.a, p.b)), key=lambda p: p.score)
        assert (best.a, best.b) == (copier, origin)
        assert best.label == (f"Nom {origin[5:]} ({origin[5:]}), 2025" if origin.startswith("2025/")
                              else "Corrigé publié web-a — https://github.com/exemple/web-a")
    flagged = {(p.a, p.b) for p in pairs if p.score >= THRESHOLD}
    assert flagged == set(built.planted.items())  # precision and recall 1 at the threshold


def test_archive_and_sources_on_the_instructor_pages_only(years):
    built, out = years
    page = (out / "similarity-tp1.html").read_text(encoding="utf-8")
    assert "ressemble à Nom a03 (a03), 2025" in page and "source : Corrigé publié web-a" in page
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', page))  # the URL is shown, not linked
    assert 'id="k01--archive-2025-a03"' in page
    gradebook = (out / "gradebook.html").read_text(encoding="utf-8")
    assert 'title="tp1 : ressemble à Nom a03 (a03), 2025"' in gradebook
    for feedback in (out / "feedback").glob("*.md"):  # no student ever reads an archived identity
        text = re.sub(r"`[0-9a-f]{40}`", "", feedback.read_text(encoding="utf-8"))  # commit ids are not identities
        assert not re.search(r"\b2025\b", text) and "Nom a03" not in text and not re.search(r"\ba03\b", text)
        assert "web-a" not in text and "ressemble" not in text


def test_the_archived_class_is_not_compared_with_itself(years, tmp_path):
    built, _ = years
    out = built.course_2025.parent / "out"
    assert main(["similarity", "--course", str(built.course_2025), "--out", str(out)]) == 0
    assert not [p for p in read_csv(out / "similarity-tp1.csv") if p.origin]


def test_a_rerun_compares_nothing_until_the_archive_changes(years, tmp_path, monkeypatch, capsys):
    built, out = years
    copy = tmp_path / "2026"
    shutil.copytree(out.parent, copy, symlinks=True)
    course = copy / "course.yaml"
    course.write_text(course.read_text(encoding="utf-8").replace("../archive", str(built.archive))
                      .replace("../sources", str(built.archive.parent / "sources")), encoding="utf-8")
    assert main(["similarity", "--course", str(course), "--out", str(copy / "out")]) == 0  # the paths changed
    before = (copy / "out" / "similarity-tp1.csv").read_bytes()
    real = similarity.documents
    monkeypatch.setattr(similarity, "documents", lambda *args: pytest.fail("compared again"))
    assert main(["similarity", "--course", str(course), "--out", str(copy / "out")]) == 0
    assert (copy / "out" / "similarity-tp1.csv").read_bytes() == before
    record = records([built.archive], "tp1")[3]
    moved = built.archive / "2024" / "tp1"
    moved.mkdir(parents=True)
    data = json.loads(record.read_text(encoding="utf-8"))
    (moved / "a03.json").write_text(json.dumps({**data, "year": 2024}), encoding="utf-8")
    shutil.copy(record.with_suffix(".npz"), moved / "a03.npz")
    monkeypatch.setattr(similarity, "documents", real)
    try:  # one more archived year: compared again, and k01's copy of a03 meets it too
        assert main(["similarity", "--course", str(course), "--out", str(copy / "out")]) == 0
        assert json.loads((copy / "out" / "similarity-tp1.done.json").read_text(encoding="utf-8"))["counts"]["archive"] == 31
        assert ("k01", "2024/a03") in {(p.a, p.b) for p in read_csv(copy / "out" / "similarity-tp1.csv")}
    finally:
        shutil.rmtree(built.archive / "2024")
    capsys.readouterr()


def test_archive_needs_a_folder_and_known_tps(years, tmp_path, capsys):
    built, _ = years
    course = tmp_path / "course.yaml"
    course.write_text(built.course_2025.read_text(encoding="utf-8").replace("archive: ../archive\n", "")
                      .replace("roster.csv", str(built.course_2025.parent / "roster.csv")), encoding="utf-8")
    out = str(built.course_2025.parent / "out")
    assert main(["archive", "--course", str(course), "--out", out]) == 2
    assert "no archive folder" in capsys.readouterr().err
    assert main(["archive", "tp9", "--course", str(built.course_2025), "--out", out, "--to", str(tmp_path / "a")]) == 2
    assert main(["archive", "--course", str(built.course_2025), "--out", str(tmp_path / "none")]) == 2


@pytest.mark.parametrize("keys, line, key, message", [
    ("sources: [web-a]\n", 7, "sources", "expected a mapping of source names"),
    ("sources:\n  web a: {dir: ., url: https://x.org}\n", 8, "sources.web a", "letters, digits"),
    ("sources:\n  web-a: {dir: nowhere, url: https://x.org}\n", 8, "sources.web-a.dir", "no such folder"),
    ("sources:\n  web-a: {dir: ., url: github}\n", 8, "sources.web-a.url", "the URL the source came from"),
    ("sources:\n  web-a: {dir: ., link: https://x.org}\n", 8, "sources.web-a.link", "unknown key"),
    ("archive: {a: 1}\n", 7, "archive", "a folder or a list of folders"),
    ("archive: [past, past]\n", 7, "archive[1]", "listed twice"),
])
def test_malformed_archive_and_sources_name_file_line_and_key(tmp_path, keys, line, key, message):
    course = tmp_path / "course.yaml"
    course.write_text('course: "C"\nroster: roster.csv\ntps:\n  tp1: {deadline: "2026-02-15T23:59:00+01:00"}\n'
                      'formula: "mean(tp1)"\n# the keys of issue 25\n' + keys, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_course(course)
    assert str(error.value).startswith(f"{course}:{line} [{key}]: ") and message in str(error.value)


def test_two_archive_folders_with_the_same_submission_compare_it_once(years, tmp_path):
    from grader.integrity.outside import gather

    built, _ = years
    other = tmp_path / "autre-groupe"
    shutil.copytree(built.archive / "2025" / "tp1", other / "2025" / "tp1")
    (other / "2025" / "tp1" / "a00.json").rename(other / "2025" / "tp1" / "z00.json")  # z00: only in the other folder
    data = json.loads((other / "2025" / "tp1" / "z00.json").read_text(encoding="utf-8"))
    (other / "2025" / "tp1" / "z00.json").write_text(json.dumps({**data, "owner": "z00"}), encoding="utf-8")
    (other / "2025" / "tp1" / "a00.npz").rename(other / "2025" / "tp1" / "z00.npz")
    found, notes = gather((built.archive, other), (), "tp1", np.zeros(0, np.int64), 2026, set())
    refs = [o.printed.document.owner for o in found]
    assert len(refs) == len(set(refs)) == 31 and "2025/z00" in refs
    assert len(notes) == 29 and notes[0].startswith("archive : 2025/a01 figure dans ")
