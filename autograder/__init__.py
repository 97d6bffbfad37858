"""The grading engine: it knows no course of its own.

A course is any folder with a course.toml (course_layout.py says where its files are);
`pytest autograder` grades the course you stand in, `python -m autograder` holds the
instructor's commands. Student code runs only in sandboxed workers (runner.py, worker.py).
"""
