"""Tests of grader/classrun/classreport.py: the Moodle CSVs, the feedback files, the HTML page (in a real
headless Chromium)."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.classrun.classtests import class_tests
from grader.classrun.classreport import write_outputs
from grader.course.course import load_class
from grader.course.gradebook import build_gradebook
from tests.test_gradebook import EXPECTED_FINAL, submissions, write_class

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(Debian: apt-get install chromium): the HTML page cannot be checked in a browser")


def build(tmp_path: Path, roster_edit: tuple[str, str] | None = None):
    course_yaml = write_class(tmp_path / "cours")
    if roster_edit:
        roster = course_yaml.parent / "roster.csv"
        roster.write_text(roster.read_text(encoding="utf-8").replace(*roster_edit), encoding="utf-8")
    course, roster = load_class(course_yaml)
    return build_gradebook(course, roster, submissions(course, roster))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out_dir = tmp_path / "sortie"
    written = write_outputs(build(tmp_path), out_dir)
    assert sorted(p.relative_to(out_dir).as_posix() for p in written) == sorted(
        ["gradebook.csv", "gradebook-fr.csv", "gradebook.html", "a-verifier.csv"]
        + [f"tests-tp{n}.csv" for n in range(1, 5)] + [f"feedback/e{i:02d}.md" for i in range(1, 31)])
    assert not [p for p in out_dir.rglob("*") if p.name.startswith(".")]  # no temporary file left
    return out_dir


def test_moodle_csv(out: Path):
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["Numéro d'identification", "Adresse de courriel", "Nom", "TP1", "TP2", "TP3 (CNN)", "TP4",
                             "Examen", "Projet", "Rattrapage", "Note finale"]
    by_id = {row["Numéro d'identification"]: row for row in rows}
    assert len(rows) == 30 and by_id["e02"]["Adresse de courriel"] == "e02@etu.example.fr"
    assert {sid: row["Note finale"] for sid, row in by_id.items()} == {
        sid: "" if mark is None else f"{mark:g}" for sid, mark in EXPECTED_FINAL.items()}
    assert (by_id["e07"]["Examen"], by_id["e08"]["Examen"], by_id["e19"]["Examen"]) == ("0", "", "11.05")
    assert (by_id["e02"]["TP1"], by_id["e29"]["TP1"], by_id["e10"]["Rattrapage"]) == ("14", "", "14")


def test_french_csv(out: Path):
    raw = (out / "gradebook-fr.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    by_id = {row["Numéro d'identification"]: row for row in rows}
    assert by_id["e01"]["Note finale"] == "12,5" and by_id["e19"]["Examen"] == "11,05"


def test_feedback_is_french_and_complete(out: Path):
    e02 = (out / "feedback" / "e02.md").read_text(encoding="utf-8")
    assert "## Note finale : 13 / 20" in e02
    assert "`0,5 × max(13 ; —) + 0,5 × moyenne(14 ; 14 ; 12 ; 10 ; 14)` = 12,9" in e02
    assert "arrondie au multiple de 0,25 le plus proche : 13 / 20" in e02
    assert "Vu pour la première fois par le correcteur : 16/02/2026 à 00:59 (Europe/Paris)" in e02
    assert "Retard : 1 h (1 jour entamé). Pénalité : −2 point(s)." in e02
    assert "Note des tests : 16 / 20 (16 / 20 points), après pénalité : 14 / 20." in e02
    assert "| `test_3.py::test_3` | 1 / 5 | échoué | la sortie de la fonction 3 n'a pas la bonne forme |" in e02
    feedback = {sid: (out / "feedback" / f"{sid}.md").read_text(encoding="utf-8") for sid in EXPECTED_FINAL}
    assert "au-delà de la limite de 7 jour(s) : la note est 0" in feedback["e03"]
    assert "(prolongation : Hospitalisation)" in feedback["e25"] and "Rendu à l'heure" in feedback["e25"]
    assert "TP3 (CNN) : note fixée à 18 / 20. Motif : Erreur du correcteur" in feedback["e12"]
    assert "Note finale : note fixée à 10 / 20. Motif : Décision du jury du 30/06." in feedback["e13"]
    assert "remplacée par un ajustement manuel" in feedback["e13"]
    assert "TP2 : note fixée à 17 / 20. Motif : Travail individuel" in feedback["e27"]
    assert "Examen : ABJ (absence justifiée, retirée de la formule)" in feedback["e08"]
    assert "Examen : 0 (ABI) / 20 (absence injustifiée, compte 0)" in feedback["e07"]
    assert "## Note finale : manquante" in feedback["e16"] and "Note finale non calculée : il manque Examen." in feedback["e16"]
    assert "la date de première observation du commit est inconnue" in feedback["e15"]
    assert "À signaler : TP1 : dépôt vide : aucun commit" in feedback["e14"]
    assert "Groupe g2 : les notes de TP sont celles du dépôt commun du groupe." in feedback["e24"]


def test_html_is_self_contained_and_escaped(tmp_path: Path):
    gradebook = build(tmp_path, ("Étudiant·e 01", "<script>alert('x')</script> & Cie"))
    html = (tmp_path / "sortie" / "gradebook.html").read_text(encoding="utf-8") if write_outputs(gradebook, tmp_path / "sortie") else ""
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Cie" in html
    assert not re.search(r"""src\s*=|<link|@import|url\(""", html)  # nothing loaded from elsewhere
    links = re.findall(r"""href\s*=\s*["']([^"']*)["']""", html)  # only the sibling tables and anchors
    assert links and all(re.fullmatch(r"(#[\w-]+|tests-tp\d\.csv)", link) for link in links), links
    assert len(links) == len(re.findall(r"href\s*=", html))
    # class table, late table, what to check (9 late, e14's empty repo × 4 TPs, e16's missing exam and
    # final, e29's missing results × 4 TPs and final), then a table per TP of its 4 hidden tests, each
    # with its pass-rate bar
    per_tp = {table.tp: len(table.tests) for table in class_tests(gradebook)}
    assert per_tp == {"tp1": 4, "tp2": 4, "tp3": 4, "tp4": 4}
    assert html.count("<svg") == 5 + 16 and html.count("<tr>") == 1 + 30 + 1 + 9 + 1 + 20 + 4 * (1 + 4)
    assert "Rendus en retard (9)" in html and "À vérifier (20)" in html


def chromium(page: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", *arguments, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=90)


@needs_chromium
def test_html_loads_in_chromium_without_console_errors(out: Path, tmp_path: Path):
    screenshot = tmp_path / "gradebook.png"
    run = chromium(out / "gradebook.html", tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1400,1000")
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert run.returncode == 0 and console == []
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


@needs_chromium
def test_clicking_a_header_sorts_the_table_in_chromium(out: Path, tmp_path: Path):
    """Inject a script that clicks 'Note finale' twice (descending), dump the DOM, read the order back."""
    probe = '''<script>
var th = Array.from(document.querySelectorAll("#classe th")).find(function (h) { return h.textContent === "Note finale"; });
th.click(); var ascending = Array.from(document.querySelectorAll("#classe tbody tr")).map(function (r) { return r.cells[0].textContent; });
th.click(); var descending = Array.from(document.querySelectorAll("#classe tbody tr")).map(function (r) { return r.cells[0].textContent; });
document.body.insertAdjacentHTML("beforeend", "<pre id=probe>" + ascending.join(",") + "|" + descending.join(",") + "</pre>");
</script></body>'''
    page = tmp_path / "probe.html"
    page.write_text((out / "gradebook.html").read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    run = chromium(page, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    ascending, descending = re.search(r"<pre id=\"probe\">(.*?)</pre>", run.stdout).group(1).split("|")
    finals = sorted(mark for mark in EXPECTED_FINAL.values() if mark is not None)
    assert [EXPECTED_FINAL[sid] for sid in ascending.split(",")[:28]] == finals
    assert [EXPECTED_FINAL[sid] for sid in descending.split(",")[:28]] == finals[::-1]
    assert set(ascending.split(",")[28:]) == set(descending.split(",")[28:]) == {"e16", "e29"}  # blanks last


def test_what_the_class_gets_wrong_test_by_test(tmp_path: Path):
    """Pass rate of every hidden test over the submissions (a group's once), hardest first, its most
    frequent failure, in the page and in tests-tpN.csv."""
    gradebook = build(tmp_path)
    tables = {table.tp: table for table in class_tests(gradebook)}
    tp1 = tables["tp1"]
    graded = {row.tp("tp1").owner for row in gradebook.rows if row.tp("tp1").grading and row.tp("tp1").commit}
    assert tp1.submissions == len(graded) < len(gradebook.rows)  # the group's repository counts once
    rates = [stats.rate for stats in tp1.tests]
    assert rates == sorted(rates) and all(s.graded == tp1.submissions for s in tp1.tests)
    for stats in tp1.tests:
        results = [row.tp("tp1").grading for row in gradebook.rows if row.tp("tp1").owner in graded]
        by_owner = {row.tp("tp1").owner: row.tp("tp1").grading for row in gradebook.rows if row.tp("tp1").owner in graded}
        outcomes = [next(t for t in g.tests if t.id == stats.test) for g in by_owner.values()]
        assert stats.passed == sum(t.status == "passed" for t in outcomes) and results
        failed = [t.message for t in outcomes if t.status != "passed"]
        assert stats.top_failure_count == (max(failed.count(m) for m in failed) if failed else 0)
    out_dir = tmp_path / "sortie"
    write_outputs(gradebook, out_dir)
    with open(out_dir / "tests-tp1.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["Test"] for row in rows] == [s.test for s in tp1.tests] and rows[0]["Taux de réussite"] == f"{rates[0]:.2f}"
    html = (out_dir / "gradebook.html").read_text(encoding="utf-8")
    assert "TP1 : ce que la classe réussit, test par test" in html and 'id="tests-tp1-table"' in html
