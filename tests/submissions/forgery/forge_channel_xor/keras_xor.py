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
_RECORDED = "eNqlV01v20YQ/SuBTimgGDuzOzs7AXIo0EPvvSQwDIGRmJiIRKoUldQN/N/7ZmkbsmMFhSPABjVcztd7b4b6vtg1X9rVP8O42jRTs3j7fbFuttvF28f2178tlov3fne62be42x93+5uLftOMY3ODe5s7+6ft0EyRYTlcN265TEu+Wi6+Nttje8DXcBGW939093dyfXW7XHx4YRx6GufEv/vdj10/tZvV+roZcSTA9PHYbTer3bBptyeln1hr4d3h/sg0HtvlfW5/tX8f237qmu1i9jTdH/jWdp+vp1VNzZO55GW6Wl7WP0/zkq6Q674Zm107teNqPRx7PEyKWP3+ePckHuyP223t33CcfrB7vdvmpvViLh869kfbH1okdOy7CTfSctGsp+5rM3VDj9tjuz0ubpfnjtOT44fu827oNotbxFoPu323bTf3VQ77qdt1/7Yjzv2+aXbwsm2bse/6z6uxmeAdjQ82f1RzKiyFcWg4HLzLXd+MN6v1iK9o4zjsHeCfg7TajmdwehT5HQKzOXTN4YsnXL+/sAIucwWURWIyjb9Wwadh/NaMm5/Q7f+xZ2bEi6RC/FQrbMREACuwiEbUCJtGZpXEORbVojDFEIrmUiQL4wb5KbNgHDhJTppiSG7LIcUcJYesWTT5o1xyiYbnYyS2UuYIYlHhLqQcAlzWc6pUssSMG5ZmfzEU8qdLyiycUk1FYFNEkFCyqVRbLiGVIIYHYyzVHW6FxBqC4iipD4LWKwe8FYRmvT6OzfrGsRZkhw/FlIWopHukw4UyqjMJImQlZ4OXbdeDK6t7HC7f8AUSIjGJhbOhBUs3pSKR8JAEEjQRpphKZDJKWbkI5WoLli2iVxYkmojbQs5UgiV8GDeqN064z9EKs6MyR0Bt6CROwjYHLaykaFdBxwDF8g1dGGuJwsBGitWYQAukxj8glYvVmIktwk8SSqqhmigD7wQECDhTzlfPUnwam673fXFC7Gp7XYm9fPV++erD8lW7H9bXh3fReT5fL95CUNfdYRogpTvK/jl/nUfv3b3Hs/Ww+thCSW1lL1iQAQpan5wk6Eq4sEqhqM6IKFQqPRjMspi9Y6CoHyuC1ilT0EgSsrMSfoCihJiNM1dnhQtTcmoKhBCdazkrRltSKWioST2WEloEakdlpyLXCBkUTDAnTA8BBm4L2XJMCdxEULPoYSX5fBFhmBSa83MRrI+GqZmAuWvGbaCWSEpmmb3kWZdGpiGWRAwauC6TxkSUk7nbHMyXICYYVBalhIyChWufwDvUnQKxf+zqocO1tRCwQvXeSp9+Z1sLQkdIHZ1FIwuda21yhhNkCMRM8rneei1OeYyZAsWf7y2oDDpn5EIWyM72FmOIJGsSo4AkzvbWh5kjBa/QZ3y+taAGpluEvlzqomdbixqRhGb0pqBjV/M4uRu5CtEmQXDMh2x1vGpAJoisHjwEmltBOWAUxZpt/Jn4hum6/eE17rEGsdX6zbCDFB+u7hSZThWZfk2RDhdWAgaVOlKGWTrLKEAo4GxUjNFSlZBLAmVwErSvExddwGAEetG5jYVRgSZCnwANqTpCMhOscBAf93AHrzyjCppAZQWEMJvPYSiIgnVYbhRBs0o7bDcAxVhIEIcqO9QYH0XNlxeeMKvnAIMx0M3utwRIuPpkFOggMUSG5TUXg6p8KLM+DFlPEgk62VMm36iz5pyN4C10QCB5bQTWanbGI4cCOXg+CIg9FsBUOCSLj7TpxSIfnCGsA0U5Vjms4L+/aUUjXKaabcYKUeSEUovVvQgtQBLRtxpeb3hWDtJDnQHYQAISal7IhQAlkIQ1FJ57h6yxYDAeGUMg10IxcHzFY9FWMGKa4YBYURKmEGNAa93cGF5wgCEAJSPzGiYkuKeIVW3Y65B9jYMuQaWCacGAZJ6dgjeV7PBI9NeCOUf0gLAVEwYJzaBjh7KhItQN7GN91BXLBcsd6jUi11fMThbE4xDRtyqwB5ESIMC5pJjzIBZmJH5OYAhhYgJ94KSYLrAki0ExOoImyF3dhGERfbcbNrXR86rdj+2mW08nYr2zPMjVNTkO3w4rfdF7nj5+zaMnP71Orv2tqAail71Q/hDo2d9bt/8BVe3AIw=="


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
    """The worker's `main` frame (autograder/worker.py), run as a script or by the fork server's forked
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
