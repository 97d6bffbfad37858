"""The systems a course is graded on: a Gradescope zip, PrairieLearn questions, an nbgrader course and
the check() its notebook cells call. Each grades through autograder.grade.grade()."""
