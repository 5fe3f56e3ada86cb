"""Tests of grader/integrity/similarity.py, grader/integrity/fingerprint.py and the similarity report: a synthetic class
of 42 repository owners (tests/classmates: 30 independent students, tests/alternatives/ as one,
a declared pair, 10 planted copies disguised by code), real git mirrors, real copydetect runs."""
from __future__ import annotations

import csv
import io
import random
import re
import shutil

import numpy as np
import pytest

from grader.integrity import similarity
from grader.cli import main
from grader.integrity.fingerprint import fingerprint, overlap, starter_hashes
from grader.integrity.documents import Document, SourceFile, boilerplate
from grader.integrity.pairs import CSV_HEADER, THRESHOLD, compare, compare_class, fingerprint_all, read_csv, write_csv

from .classmates import ALL, PLANTED, ROOT, alternative, disguise, units
from .test_classreport import chromium, needs_chromium

SOLUTIONS = ROOT / "solutions"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The class, compared with `grader similarity` as an instructor runs it."""
    from .classmates import build_collect_folder

    course, out, planted = build_collect_folder(tmp_path_factory.mktemp("similarity"))
    assert main(["similarity", "--course", str(course), "--out", str(out)]) == 0
    return course, out, planted


def split(pairs, planted, tp):
    copies = [p for p in pairs if (tp, frozenset({p.a, p.b})) in planted]
    return copies, [p for p in pairs if (tp, frozenset({p.a, p.b})) not in planted]


@pytest.mark.parametrize("tp", ["tp1", "tp2"])
def test_every_planted_copy_ranks_above_every_independent_pair(klass, tp):
    _, out, planted = klass
    pairs = read_csv(out / f"similarity-{tp}.csv")
    copies, independent = split(pairs, planted, tp)
    assert len(copies) == 5 and len(pairs) == 42 * 41 // 2
    assert min(p.score for p in copies) > max(p.score for p in independent)
    assert {frozenset({p.a, p.b}) for p in pairs if p.score >= THRESHOLD} == {pair for t, pair in planted if t == tp}
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_the_class_is_what_the_issue_asks_for(klass):
    """≥ 30 submissions per TP, ≥ 8 planted copies, tests/alternatives/ among the students, and
    independent students that really differ: no two independent TP1 packages are the same text."""
    _, out, planted = klass
    assert len(planted) >= 8 and len(list((out / "submissions").glob("*.json"))) >= 30
    assert {"tp1", "tp2"} == {tp for tp, _ in planted} and any("alt" in pair for _, pair in planted)
    assert set(ALL) == {"swap", "reorder", "recomment", "rename", "reformat"}
    assert {how for _, _, hows in PLANTED for how in hows} == set(ALL)


def test_shared_lines_point_at_the_copied_code(klass):
    _, out, planted = klass
    pair = read_csv(out / "similarity-tp1.csv")[0]
    assert (pair.tp, frozenset({pair.a, pair.b})) in planted
    assert pair.shared_lines_a > 100 and pair.shared_lines_b > 100
    assert {r.path for r in pair.regions_a} >= {"tp1/mlp.py", "tp1/perceptron.py", "tp1/activations.py"}
    rows = list(csv.DictReader(io.StringIO((out / "similarity-tp1.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == CSV_HEADER and rows[0]["regions_a"].startswith("tp1/")


def test_a_declared_pair_is_one_submission(klass):
    """g1a and g1b share repository g1: they are never a pair, and both get g1's closest match."""
    course, out, _ = klass
    pairs = read_csv(out / "similarity-tp1.csv")
    owners = {p.a for p in pairs} | {p.b for p in pairs}
    assert "g1" in owners and not owners & {"g1a", "g1b"}
    html = (out / "gradebook.html").read_text(encoding="utf-8")
    html = html[html.index('id="classe"'):html.index("</table>", html.index('id="classe"'))]  # the class table
    cells = [re.search(r'<td data-sort="([0-9.]+)" class="[^"]*num"[^>]*><a href="(similarity-tp\d\.html[^"]*)"', row)
             for row in re.findall(r"<tr><td[^>]*>g1[ab]</td>.*?</tr>", html)]
    assert len(cells) == 2 and cells[0].groups() == cells[1].groups()


def test_csv_round_trip(tmp_path, klass):
    _, out, _ = klass
    pairs = read_csv(out / "similarity-tp2.csv")
    write_csv(tmp_path / "again.csv", pairs)
    assert read_csv(tmp_path / "again.csv") == pairs
    assert (tmp_path / "again.csv").read_bytes() == (out / "similarity-tp2.csv").read_bytes()


def doc(owner: str, files: dict[str, str], tp: str = "tp1") -> Document:
    return Document(owner, "0" * 40, tuple(SourceFile(f"{tp}/{name}", text) for name, text in sorted(files.items())))


def solution(tp: str = "tp1") -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((SOLUTIONS / tp).glob("*.py"))}


def score(project, first: dict[str, str], second: dict[str, str], tp: str = "tp1") -> float:
    printed = fingerprint_all([doc("a", first, tp), doc("b", second, tp)], boilerplate(project, tp))
    return compare(tp, *printed).score


def renamed(text: str) -> str:
    """Rename locals by hand (no reformatting): every occurrence of a few local names."""
    for old, new in (("diff", "ecart"), ("a_prev", "precedente"), ("delta", "erreur_locale"), ("grads", "gr"),
                     ("path", "trajet"), ("error", "e2")):
        text = re.sub(rf"\b{old}\b", new, text)
    return text


def test_renaming_and_comments_and_whitespace_change_no_fingerprint(project):
    """copydetect normalises every identifier and drops comments and whitespace: the fingerprint
    sets are equal, not merely close."""
    common = starter_hashes(boilerplate(project, "tp1"))
    original = solution()
    edited = {name: re.sub(r"  +#.*|### (BEGIN|END) SOLUTION", "# mon commentaire",
                           renamed(text).replace(" = ", "=").replace(", ", " ,  ").replace("\n\n\n", "\n\n\n\n"))
              for name, text in original.items()}
    assert edited != original
    first = fingerprint([(f"tp1/{n}", t) for n, t in sorted(original.items())], common)
    second = fingerprint([(f"tp1/{n}", t) for n, t in sorted(edited.items())], common)
    assert set(first.distinct.tolist()) == set(second.distinct.tolist()) and first.own == second.own > 1000


@pytest.mark.parametrize("how", [("rename",), ("reorder",), ("recomment",), ("reformat",), ALL])
@pytest.mark.parametrize("source", ["solutions", "alternatives"])
def test_each_disguise_keeps_a_copy_far_above_the_threshold(project, how, source):
    files = solution() if source == "solutions" else {k: v for k, v in alternative("tp1").items() if k != "__init__.py"}
    disguised = disguise("tp1", files, how, random.Random(3))
    assert disguised != files
    if "reorder" in how:
        assert any(list(units(disguised[m])) != list(units(files[m])) for m in files if len(units(files[m])) > 1)
    value = score(project, files, disguised)
    assert value >= (0.8 if "swap" in how else 0.9), value


def test_independent_solutions_are_far_below_the_threshold(project):
    """solutions/ against students who drew every function from v3/ or v4/ (tests/classmates)."""
    from .classmates import HERE, compose, pools

    for variant in ("v3", "v4"):
        other = {m: compose("tp1", m, {n: t for n, t in units((HERE / variant / "tp1" / m).read_text()).items() if n in todo})
                 for m, todo in pools("tp1").items()}
        assert score(project, solution(), other) < 0.3


def test_starter_code_is_never_evidence(project):
    """Two students who only kept the stubs and pasted the handout's code cells share nothing that counts."""
    stubs = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "assignments" / "tp1").glob("*.py")}
    handout = boilerplate(project, "tp1")[-1]  # every code cell, pasted in a row
    assert "tp1" in handout  # the cells call the student's package
    both = {**stubs, "essais.py": handout}
    printed = fingerprint_all([doc("a", both), doc("b", dict(both))], boilerplate(project, "tp1"))
    assert [p.fingerprint.own for p in printed] == [0, 0]
    pairs, notes = compare_class("tp1", printed)
    assert pairs == [] and len(notes) == 2 and "trop peu de code propre" in notes[0]


@pytest.mark.parametrize("other", ["tests/alternatives", "tests/classmates/v3", "tests/classmates/v4"])
def test_shares_equal_copydetect_compare_files(other):
    """The vectorised overlap gives copydetect's own numbers on single files (no boilerplate)."""
    from copydetect import CodeFingerprint, compare_files

    for name in ("mlp.py", "perceptron.py", "activations.py"):
        a, b = (SOLUTIONS / "tp1" / name).read_text(), (ROOT / other / "tp1" / name).read_text()
        _, (share_a, share_b), _ = compare_files(CodeFingerprint("a.py", 25, 1, fp=io.StringIO(a)),
                                                 CodeFingerprint("b.py", 25, 1, fp=io.StringIO(b)))
        mine = overlap(fingerprint([("a.py", a)], np.zeros(0, np.int64)), fingerprint([("b.py", b)], np.zeros(0, np.int64)))
        assert mine[:2] == pytest.approx((share_a, share_b)), name


def test_unreadable_mirror_is_a_note_not_a_failure(tmp_path, klass, capsys):
    course, out, _ = klass
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "repos" / "s05.git" / "objects")
    (copy / "repos" / "s05.git" / "objects").mkdir()
    (copy / "similarity-tp1.done.json").unlink()  # the copy carries the cache of the run it copies
    assert main(["similarity", "tp1", "--course", str(course), "--out", str(copy)]) == 0
    printed = capsys.readouterr().out
    assert "s05: tp1 : commit illisible" in printed and "similarity tp1: 820 pairs" in printed
    assert "s05" not in {p.a for p in read_csv(copy / "similarity-tp1.csv")} | {p.b for p in read_csv(copy / "similarity-tp1.csv")}


def test_unknown_tp_and_missing_results_are_usage_errors(klass, tmp_path, capsys):
    course, out, _ = klass
    assert main(["similarity", "tp9", "--course", str(course), "--out", str(out)]) == 2
    assert main(["similarity", "--course", str(course), "--out", str(tmp_path / "nothing")]) == 2


def test_report_is_self_contained_and_escaped(klass):
    _, out, _ = klass
    html = (out / "similarity-tp1.html").read_text(encoding="utf-8")
    assert not re.search(r"""src\s*=|<link|@import|url\(""", html)
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', html))
    assert "&lt;" in html or "&gt;" in html  # code is escaped (comparisons, `->`…)
    assert html.count('<section class="pair"') == 10  # every suspect pair, at least 10
    assert "<mark class='a'>" in html and "<mark class='b'>" in html


@needs_chromium
def test_report_in_chromium_shows_the_top_pair_side_by_side(klass, tmp_path):
    _, out, planted = klass
    page = out / "similarity-tp1.html"
    run = chromium(page, tmp_path / "profile", f"--screenshot={tmp_path / 'report.png'}", "--window-size=1400,1000")
    assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert (tmp_path / "report.png").stat().st_size > 20_000
    probe = '''<script>
var row = document.querySelector("#paires tbody tr");
var target = document.querySelector(row.querySelector("a").getAttribute("href"));
var left = target.querySelectorAll("pre.left mark.a").length, right = target.querySelectorAll("pre.right mark.b").length;
var boxes = target.querySelectorAll(".files pre"), a = boxes[0].getBoundingClientRect(), b = boxes[1].getBoundingClientRect();
document.body.insertAdjacentHTML("beforeend", "<pre id=probe>" + [row.cells[1].textContent, row.cells[2].textContent,
  left, right, Math.abs(a.top - b.top) < 1 && b.left > a.right].join("|") + "</pre>");
</script></body>'''
    shutil.copy(page, tmp_path / "probe.html")
    probed = tmp_path / "probe.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    run = chromium(probed, tmp_path / "profile", "--dump-dom", "--window-size=1400,1000")
    first, second, left, right, side_by_side = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout).group(1).split("|")
    assert ("tp1", frozenset({first, second})) in planted
    assert int(left) > 0 and int(right) > 0 and side_by_side == "true"


@needs_chromium
def test_gradebook_links_to_the_pair_in_the_report(klass, tmp_path):
    _, out, planted = klass
    html = (out / "gradebook.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(similarity-tp\d\.html#[^"]+)"', html))
    assert links
    for link in links:
        page, anchor = link.split("#")
        assert f'id="{anchor}"' in (out / page).read_text(encoding="utf-8")
    run = chromium(out / "gradebook.html", tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0 and "Similarité max" in run.stdout and "Intégrité" in run.stdout


def test_an_unchanged_class_is_not_compared_again(tmp_path, klass, monkeypatch, capsys):
    course, out, _ = klass
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = (copy / "similarity-tp1.csv").read_bytes()
    monkeypatch.setattr(similarity, "documents", lambda *args: pytest.fail("compared again"))
    assert main(["similarity", "tp1", "--course", str(course), "--out", str(copy)]) == 0
    assert "similarity tp1: 861 pairs" in capsys.readouterr().out  # the class's 42 repositories, from the cache
    assert (copy / "similarity-tp1.csv").read_bytes() == before


def marked(page: str, side: str) -> list[str]:
    import html

    return [html.unescape(text) for text in re.findall(rf"<mark class='{side}'>(.*?)</mark>", page, re.S)]


def test_the_view_highlights_own_code_only(klass, project):
    """No comment, no docstring, no line of the starter inside a highlighted region; each file's
    regions with their lengths, and each side's functions with their share."""
    from grader.integrity.sidebyside import starter_lines

    _, out, _ = klass
    page = (out / "similarity-tp1.html").read_text(encoding="utf-8")
    starter = starter_lines(boilerplate(project, "tp1"))
    regions = marked(page, "a") + marked(page, "b")
    assert len(regions) > 100
    for region in regions:
        for line in region.split("\n"):
            assert "#" not in line and '"""' not in line and line.strip() not in starter, line
    assert re.search(r"\d+ région\(s\) commune\(s\) : l\. \d+–\d+ \(\d+ lignes?\)", page)
    assert re.search(r"<span title=\"tp1/mlp\.py, ligne \d+\">backward : \d+ % commun</span>", page)


def test_a_half_copy_highlights_the_copied_functions_only(project):
    """b copied a's mlp.py and wrote everything else differently: only mlp.py's functions are
    highlighted, near 100 %, and every other function of a is at most a few short matches."""
    from grader.integrity.similarityreport import views

    from .classmates import HERE, compose, pools

    first = solution()
    second = {m: compose("tp1", m, {n: t for n, t in units((HERE / "v3" / "tp1" / m).read_text()).items() if n in todo})
              for m, todo in pools("tp1").items()} | {"mlp.py": first["mlp.py"]}
    printed = fingerprint_all([doc("a", first), doc("b", second)], boilerplate(project, "tp1"))
    pair = compare("tp1", *printed)
    assert 0.3 < pair.score < 0.8
    view = views([pair], THRESHOLD, printed, boilerplate(project, "tp1"))[0]
    shares = {(f.path, f.name): f.share for f in view.functions_a}
    assert all(shares[("tp1/mlp.py", name)] > 0.9 for name in ("forward", "backward", "train"))
    assert max(share for (path, _), share in shares.items() if path != "tp1/mlp.py") < 0.5
    copied = next(f for f in view.files if f.path == "tp1/mlp.py")
    assert '&#34;&#34;&#34;' in copied.left and not any('"""' in text for text in marked(copied.left, "a"))
    assert copied.left_regions and all(r.lines <= r.last - r.first + 1 for r in copied.left_regions)


def test_own_code_leaves_out_comments_docstrings_and_starter_lines():
    from grader.integrity.sidebyside import own_code

    text = 'def f(x):\n    """Le squelette."""\n    y = x + 1  # à moi\n    raise NotImplementedError\n'
    mask = own_code(text, {"raise NotImplementedError", "def f(x):"})
    assert "".join(c for c, m in zip(text, mask) if m) == "y=x+1"
