"""Integrity: hints for the instructor about copied or looked-up work, never a mark.

Place in the flow (docs/architecture.md): after grading, from what a class run stored. Nothing
here runs student code or changes a mark; what it finds goes to the instructor's pages only.
- the static scans of each graded commit (`codescan.py`) and the integrity flags built from them,
  from timing and from held-out results (`flags.py`: integrity.csv, the gradebook page's flags);
- the similarity of a TP's submissions: the documents compared (`documents.py`), their
  fingerprints (`fingerprint.py`, copydetect's), pairs and their files (`pairs.py`), the run
  (`similarity.py`), its page (`similarityreport.py`, `sidebyside.py`); past classes
  (`archive.py`) and known public sources (`outside.py`) compared too;
- the oral check sheets (`oral.py`, `oralquestions.py`).
A new check goes here: a scan of a commit's files in codescan.py, a flag kind in flags.py.

May import: grader.course (the course, its submissions, the review file), grader.grading (the
project, `Grading`, the repository reader) and grader.base; not the class run, which calls it.
"""
