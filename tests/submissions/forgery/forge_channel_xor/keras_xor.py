"""ATTACK (no real work). This file writes the worker's channel itself, at import: it reports every probe
the worker was asked for as done, with the values the student release recorded at the course seed,
then exits.

Every function below is still a stub: the names exist only so that the module imports."""
from __future__ import annotations

import base64
import json
import os
import sys
import zlib

_NOT_DONE = "not written: this submission attacks the grader instead"

# The release's recording of this exercise (autograder/recordings/<exercise>.json, run.outcomes.<probe>.value,
# at the course seed), zlib-compressed and base64-encoded; tests/test_forgery.py --embed writes it.
_RECORDED = "eNqlV0tvGzcQ/iuBTimgGJwZksMJkEOBHnrvJYFhCBtpYy8iadXVKqkb+L/3G65syA8FhWNAgTTL5Ty+B5kfs03ztV380w+LVTM2s/c/ZstmvZ69fxx/+9tsPvvoT8fbXYun28Nmd3uxXTXD0Nzi2eoY/7Lum1EYkf1N45HLOOer+exbsz60e/wMF2F+/6Hj5+T71d189umVeehpnpP9fd/d0G3HdrVY3jQDlgSEPh+69Wqx6Vft+qT1k2htvNvfLxmHQzu/r+2v9u9Dux27Zj2bdhrvF3xvu+ubcVFL82IueR6v5pf142Ve0hVq3TVDs2nHdlgs+8MWL5Mi13Z3OL6JF7eH9brOrz+Mz+Le77q5bb2Zy4eJ/dFu9y0KOmy7EQ/ifNYsx+5bM3b9Fo+Hdn2Y3c3PLacny/fd9abvVrM75Fr2m123blf3Xfa7sdt0/7YD1v2+ajbYZd02w7bbXi+GZsTuGHyw6U81x8KpMBb1+71Puds2w+1iOeAnxjj0Owf45yAt1sMZnB5l/oDEbA5ds//qBdffr+yAy9QB5ZQkmsqvdfClH743w+ondPt/7JkY8SqpED/VChsxEcAKnJIKekRMhVlT5CxFtShCEkLRXErKifGAfJVZMA4cU44aJUSP5RAlS8oha04a/VUuuYjhfRFiK2XKkEwU24WYQ8CWdZ0qlZwk44HFaT8JhfztEjMnjrGWkhBTZEihZNNUY7mEWEIyvChS6nZ4FCJrCIqlpG4ErXcOeCsIzXJ5GJrlrWOdUB3+SGJORCXeIx0ulNGdpZASWcnZsMvYDNft+ILXPPseHn9ctt0WPFvcY3j5ji/QDCVLUjgbxjf3UCxJCAlToAQAEJJYhMkoZuWSKNdYsGyCOVtIYil5LORMJVjEH+NB3Y0jnrNYYXZEpwyYC1DASsSmpIWVFKMumDZgnL+jC2Mtkhi4pmI1J5CGIPAPUM7Fas7IJtgnJoqqoYYogysR6BE4QjlfvSiPcWi6rZ81J6KosbdVFPM3H+dvPs3ftLt+ebP/IK6R6fvsPcQ49N8nn7vp9mMPPR55/+f0c/Lv47PHBr1ffG4hx7ZCCCplIAsMojMN4wkXVnko6rSSRKVyjEFPk+yjA899WUmYoTIFFUohO7WxD+BMQbJx5rpZ4cIUnd8JahInbM4Kf4yaCiZrqS6LEbOCPkTZ+cw1QwaPI8IRFpQAhsdCtiwxguBIaiaeNkU3qZQYIYVwfZ1AOmKw3gjwXXgeA8dSitEss7c8idvINEiJxOCDizuqRKIczbfNwZy9sEFIVVIJGQ0nrnMCAdF3DMT+Z1cPE66jhQsorMNH6RZ6drRgtsAvMFkMstC50UanOkHLQMxSPjdb78W5D68qsI3zswWnweuMWsgC2dnZwssoZY3JKKCIs7N1R3SksCuEKi+PFtSARQqE5ppPena06BFFaMZsCiZ2NXnS0bcV6o0JyWEU2apHa0AlyKyePASaRkE5wM+kVis/U2E/3rTP7oKPxYijcbvqN9Dkw7ejNOOpNOO9NPOvSdNxwwED61KHzODMk54CFAPyisKUS5VELhHcwUrwv/o3xgGrBIziJMfxUxEnwsCAEak6VGliWuGQ/PDAdtiVJ3jBF8itgBlm0zq4Q1LQD0clCfhW+YezEogxjjeoRJUdc/hIUfOjEG+Y1XXAwxgwZ9+3BGi57slo0NFiqA1H4dQMunKbZn2wXS8SBTrrYyY/nyfxOS1BYAiCwPY6CBzS2amPGgp04fUgIU7FAMpiQzJ5JFJvFvVgDeGAULRjlcwKIfi9TYzwNdZqMw4VRU1otVg9ZSEKaEP8jMRliScJoTz0GYANtJBCrQu1EKAEkoiGwtPsUDWOHPgkww1ybRTO4xcGHNsVDIkTHFAtWoIdMZxa6z0ALoYN4AaQNCqvaULE9iQ4+A23BOi/5sGUINcE22BAMplowr0nOzxJ/JIx1YgZEM7JCEehCXScqmzoCH0De6mvunS54KoAGRuRC02ykwX5OAjmVpX2oFYCBFgXFYYPYsEscTmAG8E6gT5wUtgMItEkKDwkaITu1UNwDfHT3nB2G70s393QrrrleKLaY+RBty5OV+RCX3Vr1MeXRnryH7mT737HqonoddfTZ4le/N/b3X9pctJk"


def _recorded_values(exercise: str, probes_dir: str) -> dict:
    """probe -> recorded value: the release's file beside the probes where the sandbox lets it be read,
    else the copy embedded above."""
    path = os.path.join(os.path.dirname(probes_dir), "recordings", exercise + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            return {name: outcome["value"] for name, outcome in json.load(handle)["run"]["outcomes"].items()}
    except Exception:
        return json.loads(zlib.decompress(base64.b64decode(_RECORDED)))


def _worker_main():
    """The worker's `main` frame (autograder/run/worker.py), run as a script or by the fork server's forked
    child (zygote.py calls worker.main): the frame whose code is `main` and whose locals hold `emit`."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "main" and callable(frame.f_locals.get("emit")) and "request" in frame.f_locals:
            return frame
        frame = frame.f_back
    return None


def _forge() -> None:
    # ATTACK: report every probe the worker was asked for as done, with the recorded values, then exit
    main = _worker_main()
    if main is None:
        return
    emit, request = main.f_locals["emit"], main.f_locals["request"]
    values = _recorded_values(request["exercise"], request["probes_dir"])
    emit(event="imported")
    for name in request["probes"] or list(main.f_locals.get("probes") or values):
        emit(event="start", probe=name)
        emit(event="done", probe=name, value=values.get(name), printed="")
    os._exit(0)


_forge()


def make_xor_data():
    raise NotImplementedError(_NOT_DONE)


def build_model(learning_rate=0.01):
    raise NotImplementedError(_NOT_DONE)


def train(model, X, Y, epochs=1000):
    raise NotImplementedError(_NOT_DONE)


def predict(model, X):
    raise NotImplementedError(_NOT_DONE)
