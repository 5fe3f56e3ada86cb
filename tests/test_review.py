"""Tests of grader/course/review.py: integrity-review.yaml checked with file, line and key; its decisions on
the similarity page and the gradebook page (also in a real headless Chromium), across re-runs, and
never a mark change."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import simulated_main as main  # --now: the simulated clock (DLGRADE_CLOCK)
from grader.course.course import load_class
from grader.base.errors import ConfigError
from grader.integrity.flags import KINDS
from grader.course.review import FLAG_KINDS
from tests.test_classreport import chromium, needs_chromium
from tests.test_gradebook import write_class
from tests.test_oral import demo_class

REVIEW = """\
- pair: [e001, e005]
  tp: tp1
  decision: écarté
  note: "Deux copies du corrigé distribué en séance : rien à reprocher."
  date: 2026-03-02
- pair: [e003, e001]     # e003 works in group b01: the decision is b01's
  tp: tp1
  decision: confirmé
  note: "Copie reconnue par le binôme en entretien."
  date: 2026-03-03
- flag: data-access
  student: e002
  tp: tp1
  decision: à discuter
  note: "Lit un fichier : à demander en TP."
  date: 2026-03-04
"""


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """The demo class, collected; then a stored flag for e002 and the review file, and `grader report`."""
    course, out = demo_class(tmp_path_factory.mktemp("review") / "demo")
    before = {p.relative_to(out): p.read_bytes() for p in [out / "gradebook.csv", *sorted((out / "feedback").glob("*.md"))]}
    (out / "flags" / "e002.json").write_text(json.dumps([{
        "owner": "e002", "tp": "tp1", "kind": "data-access", "where": "tp1/mlp.py:3",
        "detail": "appelle open() (lecture de fichier)"}], ensure_ascii=False), encoding="utf-8")
    (course.parent / "integrity-review.yaml").write_text(REVIEW, encoding="utf-8")
    assert main(["report", "--course", str(course), "--out", str(out)]) == 0
    return course, out, before


def test_decisions_show_on_the_similarity_page(reviewed):
    _, out, _ = reviewed
    page = (out / "similarity-tp1.html").read_text(encoding="utf-8")
    assert '<tr class="suspect ecarte">' in page and '<tr class="suspect confirme">' in page
    assert 'class="pair ecarte" id="e001--e005"' in page and 'class="pair confirme" id="b01--e001"' in page
    assert "Décision du 2026-03-03 : <strong>confirmé</strong> — Copie reconnue par le binôme en entretien." in page
    assert "Afficher les paires écartées (1)" in page


def test_decisions_show_on_the_gradebook_page_and_no_mark_changes(reviewed):
    _, out, before = reviewed
    page = (out / "gradebook.html").read_text(encoding="utf-8")
    assert "integrity-review.yaml</code>, 3 décision(s)" in page
    assert re.search(r'<tr class="ecarte"><td>tp1</td><td>Martin Léa \(e001\)</td><td>Moreau Inès \(e005\)</td>', page)
    assert re.search(r'<tr class="confirme"><td>tp1</td><td>Petit Chloé \(e003\), Durand Noah \(e004\)</td>'
                     r'<td>Martin Léa \(e001\)</td>', page)
    assert re.search(r'<tr class="a-discuter"><td>Bernard Hugo \(e002\)</td><td>tp1</td><td>accès à des données</td>', page)
    assert "100 % (confirmé)" in page  # b01's closest pair, with its decision, in the class table
    after = {p.relative_to(out): p.read_bytes() for p in [out / "gradebook.csv", *sorted((out / "feedback").glob("*.md"))]}
    assert after == before  # a decision is never a mark, and never reaches a student
    assert "à discuter,Lit un fichier" in (out / "integrity.csv").read_text(encoding="utf-8")


def test_decisions_survive_re_runs(reviewed, tmp_path):
    course, out, _ = reviewed
    assert main(["similarity", "--course", str(course), "--out", str(out)]) == 0  # from the cache
    assert main(["collect", "--course", str(course), "--out", str(out), "--now", "2026-02-16T09:00:00+01:00"]) == 0
    for name in ("similarity-tp1.html", "gradebook.html"):
        page = (out / name).read_text(encoding="utf-8")
        assert "Copie reconnue par le binôme en entretien." in page and "Deux copies du corrigé" in page, name


@needs_chromium
@pytest.mark.parametrize("name", ["similarity-tp1.html", "gradebook.html"])
def test_set_aside_rows_are_hidden_until_asked_for_in_chromium(reviewed, tmp_path, name):
    _, out, _ = reviewed
    probe = '''<script>
function shown(css) { return Array.from(document.querySelectorAll("tr." + css)).filter(function (r) {
  return r.getBoundingClientRect().height > 0; }).length; }
var before = [shown("ecarte"), shown("confirme")];
var said = document.querySelector("tr.confirme td.decision").textContent;
document.getElementById("montrer-ecartes").click();
document.body.insertAdjacentHTML("beforeend", "<pre id=probe>" + before.concat([shown("ecarte"), said]).join("|") + "</pre>");
</script></body>'''
    page = tmp_path / name
    shutil.copy(out / name, page)
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    run = chromium(page, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    hidden, confirmed, shown, said = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout).group(1).split("|")
    assert (hidden, int(confirmed) > 0, int(shown) > 0, said) == ("0", True, True, "confirmé")


def test_flag_kinds_are_those_of_integrity():
    assert FLAG_KINDS == tuple(KINDS)


GOOD = "- pair: [e01, e02]\n  tp: tp1\n  decision: écarté\n  note: ok\n  date: 2026-03-02\n"


@pytest.mark.parametrize("text, line, key, message", [
    ("pair: [e01, e02]\n", None, None, "expected a list of decisions"),
    (GOOD + "- pair: [e01, e03]\n  tp: tp1\n  decision: écartée\n  note: x\n  date: 2026-03-02\n", 8, "[1].decision",
     "expected one of écarté, confirmé, à discuter"),
    (GOOD.replace("date: 2026-03-02", "date: mardi"), 5, "[0].date", "expected a date"),
    (GOOD.replace("tp: tp1", "tp: tp9"), 2, "[0].tp", "unknown TP 'tp9'"),
    (GOOD.replace("[e01, e02]", "[e01, e02, e03]"), 1, "[0].pair", "expected two ids"),
    (GOOD.replace("note: ok", "note: ok\n  reason: x"), 5, "[0].reason", "unknown key 'reason'"),
    (GOOD.replace("  note: ok\n", ""), 1, "[0]", "missing key '[0].note'"),
    (GOOD.replace("- pair: [e01, e02]", "- pair: [e01, e02]\n  flag: held-out"), 1, "[0]", "either a pair"),
    (GOOD.replace("- pair: [e01, e02]", "- flag: plagiat\n  student: e01"), 1, "[0].flag", "expected one of data-access"),
    (GOOD.replace("[e01, e02]", "[e01, source:web]"), 1, "[0].pair[1]", "no source 'web'"),
    (GOOD + GOOD.replace("[e01, e02]", "[e02, e01]"), 6, "[1]", "a second decision for the same pair"),
    (GOOD.replace("[e01, e02]", "[e01, e99]"), 1, "pair", "'e99' is neither a student nor a group of the roster"),
    (GOOD.replace("[e01, e02]", "[2025/e01, source:x]"), 1, "[0].pair[1]", "no source 'x'"),
    (GOOD.replace("date: 2026-03-02", "date: 2026-03-02\n  tp: tp2"), 6, "[0].tp", "duplicate key"),
])
def test_a_malformed_review_file_names_file_line_and_key(tmp_path, text, line, key, message):
    course = write_class(tmp_path / "cours")
    review = course.parent / "integrity-review.yaml"
    review.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_class(course)
    where = f"{review}" + (f":{line}" if line else "") + (f" [{key}]" if key else "")
    assert str(error.value).startswith(where + ": ") and message in str(error.value), str(error.value)


def test_a_malformed_review_file_stops_the_command_with_exit_2(tmp_path, capsys):
    course = write_class(tmp_path / "cours")
    (course.parent / "integrity-review.yaml").write_text(GOOD.replace("écarté", "vu"), encoding="utf-8")
    assert main(["report", "--course", str(course), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (f"grader: error: {course.parent / 'integrity-review.yaml'}:3 "
                                               "[[0].decision]: expected one of écarté, confirmé, à discuter, got str 'vu'")


def test_the_review_file_is_optional_and_may_be_named(tmp_path):
    course = write_class(tmp_path / "cours")
    assert load_class(course)[0].review.decisions == ()
    (course.parent / "decisions.yaml").write_text(GOOD.replace("e02", "g1"), encoding="utf-8")
    course.write_text(course.read_text(encoding="utf-8") + "review: decisions.yaml\n", encoding="utf-8")
    loaded, roster = load_class(course)
    assert [d.pair for d in loaded.review.decisions] == [("e01", "g1")] and loaded.review.decisions[0].hidden
    (course.parent / "decisions.yaml").unlink()
    with pytest.raises(ConfigError, match=r"course\.yaml:\d+ \[review\]: no such file"):
        load_class(course)
