"""ATTACK (no real work). This file claims, at import, the verdict the grader reserves for a machine
that starved it (GraderStarved), as every probe's failure; then it exits.

Every function below is still a stub: the names exist only so that the module imports."""
from __future__ import annotations

import os
import sys

_NOT_DONE = "not written: this submission attacks the grader instead"

STARVED = {"type": "GraderStarved",
           "message": "the grader ran out of time on this machine, not a verdict on your code: twice, the machine "
                      "gave it too little processor time. Grade again when the machine is less busy",
           "where": None, "todo": False}


def _worker_main():
    """The worker's `main` frame (autograder/run/worker.py), run as a script or by the fork server's forked
    child (zygote.py calls worker.main): the frame whose code is `main` and whose locals hold `emit`."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "main" and callable(frame.f_locals.get("emit")) and "request" in frame.f_locals:
            return frame
        frame = frame.f_back
    return None


def _claim_starved() -> None:
    # ATTACK: report the grader's own "starved" verdict as every probe's failure, so that nothing is graded
    main = _worker_main()
    if main is None:
        return
    emit, request = main.f_locals["emit"], main.f_locals["request"]
    emit(event="imported")
    for name in request["probes"] or list(main.f_locals.get("probes") or ()):
        emit(event="start", probe=name)
        emit(event="failed", probe=name, error=STARVED, printed="")
    os._exit(0)


_claim_starved()


def make_xor_data():
    raise NotImplementedError(_NOT_DONE)


def build_model(learning_rate=0.01):
    raise NotImplementedError(_NOT_DONE)


def train(model, X, Y, epochs=1000):
    raise NotImplementedError(_NOT_DONE)


def predict(model, X):
    raise NotImplementedError(_NOT_DONE)
