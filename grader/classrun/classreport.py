"""What the class run produces: gradebook.csv for Moodle, gradebook.html, feedback/<student>.md.

Last stage of `grader collect` and all of `grader report`: takes a `Gradebook` (never raw
dicts) and renders it with the jinja2 templates of `grader/templates/`. Every file is written
whole or not at all (temporary file, fsync, rename), so an interrupted run never leaves half a
gradebook. Everything a student reads is in French.
"""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jinja2

from ..base.files import TEMPLATES, write_atomically
from ..course.course import FINAL, Course
from ..course.formula import ABI, ABJ, MISSING, NOT_TAKEN, Mark
from ..course.gradebook import Gradebook, StudentRow, TPMark, french_number
from ..course.review import Decision
from ..integrity.flags import ClassIntegrity, Flag
from ..integrity.pairs import THRESHOLD, Pair, percent
from ..integrity.similarityreport import shown
from .attention import Item, attention_csv, attention_items
from .classtests import BAR_H, BAR_W, TPTests, class_tests, tests_csv

STATUS_FR = {"passed": "réussi", "failed": "échoué", "error": "erreur", "timeout": "délai dépassé"}
CODE_FR = {ABI: "absence injustifiée, compte 0", ABJ: "absence justifiée, retirée de la formule",
           NOT_TAKEN: "pas de note, retirée de la formule", MISSING: "note manquante"}
ROUNDING_FR = {"nearest": "le plus proche", "up": "supérieur", "down": "inférieur"}
CHART_W, CHART_H, MARGIN = 340, 170, 24  # SVG geometry of one histogram, in px


@dataclass(frozen=True)
class Bar:
    x: float  # left edge in the SVG
    y: float  # top edge in the SVG
    width: float  # px
    height: float  # px
    label: str  # the bin, in French ("12 à 14")
    count: int  # students in the bin


@dataclass(frozen=True)
class Chart:
    title: str  # "TP1", "Note finale"
    bars: tuple[Bar, ...]  # one per bin, left to right
    ticks: tuple[tuple[float, str], ...]  # x position and label of each mark on the axis
    summary: str  # "n = 28 · moyenne 12,4 · médiane 13"


@dataclass(frozen=True)
class Cell:
    text: str  # what the table shows
    sort: str  # the key the header click sorts by; "" sorts last
    css: str  # class: "late", "code", "final"…
    title: str  # tooltip
    link: str = ""  # a page beside the gradebook the text links to (the similarity report), or ""
    links: tuple[tuple[str, str], ...] = ()  # (text, page) when the cell holds several links (oral sheets)


def write_outputs(gradebook: Gradebook, out_dir: Path, integrity: ClassIntegrity | None = None,
                  notices: tuple[str, ...] = (), reports: list[Path] | None = None) -> list[Path]:
    """Write gradebook.csv (Moodle), gradebook-fr.csv if asked, gradebook.html, a-verifier.csv and
    every feedback; with `integrity`, also integrity.csv and the page's integrity columns and
    section. The feedback files and the Moodle CSVs are never given the integrity flags.
    `notices` (French) stand at the top of the page: how lateness was judged, what looks wrong.
    `reports`: the folders whose oral sheets the page links to (default: `out_dir`), like its similarity pages."""
    course = gradebook.course
    env = environment(course)
    labels = {tp.name: tp.label for tp in course.tps} | {m.name: m.label for m in course.marks} | {FINAL: "Note finale"}
    written = []
    for row in gradebook.rows:
        path = out_dir / "feedback" / f"{row.student.id}.md"
        tp_notes = {note for tp in row.tps for note in tp.notes}
        text = env.get_template("feedback.md").render(row=row, course=course, labels=labels,
                                                      other_notes=[n for n in row.notes if n not in tp_notes],
                                                      rounding=_rounding_fr(course))
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    outputs = [("gradebook.csv", moodle_csv(gradebook, french=False))]
    if gradebook.course.french_csv:
        outputs.append(("gradebook-fr.csv", "\ufeff" + moodle_csv(gradebook, french=True)))  # BOM: Excel reads UTF-8
    items, tests = attention_items(gradebook), class_tests(gradebook)
    outputs.append(("gradebook.html", render_html(gradebook, env, integrity, items, notices, tests,
                                                          reports or [out_dir])))
    outputs.append(("a-verifier.csv", "\ufeff" + attention_csv(items)))
    outputs += [(f"tests-{table.tp}.csv", "\ufeff" + tests_csv(table)) for table in tests if table.tests]
    if integrity is not None:
        outputs.append(("integrity.csv", integrity.csv()))
    for name, text in outputs:
        write_atomically(out_dir / name, text.encode("utf-8"))
        written.append(out_dir / name)
    return written


def environment(course: Course) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fr=french_number, when=lambda t: french_time(t, course), duration=french_duration,
                       short_time=lambda t: french_time(t, course, short=True),
                       mark=mark_text, oneline=lambda s: " ".join(str(s).split()), status=lambda s: STATUS_FR.get(s, s))
    env.globals.update(CODE_FR=CODE_FR)
    return env


def french_time(moment: datetime | None, course: Course, short: bool = False) -> str:
    """In the course's time zone: "16/02/2026 à 00:59 (Europe/Paris)", or "16/02/2026 00:59" when short."""
    if moment is None:
        return "inconnue"
    local = moment.astimezone(course.zone)
    return f"{local:%d/%m/%Y %H:%M}" if short else f"{local:%d/%m/%Y} à {local:%H:%M} ({course.timezone})"


def french_duration(delay: timedelta | None) -> str:
    if delay is None:
        return "durée inconnue"
    minutes = int(delay.total_seconds() // 60) + (delay.total_seconds() % 60 > 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} j"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes:02d} min"] * bool(minutes)
    return " ".join(parts) or "0 min"


def mark_text(mark: Mark) -> str:
    if mark.code in (ABJ, NOT_TAKEN, MISSING):
        return {MISSING: "manquante"}.get(mark.code, mark.code)
    return french_number(mark.value) + (f" ({ABI})" if mark.code == ABI else "")


def _rounding_fr(course: Course) -> str:
    if not course.rounding:
        return "arrondie au centième"
    return f"arrondie au multiple de {french_number(course.rounding)} {ROUNDING_FR[course.rounding_mode]}"


def _number(value: float | None, french: bool) -> str:
    if value is None:
        return ""  # Moodle's import leaves an empty cell ungraded
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if french else text


def moodle_csv(gradebook: Gradebook, french: bool) -> str:
    """One row per student: Moodle's user identifiers, then one column per grade item."""
    course = gradebook.course
    header = ["Numéro d'identification", "Adresse de courriel", "Nom"]
    header += [tp.label for tp in course.tps] + [m.label for m in course.marks] + ["Note finale"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if french else ",", lineterminator="\n")
    writer.writerow(header)
    for row in gradebook.rows:
        marks = [t.mark for t in row.tps] + [m.mark for m in row.marks] + [row.final.mark]
        writer.writerow([row.student.id, row.student.email, row.student.name]
                        + [_number(m.value, french) for m in marks])
    return out.getvalue()


def histogram(title: str, values: list[float], width: float) -> Chart:
    """Bins of `width` points over 0…20 (20 falls in the last bin), drawn as SVG bars."""
    count = round(20 / width)
    counts = [0] * count
    for value in values:
        counts[min(count - 1, int(value // width))] += 1
    top = max(counts, default=0) or 1
    step = (CHART_W - 2 * MARGIN) / count
    plot_h = CHART_H - 2 * MARGIN
    bars = tuple(Bar(MARGIN + i * step + 1, MARGIN + plot_h * (1 - c / top), step - 2, plot_h * c / top,
                     f"{french_number(i * width)} à {french_number((i + 1) * width)}", c) for i, c in enumerate(counts))
    ticks = tuple((MARGIN + (CHART_W - 2 * MARGIN) * v / 20, str(v)) for v in range(0, 21, 4))
    summary = f"n = {len(values)}" + (f" · moyenne {french_number(statistics.fmean(values))} · médiane "
                                      f"{french_number(statistics.median(values))}" if values else "")
    return Chart(title, bars, ticks, summary)


def render_html(gradebook: Gradebook, env: jinja2.Environment, integrity: ClassIntegrity | None = None,
                items: list[Item] | None = None, notices: tuple[str, ...] = (),
                tests: list[TPTests] | None = None, reports: list[Path] | None = None) -> str:
    course = gradebook.course
    charts = [histogram(tp.label, [r.tp(tp.name).mark.value for r in gradebook.rows
                                   if r.tp(tp.name).mark.value is not None], 2) for tp in course.tps]
    finals = [r.final.mark.value for r in gradebook.rows if r.final.mark.value is not None]
    header = ["Numéro", "Nom", "Groupe"] + [tp.label for tp in course.tps] + [m.label for m in course.marks]
    orals = None if integrity is None or not reports else oral_sheets(reports, gradebook)
    header += ["Note finale"] + ["Similarité max", "Intégrité"] * (integrity is not None) + ["Oral"] * bool(orals)
    header += ["À vérifier"]
    items = attention_items(gradebook) if items is None else items
    rows = [_cells(row, [item for item in items if item.student == row.student.id]) for row in gradebook.rows]
    if integrity is not None:
        rows = [cells[:-1] + integrity_cells(row, integrity, orals or None) + cells[-1:]
                for row, cells in zip(gradebook.rows, rows)]
    flagged, listed = _flagged(gradebook, integrity), _listed_pairs(gradebook, integrity)
    return env.get_template("gradebook.html").render(
        course=course, header=header, rows=rows, charts=charts,
        final_chart=histogram("Note finale", finals, 1), late=gradebook.late(), items=items, notices=notices,
        class_tests=[table for table in (class_tests(gradebook) if tests is None else tests) if table.tests],
        bar_w=BAR_W, bar_h=BAR_H,
        students=len(gradebook.rows), rounding=_rounding_fr(course), integrity=integrity,
        flagged=flagged, listed=listed, threshold=THRESHOLD,
        hidden=sum(bool(d and d.hidden) for *_, d in flagged) + sum(bool(d and d.hidden) for *_, d, _ in listed))  # set aside (écarté): hidden by default


def integrity_cells(row: StudentRow, integrity: ClassIntegrity, orals: dict[tuple[str, str], str] | None = None) -> list[Cell]:
    """"Similarité max" (linking to the pair in the TP's report, with the instructor's decision),
    the count of integrity flags not set aside, and the links to the student's oral check sheets."""
    closest, flags = integrity.closest(row.owner), integrity.visible_of(row.owner)
    if closest is None:
        similar = Cell("", "", "", "")
    else:
        tp, pair = closest
        other = pair.b if pair.a == row.owner else pair.a
        who = {"archive": f"ressemble à {pair.label}", "source": f"ressemble à la source {pair.label}"}.get(
            pair.origin, f"le plus proche est {other}")
        decision = integrity.pair_decision(tp, pair)
        anchor = f"#{pair.anchor}" if pair in shown(list(dict(integrity.similarity)[tp]), THRESHOLD) else ""
        title = f"{tp} : {who}" + (f" · décision : {decision.decision} ({decision.note})" if decision else "")
        similar = Cell(percent(pair.score) + (f" ({decision.decision})" if decision else ""), f"{pair.score:.4f}",
                       "suspect" * (pair.score >= THRESHOLD and not decision), title, f"similarity-{tp}.html{anchor}")
    kinds = sorted({f.label for f in flags})
    cells = [similar, Cell(str(len(flags)) if flags else "", str(len(flags)), "flagged" if flags else "", " · ".join(kinds))]
    if orals is not None:
        links = [(tp.tp.name, orals[(tp.tp.name, row.student.id)]) for tp in row.tps if (tp.tp.name, row.student.id) in orals]
        cells.append(Cell(" ".join(tp for tp, _ in links), str(len(links)), "oral", "fiches d'oral", "", tuple(links)))
    return cells


def oral_sheets(reports: list[Path], gradebook: Gradebook) -> dict[tuple[str, str], str]:
    """(TP, student) → the oral check sheet (grader oral) written in one of the `reports` folders."""
    return {(tp.tp.name, row.student.id): f"oral/{tp.tp.name}-{row.student.id}.html" for row in gradebook.rows
            for tp in row.tps if any((folder / "oral" / f"{tp.tp.name}-{row.student.id}.html").is_file()
                                     for folder in reports)}


def _flagged(gradebook: Gradebook, integrity: ClassIntegrity | None) -> list[tuple[str, Flag, Decision | None]]:
    """Each flag with the names of the students it concerns (a group's flags concern every member)
    and the instructor's decision about it."""
    if integrity is None:
        return []
    return [(_names(gradebook, f.owner), f, integrity.flag_decision(f)) for f in integrity.flags]


def _names(gradebook: Gradebook, owner: str) -> str:
    names = [f"{row.student.name} ({row.student.id})" for row in gradebook.rows if row.owner == owner]
    return ", ".join(names) or owner


def _listed_pairs(gradebook: Gradebook, integrity: ClassIntegrity | None) -> list[tuple[str, str, str, Pair, Decision | None, str]]:
    """(TP, A's names, B's names or what B is, pair, decision, link to it) of the pairs the page lists."""
    if integrity is None:
        return []
    found = []
    for tp, pair, decision in integrity.listed_pairs(THRESHOLD):
        other = {"archive": f"ressemble à {pair.label}", "source": f"source : {pair.label}"}.get(
            pair.origin, _names(gradebook, pair.b))
        anchor = f"#{pair.anchor}" if pair in shown(list(dict(integrity.similarity)[tp]), THRESHOLD) else ""
        found.append((tp, _names(gradebook, pair.a), other, pair, decision, f"similarity-{tp}.html{anchor}"))
    return found


def _cells(row: StudentRow, items: list[Item]) -> list[Cell]:
    cells = [Cell(row.student.id, row.student.id, "", row.student.email), Cell(row.student.name, row.student.name, "", ""),
             Cell(row.student.group or "", row.student.group or "", "", "")]
    cells += [_tp_cell(tp) for tp in row.tps]
    for m in row.marks:
        cell = _mark_cell(m.mark, "Ajustement manuel : " + m.override.reason if m.override else CODE_FR.get(m.mark.code, ""))
        cells.append(Cell(cell.text, cell.sort, " ".join(filter(None, [cell.css, "override" * bool(m.override)])), cell.title))
    final = _mark_cell(row.final.mark, row.final.worked)
    override = row.final.override  # marked like any other hand-set mark: outlined, with its reason
    cells.append(Cell(final.text, final.sort, final.css + " final" + " override" * bool(override),
                      f"ajustement manuel : {override.reason} (calculée : {mark_text(row.final.computed)})"
                      if override else final.title))
    cells.append(Cell(str(len(items)) if items else "", str(len(items)), "problems" if items else "",
                      " · ".join(f"{item.tp} {item.label}".strip() for item in items)))
    return cells


def _mark_cell(mark: Mark, title: str) -> Cell:
    sort = "" if mark.value is None else f"{mark.value:.4f}"
    return Cell(mark_text(mark), sort, "code" if mark.code else "", title)


def _tp_cell(tp: TPMark) -> Cell:
    cell = _mark_cell(tp.mark, "")
    details = [f"commit {tp.commit[:10]}" if tp.commit else "aucun commit évalué"]
    if tp.commit and tp.lateness.late:
        details.append(f"retard {french_duration(tp.lateness.late_by)}, pénalité −{french_number(tp.lateness.penalty)}")
    if tp.override:
        details.append(f"ajustement manuel : {tp.override.reason}")
    late = tp.commit is not None and tp.lateness.late
    text = cell.text + (f" (−{french_number(tp.lateness.penalty)})" if late and tp.lateness.penalty else "")
    return Cell(text, cell.sort, " ".join(filter(None, [cell.css, "late" * late, "override" * bool(tp.override)])),
                " · ".join(details + list(tp.notes)))
