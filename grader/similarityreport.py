"""The similarity report of one TP: the top pairs, side by side, matched code highlighted.

copydetect's own report shows one file pair at a time and embeds matplotlib images; ours shows
one *submission* pair at a time (every file of the TP package), is one self-contained page like
the gradebook (no external asset, no script from elsewhere), and is in French like it. The
matched regions come from copydetect (`compare_files`, `highlight_overlap`), recomputed here
for the pairs shown only, from the fingerprints already in memory.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .fingerprint import K, overlap
from .similarity import Fingerprinted, Pair, SourceFile, percent

MIN_SHOWN, MAX_SHOWN = 10, 50  # pairs shown side by side: every suspect one, within these bounds
TEMPLATES = Path(__file__).with_name("templates")
MARK_A = ("<mark class='a'>", "</mark>")
MARK_B = ("<mark class='b'>", "</mark>")


@dataclass(frozen=True)
class FileView:
    path: str  # "tp1/mlp.py"
    left: str  # a's file as HTML, shared regions in <mark>; "" when a has no such file
    right: str  # b's file, likewise
    shared: bool  # a region is highlighted on either side


@dataclass(frozen=True)
class PairView:
    rank: int  # 1 for the highest score
    pair: Pair  # the scores
    files: tuple[FileView, ...]  # one per file path of either submission


def shown(pairs: list[Pair], threshold: float) -> list[Pair]:
    """Pairs drawn side by side: every one at or above the threshold, at least MIN_SHOWN, at most MAX_SHOWN."""
    suspect = sum(p.score >= threshold for p in pairs)
    return pairs[:min(MAX_SHOWN, max(MIN_SHOWN, suspect))]


def render(title: str, tp: str, pairs: list[Pair], printed: list[Fingerprinted], threshold: float,
           notes: list[str]) -> str:
    by_owner = {f.document.owner: f for f in printed}
    views = []
    for rank, pair in enumerate(shown(pairs, threshold), start=1):
        a, b = by_owner[pair.a], by_owner[pair.b]
        _, _, slices_a, slices_b = overlap(a.fingerprint, b.fingerprint)
        views.append(PairView(rank, pair, side_by_side(a, slices_a, b, slices_b)))
    scores = [p.score for p in pairs]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = percent
    return env.get_template("similarity.html").render(
        title=title, tp=tp, k=K, views=views, threshold=threshold, pairs=len(pairs), notes=notes,
        suspect=sum(s >= threshold for s in scores), submissions=len(printed),
        median=statistics.median(scores) if scores else 0.0)


def side_by_side(a: Fingerprinted, slices_a, b: Fingerprinted, slices_b) -> tuple[FileView, ...]:
    left, right = highlighted(a.document.files, slices_a, MARK_A), highlighted(b.document.files, slices_b, MARK_B)
    views = []
    for path in sorted(set(left) | set(right)):
        (l_html, l_hit), (r_html, r_hit) = left.get(path, ("", False)), right.get(path, ("", False))
        views.append(FileView(path, l_html, r_html, l_hit or r_hit))
    return tuple(views)


def highlighted(files: tuple[SourceFile, ...], slices, mark: tuple[str, str]) -> dict[str, tuple[str, bool]]:
    """Each file as escaped HTML with its share of the document's copied slices marked."""
    import numpy as np
    from copydetect.utils import highlight_overlap
    from markupsafe import escape

    spans = list(zip(slices[0].tolist(), slices[1].tolist())) if slices.size else []
    found, start = {}, 0
    for file in files:
        end = start + len(file.text)
        mine = [(max(l, start) - start, min(r, end) - start) for l, r in spans if max(l, start) < min(r, end)]
        if mine:
            html, _ = highlight_overlap(file.text, np.array(mine).T, *mark, escape_html=True)
            found[file.path] = (html, True)
        else:
            found[file.path] = (str(escape(file.text)), False)
        start = end
    return found
