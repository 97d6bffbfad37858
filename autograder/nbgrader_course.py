"""Export the course as an nbgrader course: `nbgrader_config.py` and one source notebook.

The notebook `source/xor_frameworks/xor_frameworks.ipynb` has one part per
exercise, in course.toml order: a lesson cell, the code cell, a "try it" cell
and one autograded test cell per check.

- The code cell starts with `%%writefile <exercise>.py`, so running it saves the
  module without running it, and each test cell hands that file to the real
  grader (`autograder.notebook.check`): student code runs only in the grader's
  sandboxed workers, never in the grading kernel. nbgrader clears each solution
  region; its `# TODO:` lines sit just above the region, so the release shows
  the same stub as exercises/.
- A module whose regions carry `# PROMPT:` lines (concepts: answer constants at
  module level) cannot be an nbgrader solution cell: the cleared region would be
  a module-level `raise`, and the file would not import at all. Its cell is an
  ordinary code cell holding the stub; the answer key stays in the grader's
  recorded reference, never in the notebook.
- A check with `hidden = true` calls the grader between nbgrader's hidden-test
  markers: absent from the release, restored when the instructor autogrades.
- "Try it" cells skip themselves while nbgrader executes the notebook
  (NBGRADER_EXECUTION is set when it autogrades or validates), so grading stays
  fast and never imports student code.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .course import REPO_ROOT, Course, CourseError, Exercise
from .stubs import regions, stub_source

__all__ = ["ASSIGNMENT", "COURSE_ID", "write_nbgrader_course", "course_notebook", "config_text",
           "solution_with_todos_above"]

COURSE_ID = "xor-frameworks"
ASSIGNMENT = "xor_frameworks"
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
# A seed from which the reference learns XOR in the "try it" cells (a 2-4-1 ReLU net misses from some starts).
TRY_SEED = 2
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# nbgrader's defaults for CourseDirectory.ignore, kept when the exercise files are added to it.
NBGRADER_IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


def write_nbgrader_course(course: Course, course_dir: Path, force: bool = False) -> None:
    """Write COURSE_DIR/nbgrader_config.py and the assignment's source notebook.

    A file already there with other contents (an instructor's edits) is overwritten
    only with `force`; otherwise CourseError names it and nothing is written."""
    course_dir = Path(course_dir)
    files = {course_dir / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb":
             nbformat.writes(course_notebook(course, REPO_ROOT / "solutions")) + "\n",
             course_dir / "nbgrader_config.py": config_text(course)}
    edited = [str(path) for path, text in files.items()
              if path.is_file() and path.read_text(encoding="utf-8") != text]
    if edited and not force:
        raise CourseError(f"{', '.join(edited)} differ from what this course writes (edited since?): "
                          "nothing written; pass --force to replace them")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def course_notebook(course: Course, solutions: Path) -> nbformat.NotebookNode:
    """The source notebook: an introduction, then one part per exercise."""
    cells = [_readonly_markdown("intro", INTRO.format(title=course.title))]
    for number, exercise in enumerate(course.exercises, start=1):
        solution = (solutions / f"{exercise.id}.py").read_text(encoding="utf-8")
        cells.extend(_part(course, exercise, number, solution))
    notebook = new_notebook(cells=cells)
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}
    notebook.metadata.language_info = {"name": "python"}
    return notebook


def _part(course: Course, exercise: Exercise, number: int, solution: str) -> list:
    """One exercise: its lesson, its code cell, its "try it" cell, then one test cell per check."""
    lesson = LESSONS.get(exercise.id, "").format(why_min_words=course.thresholds.why_min_words)
    heading = f"## Part {number} — {exercise.title}"
    cells = [_readonly_markdown(f"{exercise.id}-lesson", f"{heading}\n\n{lesson}".strip())]
    name = f"{exercise.id}.py"
    header = f"%%writefile {name}\n"
    if any(region.prompt for region in regions(solution, name)):
        cells.append(new_code_cell(header + stub_source(solution, name), id=f"{exercise.id}-code"))
    else:
        cells.append(_cell("code", f"{exercise.id}-code", header + solution_with_todos_above(solution, name),
                           solution=True))
    if exercise.id in TRY_IT:
        cells.append(_cell("code", f"{exercise.id}-try", TRY_IT[exercise.id].format(seed=TRY_SEED), locked=True))
    cells.append(_readonly_markdown(f"{exercise.id}-checks", CHECKS_INTRO.format(
        points=f"{exercise.max_points:g}", file=name)))
    names = _check_names(exercise.id)
    for check in exercise.checks:
        cells.append(_cell("code", f"{exercise.id}-{check.id}",
                           _test_source(exercise.id, check.id, names.get(check.id, check.id), check.hidden),
                           grade=True, locked=True, points=check.points))
    return cells


def solution_with_todos_above(source: str, name: str = "<solution>") -> str:
    """The solution with each region's `# TODO:` lines moved just above its BEGIN marker.

    nbgrader replaces everything between the markers with its code stub, so the
    TODO lines must sit outside the region for the student to see them.
    """
    lines = source.splitlines()
    out: list[str] = []
    position = 0
    for region in regions(source, name):
        out.extend(lines[position:region.start])
        out.extend(region.indent + todo for todo in region.todo)
        out.append(lines[region.start])
        out.extend(region.solution)
        out.append(lines[region.end])
        position = region.end + 1
    out.extend(lines[position:])
    return "\n".join(out) + "\n"


def _check_names(exercise: str) -> dict[str, str]:
    """The name the student sees for each check: the first docstring line of its test function."""
    tree = ast.parse((CHECKS_DIR / f"{exercise}.py").read_text(encoding="utf-8"))
    names = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node)
            if doc:
                names[node.name.removeprefix("test_")] = doc.strip().splitlines()[0]
    return names


def _test_source(exercise: str, check: str, name: str, hidden: bool) -> str:
    call = f'check("{exercise}", "{check}")'
    if not hidden:
        return f"# Check: {name}\nfrom autograder.notebook import check\n\n{call}"
    return (f"# Check: {name}\n# Hidden: this check runs when your instructor grades the notebook.\n"
            f"from autograder.notebook import check\n\n{HIDDEN_BEGIN}\n{call}\n{HIDDEN_END}")


def _cell(kind: str, grade_id: str, source: str, *, solution: bool = False, grade: bool = False,
          locked: bool = False, points: float | None = None):
    make = new_code_cell if kind == "code" else new_markdown_cell
    cell = make(source, id=grade_id)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _readonly_markdown(grade_id: str, text: str):
    return _cell("markdown", grade_id, text, locked=True)


def config_text(course: Course) -> str:
    """nbgrader_config.py for the course; nbgrader executes it as Python."""
    ignored = list(NBGRADER_IGNORED) + [f"{e.id}.py" for e in course.exercises]
    timeout = int(course.limits.check_seconds * 2 + 60)
    return CONFIG.format(title=course.title, course_id=COURSE_ID, assignment=ASSIGNMENT,
                         repo=str(REPO_ROOT), ignored=ignored, timeout=timeout)


CONFIG = '''\
"""nbgrader configuration for "{title}" (written by `python -m autograder nbgrader`)."""
import os

c = get_config()  # noqa: F821 -- nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "{course_id}"
# One assignment, "{assignment}" (source/{assignment}/{assignment}.ipynb);
# `nbgrader generate_assignment {assignment}` adds it to the gradebook.

# Test cells call autograder.notebook.check: the kernels nbgrader starts must import this package.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in ({repo!r}, os.environ.get("PYTHONPATH", "")) if p)

# A cleared solution region becomes what exercises/ holds: its TODO lines (kept above it), then this.
c.ClearSolutions.code_stub = {{"python": "raise NotImplementedError"}}

# Running the source notebook writes the solution modules next to it: never copy them into the
# release, nor a student's own copies over what their notebook writes.
c.CourseDirectory.ignore = {ignored!r}

# The first test cell of an exercise grades all of it (a few seconds; the grader's own limits
# stop hung student code well before this).
c.Execute.timeout = {timeout}
'''

INTRO = """\
# XOR in PyTorch and Keras

*{title}*

Frameworks give you what hand-written NumPy does not: automatic differentiation, GPU \
acceleration, ready-made layers, losses and optimizers. In this notebook you build the same \
small network — 2 inputs → 4 ReLU units → 1 sigmoid output, which can learn XOR — once in \
PyTorch and once in Keras, then answer three questions about the two frameworks.

**How this notebook works.** Each part has:

1. a code cell that starts with `%%writefile <name>.py`: replace each `raise NotImplementedError` \
with your code and run the cell. It saves your module to a file; it does not run it.
2. a *try it* cell that imports your module and trains the network, so you can see what it does;
3. test cells: each grades your file on one check and says what passed, or why a point was \
lost, with a hint.

Keep the names and signatures: the grader calls your functions with its own models, weights \
and data. Run the `%%writefile` cell again after every change. Some checks are hidden: they run \
only when your instructor grades the notebook. Before you submit, restart the kernel and run \
all cells."""

CHECKS_INTRO = """\
### Checks ({points} points)

Each cell below grades the `{file}` your `%%writefile` cell saved. A failed check says what \
your code did, what was expected, and gives a hint."""

LESSONS = {
    "torch_xor": """\
PyTorch builds the computation graph *while your code runs* (eager execution): a model is a \
plain Python class, you can `print()` any tensor or step through `forward` with `pdb`, and \
`loss.backward()` computes every gradient for you.

- **Data.** `torch.tensor(..., dtype=torch.float32)`. The four rows of the XOR table are the \
whole dataset, so every training step is full batch.
- **Model.** A subclass of `nn.Module`: `__init__` calls `super().__init__()`, then creates the \
layers (`nn.Linear(in, out)`) as attributes, which registers their weights with the model; \
`forward(x)` says how data flows through them.
- **Training.** Every epoch: run the model, compute the loss (`nn.BCELoss()` for a sigmoid \
output), clear old gradients with `optimizer.zero_grad()`, back-propagate with \
`loss.backward()`, update with `optimizer.step()`. Without `zero_grad()`, gradients of \
earlier steps keep adding up. Create the `torch.optim.Adam` optimizer once, before the loop.
- **Prediction.** Inside `with torch.no_grad():` no graph is recorded: faster, and nothing to \
back-propagate.
- **Parameters.** `model.parameters()` yields the learnable tensors of every submodule; \
`p.numel()` is how many numbers one of them holds.

Write `make_xor_data()`, `FNN`, `train()`, `predict()` and `count_parameters()` below.""",
    "keras_xor": """\
Keras describes a model as a stack of layers and runs the loop for you: `compile()` chooses \
the optimizer, loss and metrics once, `fit()` trains, `predict()` runs the model. TensorFlow \
turns the training step into a graph for speed, and its deployment tools (TF Serving, \
TensorFlow Lite, TensorFlow.js) are its strength.

- **Data.** NumPy arrays of `float32`.
- **Model.** `keras.Sequential([...])` that starts with `keras.Input(shape=(2,))`, so the \
model is built with its weights, then a `Dense` layer of 4 ReLU units and one of 1 sigmoid unit.
- **Compile.** Loss `"binary_crossentropy"`, metric `"accuracy"`, and an optimizer object, \
`keras.optimizers.Adam(learning_rate=...)`: the string `"adam"` would ignore your learning rate.
- **Train.** `fit` returns a `History`; its `history["loss"]` holds one value per epoch. \
`verbose=0` keeps it quiet.
- **Predict.** `model.predict(X, verbose=0)` gives probabilities: threshold them at 0.5.

Write `make_xor_data()`, `build_model()`, `train()` and `predict()` below.""",
    "concepts": """\
Three questions from the lesson: why eager (dynamic) graphs help research, when TensorFlow is \
the better choice, and what `model.parameters()` returns in PyTorch.

For each question, set `Qn_ANSWER` to the set of **every** true option, such as `{{"a", "c"}}`, \
and explain your choice in `Qn_WHY` in one to three sentences of your own (at least \
{why_min_words} words). The test cells check that each answer is there and well formed; whether \
it is right is a hidden check, and your instructor reads your reasons. Run the cell to save \
your answers.""",
}

_SKIP = """\
import os

if os.environ.get("NBGRADER_EXECUTION"):  # set while nbgrader autogrades or validates
    print("Skipped while nbgrader runs the notebook.")
else:
"""

TRY_IT = {
    "torch_xor": _SKIP + """\
    import importlib
    import torch
    import torch_xor

    importlib.reload(torch_xor)  # your latest %%writefile
    torch.manual_seed({seed})
    X, Y = torch_xor.make_xor_data()
    model = torch_xor.FNN()
    print("trainable parameters:", torch_xor.count_parameters(model))
    losses = torch_xor.train(model, X, Y, epochs=1000, lr=0.01)
    print(f"loss: {{losses[0]:.4f}} at the first epoch, {{losses[-1]:.4f}} at the last")
    print("predictions:", torch_xor.predict(model, X).flatten().tolist(), "targets:", Y.flatten().tolist())
    # From some random starts a 2-4-1 ReLU net gets stuck: if yours is, try another seed.""",
    "keras_xor": _SKIP + """\
    import importlib
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices
    import keras
    import keras_xor

    importlib.reload(keras_xor)  # your latest %%writefile
    keras.utils.set_random_seed({seed})
    X, Y = keras_xor.make_xor_data()
    model = keras_xor.build_model(learning_rate=0.05)
    model.summary()
    history = keras_xor.train(model, X, Y, epochs=300)
    losses = history.history["loss"]
    print(f"loss: {{losses[0]:.4f}} at the first epoch, {{losses[-1]:.4f}} at the last")
    print("predictions:", keras_xor.predict(model, X).flatten().tolist(), "targets:", Y.flatten().tolist())
    # From some random starts a 2-4-1 ReLU net gets stuck: if yours is, try another seed.""",
    "concepts": _SKIP + """\
    import importlib
    import concepts

    importlib.reload(concepts)  # your latest %%writefile
    for n in (1, 2, 3):
        answer, why = getattr(concepts, f"Q{{n}}_ANSWER", None), getattr(concepts, f"Q{{n}}_WHY", "")
        print(f"Q{{n}}: {{sorted(answer) if isinstance(answer, (set, list)) else answer!r}}, "
              f"reason of {{len(str(why).split())}} words")""",
}
