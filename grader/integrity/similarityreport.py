"""The similarity report of one TP: the top pairs, side by side, the copy highlighted, the decisions.

copydetect's own report shows one file pair at a time and embeds matplotlib images; ours shows
one *submission* pair at a time (every file of the TP package), is one self-contained page like
the gradebook (no external asset, no script from elsewhere), and is in French like it. The views
of the pairs shown (grader.integrity.sidebyside: the copy without the boilerplate, its regions, the share
per function) are computed with the comparison and kept in `similarity-tpN.views.json`; the page
is rendered from them, the CSV and the instructor's review file at every run, so that a decision
shows without comparing anything again.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2

from ..base.files import TEMPLATES, write_atomically
from ..course.review import Review
from .fingerprint import K, overlap
from .pairs import Fingerprinted, Pair, csv_path, html_path, percent, read_csv, views_path
from .sidebyside import FunctionShare, Span, side, starter_lines

MIN_SHOWN, MAX_SHOWN = 10, 50  # pairs shown side by side: every suspect one, within these bounds
MARK_A = ("<mark class='a'>", "</mark>")
MARK_B = ("<mark class='b'>", "</mark>")


@dataclass(frozen=True)
class FileView:
    path: str  # "tp1/mlp.py"
    left: str  # a's file as HTML, the copy in <mark>; "" when a has no such file
    right: str  # b's file, likewise
    shared: bool  # a region is highlighted on either side
    left_regions: tuple[Span, ...] = ()  # the highlighted regions of a's file
    right_regions: tuple[Span, ...] = ()  # of b's file


@dataclass(frozen=True)
class PairView:
    anchor: str  # the pair's id in the page
    files: tuple[FileView, ...]  # one per file path of either submission
    functions_a: tuple[FunctionShare, ...] = ()  # a's functions, most copied first
    functions_b: tuple[FunctionShare, ...] = ()  # b's


def shown(pairs: list[Pair], threshold: float) -> list[Pair]:
    """Pairs drawn side by side: every one at or above the threshold, at least MIN_SHOWN, at most MAX_SHOWN."""
    suspect = sum(p.score >= threshold for p in pairs)
    return pairs[:min(MAX_SHOWN, max(MIN_SHOWN, suspect))]


def views(pairs: list[Pair], threshold: float, printed: list[Fingerprinted], starter: list[str]) -> list[PairView]:
    """The side-by-side view of each pair shown (fingerprints of both sides in `printed`)."""
    by_owner = {f.document.owner: f for f in printed}
    lines = starter_lines(starter)
    found = []
    for pair in shown(pairs, threshold):
        a, b = by_owner[pair.a], by_owner[pair.b]
        _, _, slices_a, slices_b = overlap(a.fingerprint, b.fingerprint)
        left, functions_a = side(a.document, slices_a, lines, MARK_A)
        right, functions_b = side(b.document, slices_b, lines, MARK_B)
        files = []
        for path in sorted(set(left) | set(right)):
            l_side, r_side = left.get(path), right.get(path)
            files.append(FileView(path, l_side.html if l_side else "", r_side.html if r_side else "",
                                  bool((l_side and l_side.regions) or (r_side and r_side.regions)),
                                  l_side.regions if l_side else (), r_side.regions if r_side else ()))
        found.append(PairView(pair.anchor, tuple(files), tuple(functions_a), tuple(functions_b)))
    return found


def write_views(path: Path, found: list[PairView]) -> None:
    write_atomically(path, json.dumps([asdict(v) for v in found], ensure_ascii=False))


def read_views(path: Path) -> dict[str, PairView]:
    found = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        files = tuple(FileView(f["path"], f["left"], f["right"], f["shared"],
                               tuple(Span(**s) for s in f["left_regions"]), tuple(Span(**s) for s in f["right_regions"]))
                      for f in item["files"])
        found[item["anchor"]] = PairView(item["anchor"], files, tuple(FunctionShare(**f) for f in item["functions_a"]),
                                         tuple(FunctionShare(**f) for f in item["functions_b"]))
    return found


def refresh(out: Path, title: str, tp: str, threshold: float, review: Review) -> None:
    """Render similarity-tpN.html again from what the last comparison stored and the review file."""
    done = json.loads((out / f"similarity-{tp}.done.json").read_text(encoding="utf-8"))
    pairs = read_csv(csv_path(out, tp))
    write_atomically(html_path(out, tp), render(title, tp, pairs, read_views(views_path(out, tp)), threshold,
                                                done.get("notes", []), done.get("counts", {}), review))


def render(title: str, tp: str, pairs: list[Pair], by_anchor: dict[str, PairView], threshold: float,
           notes: list[str], counts: dict[str, int], review: Review) -> str:
    rows = []
    for rank, pair in enumerate(shown(pairs, threshold), start=1):
        rows.append((rank, pair, by_anchor.get(pair.anchor), review.of_pair(tp, pair.a, pair.b)))
    mine = [p.score for p in pairs if not p.origin]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = percent
    return env.get_template("similarity.html").render(
        title=title, tp=tp, k=K, rows=rows, threshold=threshold, pairs=len(mine), notes=notes,
        suspect=sum(p.score >= threshold for p in pairs), submissions=counts.get("submissions", 0),
        archived=counts.get("archive", 0), sources=counts.get("sources", 0),
        outside=sum(bool(p.origin) for p in pairs), hidden=sum(bool(d and d.hidden) for _, _, _, d in rows),
        decided=[d for d in review.decisions if d.tp == tp and d.pair], median=statistics.median(mine) if mine else 0.0)
