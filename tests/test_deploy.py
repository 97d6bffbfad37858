"""deploy/: the image definition and the Kubernetes manifests agree with the course, the schema and the grader.

Offline and fast: every manifest validates against the Kubernetes schema (kubernetes-validate's bundled
copies, strict, so a misspelt field is an error); the grading pod's resources are course.toml's measured
figures; each command a manifest or the image runs is one the grader's parser accepts; the image installs
the pins of pyproject.toml, their one home, and bubblewrap.
"""
from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from autograder.__main__ import build_parser
from autograder.instructor.shards import Shard

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
COURSE = tomllib.loads((ROOT / "course.toml").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# backoffLimitPerIndex is in the schemas from 1.28 on, where it is alpha and off unless a feature gate turns it
# on; 1.29 is the first release that honours it as it stands (beta, on by default; stable from 1.33). Also the
# newest schema kubernetes-validate bundles, so a field a later release dropped is caught.
KUBERNETES_VERSIONS = ("1.29", kubernetes_validate.utils.latest_version())
# The course measures its grading run at half a CPU ([gradescope] measured_seconds_at_half_cpu): what a pod requests.
MEASURED_CPU = "500m"
# Values standing in for the ConfigMap's, to run the manifests' commands through the parser.
SAMPLE_SEED = "123456789"
COMPLETION_INDEX = "JOB_COMPLETION_INDEX"  # set by Kubernetes in each pod of an Indexed Job


def _documents() -> list[tuple[str, dict]]:
    return [(path.name, document) for path in MANIFESTS
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]


def _jobs() -> dict[str, dict]:
    return {document["metadata"]["name"]: document for _, document in _documents() if document["kind"] == "Job"}


def _indexed_job() -> dict:
    (job,) = [job for job in _jobs().values() if job["spec"].get("completionMode") == "Indexed"]
    return job


def _merge_job() -> dict:
    (job,) = [job for job in _jobs().values() if "--merge" in _container(job)["args"]]
    return job


def _container(workload: dict) -> dict:
    pod = workload["spec"]["template"]["spec"] if workload["kind"] == "Job" else workload["spec"]
    (container,) = pod["containers"]
    return container


def _option(args: list[str], name: str) -> str | None:
    """The value of `--name=V` or `--name V` in a container's args, or None."""
    for at, word in enumerate(args):
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
        if word == name:
            return args[at + 1]
    return None


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()
    return float(number) * (1024 if unit == "Gi" else 1)


def _millicores(quantity: str | int) -> int:
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)


def _command(container: dict, index: int = 0) -> list[str]:
    """The container's args as the kubelet hands them to the image's entrypoint: $(VAR) replaced by the value
    its env takes from the ConfigMap (the course's first assignment, a sample seed) or by the completion index."""
    values = {COMPLETION_INDEX: str(index), "SEED": SAMPLE_SEED, "ASSIGNMENT": COURSE["assignments"][0]["id"]}
    return [re.sub(r"\$\((\w+)\)", lambda found: values[found.group(1)], word) for word in container["args"]]


# ---- the manifests against the Kubernetes schema ----

@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name, document", _documents(),
                         ids=[f"{name}:{document['kind']}" for name, document in _documents()])
def test_manifest_validates_against_the_kubernetes_schema(name, document, version):
    """Is every manifest under deploy/k8s/ valid Kubernetes, with no field the schema does not know?"""
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:  # its str() prints the whole schema
        where = ".".join(map(str, error.absolute_path)) or "the top"
        pytest.fail(f"{name}: {document['kind']} at {where}: {error.message} (Kubernetes {version})", pytrace=False)


def test_bubblewrap_settings_validate_once_uncommented():
    """Are the commented settings that let bubblewrap run in a grading pod valid Kubernetes once uncommented?"""
    text = (DEPLOY / "k8s" / "grade-job.yaml").read_text(encoding="utf-8")
    uncommented = re.sub(r"^(\s*)# (hostUsers: false)$", r"\1\2", text, flags=re.MULTILINE)
    uncommented = re.sub(r"^(\s*)# (\S.*?)\s+# \(bubblewrap\)$", r"\1\2", uncommented, flags=re.MULTILINE)
    job = yaml.safe_load(uncommented)
    pod = job["spec"]["template"]["spec"]
    assert pod["hostUsers"] is False
    assert _container(job)["securityContext"]["procMount"] == "Unmasked"
    kubernetes_validate.validate(job, "1.33", strict=True)


def test_every_manifest_is_checked():
    """Does deploy/k8s hold the indexed grading Job, the merge Job and the volume they share?"""
    kinds = sorted(document["kind"] for _, document in _documents())
    assert kinds == ["Job", "Job", "PersistentVolumeClaim", "Pod"]


# ---- the indexed Job: shards, retries, resources ----

def test_shard_is_the_completion_index_of_n_completions():
    """Does pod K grade --shard K/N, with N the Job's completions, so every shard is graded exactly once?"""
    job = _indexed_job()
    count = job["spec"]["completions"]
    assert _option(_container(job)["args"], "--shard") == f"$({COMPLETION_INDEX})/{count}"
    assert 1 <= job["spec"]["parallelism"] <= count


def test_each_shard_is_retried_on_its_own():
    """Is a failed shard retried alone (backoffLimitPerIndex), with the pods never restarted in place?"""
    spec = _indexed_job()["spec"]
    assert spec["backoffLimitPerIndex"] >= 1
    assert spec["maxFailedIndexes"] <= spec["completions"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_grading_pod_requests_what_course_toml_measured():
    """Does a grading pod request the memory and CPU course.toml measured one grading run to need, with room above?"""
    measured = COURSE["gradescope"]
    resources = _container(_indexed_job())["resources"]
    peak = measured["measured_peak_mib"]
    assert _mebibytes(resources["requests"]["memory"]) == peak
    assert all(assignment.get("measured_peak_mib", 0) <= peak for assignment in COURSE["assignments"])
    assert _mebibytes(resources["limits"]["memory"]) >= 1.25 * peak
    assert measured["measured_seconds_at_half_cpu"] > 0
    assert resources["requests"]["cpu"] == MEASURED_CPU
    assert _millicores(resources["limits"]["cpu"]) >= _millicores(MEASURED_CPU)


def test_grading_pod_runs_as_measured():
    """Does each pod grade as the measured run did: one submission, one worker at a time, fresh workers?"""
    args = _container(_indexed_job())["args"]
    assert _option(args, "--jobs") == "1"
    assert _option(args, "--workers-at-once") == str(COURSE["gradescope"]["workers_at_once"])
    assert "--fresh-workers" in args


def test_seed_and_assignment_have_one_home():
    """Do the shards read the seed from the one ConfigMap, and the merge keep theirs (no --seed of its own)?"""
    grade, merge = _container(_indexed_job()), _container(_merge_job())
    sources = {entry["name"]: entry["valueFrom"]["configMapKeyRef"] for entry in grade["env"]}
    assert _option(grade["args"], "--seed") == "$(SEED)"
    assert _option(merge["args"], "--seed") is None
    assert {source["name"] for source in sources.values()} == {"autograder-class"}
    merge_sources = {entry["name"]: entry["valueFrom"]["configMapKeyRef"] for entry in merge["env"]}
    assert merge_sources["ASSIGNMENT"] == sources["ASSIGNMENT"]


@pytest.mark.parametrize("job", ["grade", "merge"])
def test_every_variable_in_args_is_defined(job):
    """Is every $(VAR) in a Job's args defined? Kubernetes passes an undefined one on as literal text."""
    container = _container(_indexed_job() if job == "grade" else _merge_job())
    defined = {entry["name"] for entry in container.get("env", [])} | ({COMPLETION_INDEX} if job == "grade" else set())
    used = {name for word in container["args"] for name in re.findall(r"\$\((\w+)\)", word)}
    assert used <= defined


def test_class_is_read_only_and_out_writable_on_one_shared_volume():
    """Do the Jobs mount the class read-only and OUT writable, from the one ReadWriteMany claim?"""
    (claim,) = [document for _, document in _documents() if document["kind"] == "PersistentVolumeClaim"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    for job in (_indexed_job(), _merge_job()):
        pod = job["spec"]["template"]["spec"]
        assert [volume["persistentVolumeClaim"]["claimName"] for volume in pod["volumes"]] == [claim["metadata"]["name"]]
        mounts = {mount["mountPath"]: mount for mount in _container(job)["volumeMounts"]}
        args = _container(job)["args"]
        assert args[1] == "/class" and mounts["/class"]["readOnly"] is True
        assert _option(args, "--out") == "/out" and not mounts["/out"].get("readOnly", False)
        assert pod["securityContext"]["runAsNonRoot"] is True


def test_one_image_everywhere():
    """Do all the manifests run the same image, so an edit cannot leave one behind?"""
    images = {_container(document)["image"] for _, document in _documents() if document["kind"] in ("Job", "Pod")}
    assert len(images) == 1


# ---- the commands, through the grader's own parser ----

@pytest.mark.parametrize("index", ["first", "last"])
def test_grading_command_is_accepted_by_the_parser(index):
    """Does `python -m autograder` accept each shard's command as the kubelet expands it, and read K/N from it?"""
    job = _indexed_job()
    count = job["spec"]["completions"]
    k = 0 if index == "first" else count - 1
    args, unknown = build_parser().parse_known_args(_command(_container(job), k))
    assert unknown == []
    assert (args.verb, args.shard, args.seed) == ("grade", Shard(k, count), int(SAMPLE_SEED))
    assert args.assignment in {assignment["id"] for assignment in COURSE["assignments"]}


def test_merge_command_is_accepted_by_the_parser():
    """Does `python -m autograder` accept the merge's command, gathering the shards already in OUT?"""
    args, unknown = build_parser().parse_known_args(_command(_container(_merge_job())))
    assert unknown == []
    assert (args.verb, args.merge, args.shard, args.seed) == ("grade", [], None, None)
    assert args.similarity


# ---- the image definition ----

def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) for each instruction of the Dockerfile, its continued lines joined as Docker joins them."""
    joined, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        joined.append(pending + line)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def test_image_installs_the_engines_pins_and_the_courses(tmp_path):
    """Does the image install the engine's pins (pyproject.toml) and the course's (course.toml [setup]
    requirements: torch, tensorflow-cpu) with course.toml's pip options?"""
    pins, image = _stages()
    (write,) = [rest for instruction, rest in pins if instruction == "RUN"]
    python, flag, code, redirect, target = shlex.split(write)
    assert (python, flag, redirect) == ("python", "-c", ">")
    for name in ("pyproject.toml", "course.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    written = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    options, *requirements = written.stdout.splitlines()
    assert shlex.split(options) == COURSE["setup"]["pip_options"]
    assert requirements == [*PROJECT["dependencies"], *COURSE["setup"]["requirements"],
                            *PROJECT["optional-dependencies"]["instructor"]]
    frameworks = [pin for pin in COURSE["setup"]["requirements"] if re.match(r"(torch|tensorflow(-cpu)?)==", pin)]
    assert len(frameworks) == 2 and set(frameworks) <= set(requirements)
    copied = [rest for instruction, rest in image if instruction == "COPY" and "--from=pins" in rest]
    assert copied == [f"--from=pins /pins/{target} /tmp/requirements.txt"]
    assert any(instruction == "RUN" and "pip install" in rest and "-r /tmp/requirements.txt" in rest
               for instruction, rest in image)
    # No pin written out in the Dockerfile, beside pyproject.toml's and course.toml's.
    assert not re.search(r"(torch|tensorflow)\S*\s*[=<>~]=", DOCKERFILE.read_text(encoding="utf-8"))


def test_image_is_python_of_requires_python_with_bubblewrap():
    """Is the image Debian's Python that requires-python allows, with bubblewrap installed from apt?"""
    (base,) = {rest.split()[0] for instruction, rest in _instructions() if instruction == "FROM"}
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim-bookworm", base)
    minimum = re.match(r">=(\d+)\.(\d+)", PROJECT["requires-python"])
    assert version and tuple(map(int, version.groups())) >= tuple(map(int, minimum.groups()))
    assert any(instruction == "RUN" and re.search(r"apt-get install .*\bbubblewrap\b", rest)
               for instruction, rest in _stages()[-1])


def test_image_runs_the_grader_as_an_ordinary_user():
    """Does the image hold the course at /course and run `python -m autograder` as the user the pods name?"""
    image = _stages()[-1]
    assert ("COPY", ". /course") in image
    assert ("WORKDIR", "/course") in image
    (entrypoint,) = [rest for instruction, rest in image if instruction == "ENTRYPOINT"]
    assert entrypoint == '["python", "-m", "autograder"]'
    (user,) = [rest for instruction, rest in image if instruction == "USER"]
    (created,) = [rest for instruction, rest in image if instruction == "RUN" and "useradd" in rest]
    uid = int(re.search(r"--uid (\d+)", created).group(1))
    assert user in created and uid != 0
    for _, document in _documents():
        if document["kind"] in ("Job", "Pod"):
            pod = document["spec"]["template"]["spec"] if document["kind"] == "Job" else document["spec"]
            assert pod["securityContext"]["runAsUser"] == uid


def test_build_context_keeps_the_course_and_leaves_the_rest():
    """Does .dockerignore keep what grading reads in the build context, and leave out environments and history?"""
    patterns = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern.removeprefix("**/")) or fnmatch.fnmatch(path, pattern)
                   or path.startswith(pattern + "/") for pattern in patterns)

    for needed in ("course.toml", "pyproject.toml", "autograder/__main__.py", "solutions", "exercises", "grading",
                   "grading/_course/lesson.md"):
        assert not ignored(needed), needed
    for left_out in (".git", ".venv", "tests"):
        assert ignored(left_out), left_out
