"""The grading engine: it knows no course of its own.

A course is any folder with a course.toml (course/layout.py says where its files are);
`pytest autograder` grades the course you stand in (conftest.py, the pytest plugin), grade.grade()
grades it from Python, `python -m autograder` holds the commands. Its rooms: course/ (the course
model), run/ (workers, where student code runs, and the trusted side that runs them), exporters/
(output formats), instructor/ (intake, batch, release), platforms/ (Gradescope, PrairieLearn,
nbgrader), similarity/ (the similarity report).
"""
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
