"""Checks for concepts_graphs. Each docstring is the name the student sees; points and hints are in course.toml."""
from __future__ import annotations

from autograder.checking import Observed

from ._questions import answer, answer_form, why


def check_q1_answer_form(observed: Observed):
    """Q1: an answer made of the question's option letters"""
    answer_form(observed, 1)


def check_q1_answer(observed: Observed):
    """Q1: what print and tf.print do inside a tf.function"""
    answer(observed, 1)


def check_q1_why(observed: Observed):
    """Q1: the reason, in your own words"""
    why(observed, 1)


def check_q2_answer_form(observed: Observed):
    """Q2: an answer made of the question's option letters"""
    answer_form(observed, 2)


def check_q2_answer(observed: Observed):
    """Q2: why a Python-float learning rate traces again"""
    answer(observed, 2)


def check_q2_why(observed: Observed):
    """Q2: the reason, in your own words"""
    why(observed, 2)


def check_q3_answer_form(observed: Observed):
    """Q3: an answer made of the question's option letters"""
    answer_form(observed, 3)


def check_q3_answer(observed: Observed):
    """Q3: where cache() goes beside a random map"""
    answer(observed, 3)


def check_q3_why(observed: Observed):
    """Q3: the reason, in your own words"""
    why(observed, 3)
