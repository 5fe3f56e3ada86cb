"""Build a small demo class for README's worked example: student repos made from this
project's solutions/ and assignments/, and the course files that describe them.

    .venv/bin/python examples/demo/make_class.py /tmp/demo
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import git

ROOT = Path(__file__).resolve().parents[2]
ACTOR = git.Actor("Étudiant", "etudiant@example.org")


def repo(folder: Path, source: str, tag: bool = True, bug: tuple[str, str, str] | None = None) -> str:
    shutil.copytree(ROOT / source / "tp1", folder / "tp1", ignore=shutil.ignore_patterns("__pycache__"))
    if bug:
        path = folder / "tp1" / bug[0]
        path.write_text(path.read_text(encoding="utf-8").replace(bug[1], bug[2]), encoding="utf-8")
    repository = git.Repo.init(folder, initial_branch="main")
    repository.git.add(A=True)
    repository.index.commit("TP1", author=ACTOR, committer=ACTOR)
    if tag:
        repository.create_tag("tp1")
    return str(folder)


def main(target: Path) -> None:
    repos = target / "repos"
    (target / "roster.csv").write_text("\n".join([
        "id,name,email,repo,group",
        f"e001,Martin Léa,lea.martin@etu.example.fr,{repo(repos / 'e001', 'solutions')},",
        f"e002,Bernard Hugo,hugo.bernard@etu.example.fr,{repo(repos / 'e002', 'assignments', tag=False)},",
        f"e003,Petit Chloé,chloe.petit@etu.example.fr,{repo(repos / 'b01', 'solutions', bug=('losses.py', 'np.mean(diff ** 2)', 'np.sum(diff ** 2)'))},b01",
        "e004,Durand Noah,noah.durand@etu.example.fr,{},b01".format(repos / "b01"),
        f"e005,Moreau Inès,ines.moreau@etu.example.fr,{repos / 'e005'},",
    ]) + "\n", encoding="utf-8")
    (target / "exam.csv").write_text("id,mark\ne001,14.5\ne002,9\ne003,12\ne004,ABJ\ne005,11\n", encoding="utf-8")
    (target / "project.csv").write_text("id,mark\ne001,16\ne002,10\nb01,13.5\ne005,12\n", encoding="utf-8")
    (target / "course.yaml").write_text("""\
course: "Apprentissage profond — démo"
timezone: Europe/Paris
roster: roster.csv
late_penalty: {per_day: 2, max: 10, cutoff_days: 7}
tps:
  tp1: {deadline: "2026-02-15T23:59:00+01:00"}
marks:
  exam: {file: exam.csv, label: Examen}
  project: {file: project.csv, label: Projet}
formula: "0.5*exam + 0.5*mean(tp1, project)"
rounding: 0.25
""", encoding="utf-8")


def push_late(target: Path) -> None:
    """e005 pushes TP1 after the deadline (run between the two collects of the example)."""
    repo(target / "repos" / "e005", "solutions")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[2] == "--late-push":
        push_late(Path(sys.argv[1]))
    else:
        main(Path(sys.argv[1]))
