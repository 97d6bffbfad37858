#!/usr/bin/env bash
# Grade a class on a Slurm cluster: SHARDS array tasks (AT_ONCE of them at a time, default all), then a merge.
#
#   deploy/slurm/submit.sh CLASS OUT SHARDS [AT_ONCE]
#
# CLASS (a folder of submissions) and OUT must be on a file system every node sees. Array task K runs
# grade.sbatch: `grade CLASS --shard K/SHARDS` into OUT/shards/K. The merge (merge.sbatch) waits for the whole
# array (afterany, so it runs even when a task failed), gathers the shards into OUT and writes OUT/grades.csv,
# answers.csv, report.md and report.html; it fails naming each submission no shard graded. Slurm's logs go to
# OUT/slurm/. It prints the two job ids:
#   grading: job 1234, array 0-49%10, logs OUT/slurm/grade-1234_K.out
#   merge: job 1235, after job 1234, log OUT/slurm/merge-1235.out
#
# Every shard grades at one seed: SEED if set, else the one OUT already holds, else a fresh one; OUT/seed.json
# keeps it. Running the same command again resumes: a shard grades only what it has not graded yet, or what
# changed. To run one shard again, export what this script exports and give the shard count:
#   CLASS=... OUT=... SHARDS=50 SEED=<OUT/seed.json's> sbatch --array=7 --output=OUT/slurm/grade-%A_%a.out \
#       deploy/slurm/grade.sbatch
#
# Read from the environment as well (all optional):
#   PYTHON      the command that runs Python with the grader installed (default: python3 on PATH, e.g. an
#               activated virtualenv's); words allowed, e.g. "apptainer exec grader.sif python3"
#   COURSE      course.toml; ASSIGNMENT: which of its assignments (needed when it has several)
#   WORKERS_AT_ONCE  workers per grading run at once (default 1, what grade.sbatch's memory assumes)
#   SIMILARITY=1 the merge also writes OUT/similarity.html (needs copydetect)
#   Slurm's own: SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, SBATCH_MEM_PER_NODE, ... override the
#   #SBATCH defaults of both scripts (2 CPUs and 2G a shard; edit grade.sbatch for more CPUs).
#
# On a cluster where jobs run as an ordinary user (most university clusters):
# - No fork servers. `grade` forks its workers from per-exercise fork servers only as root (each forked
#   worker gets namespaces and mounts of its own); as any other user it starts every worker fresh, with the
#   same grades (its log says "workers of ... start fresh, with no fork server"). A submission then costs
#   about 6 s of wall time on 2 CPUs instead of about 3 s.
# - Bubblewrap where unprivileged user namespaces allow it. Each fresh worker runs in bubblewrap (`bwrap`,
#   Debian/Ubuntu package bubblewrap) when it works on the node: no network, only the files it needs,
#   read-only, and a private scratch folder. It needs unprivileged user namespaces: `sysctl
#   user.max_user_namespaces` above 0; on older Debian kernels `kernel.unprivileged_userns_clone=1`; on
#   Ubuntu 23.10 and later an AppArmor profile that lets bwrap use them (or
#   `kernel.apparmor_restrict_unprivileged_userns=0`). Try it on a compute node, as yourself:
#     srun bwrap --unshare-all --die-with-parent --ro-bind / / true && echo "bubblewrap works"
# - Else basic isolation: separate processes with limits only, and `grade` warns so, with why, in each
#   shard's log ("warning: grading with basic isolation ..."); the results record the isolation that ran.
#   A submission's code then runs as you and may read and write whatever you can, OUT included: grade
#   under an account that holds nothing else, or ask the cluster's staff for user namespaces.
# - Memory is charged to your job: grade.sbatch asks for course.toml's measured peak per grading run, times
#   the runs at once, plus margin. Nothing needs root, a daemon or a port of its own.
set -euo pipefail

usage="usage: $0 CLASS OUT SHARDS [AT_ONCE]"
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "$usage" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
whole='^[1-9][0-9]*$'
if ! [[ $3 =~ $whole && ${4:-1} =~ $whole ]]; then
    echo "$usage: SHARDS and AT_ONCE are whole numbers, 1 or more" >&2
    exit 2
fi
if [ ! -d "$1" ]; then
    echo "error: $1 is no folder of submissions" >&2
    exit 1
fi
CLASS=$(realpath -- "$1")
OUT=$(realpath -m -- "$2")
SHARDS=$3
at_once=${4:-$SHARDS}
read -r -a python <<<"${PYTHON:-python3}"
if ! python[0]=$(command -v -- "${python[0]:-python3}"); then
    echo "error: no ${PYTHON:-python3} on PATH: set PYTHON to the Python with the grader installed" >&2
    exit 1
fi
PYTHON=${python[*]}
if [ -n "${COURSE:-}" ]; then
    COURSE=$(realpath -e -- "$COURSE")
fi

mkdir -p "$OUT/slurm"
# One seed for the class, kept in OUT: as `grade` chooses it (official_seed.batch_seed), and checks the grader loads.
SEED=$("${python[@]}" -c 'import sys
from pathlib import Path
from autograder.official_seed import batch_seed
print(batch_seed(Path(sys.argv[1]), int(sys.argv[2]) if sys.argv[2] else None))' "$OUT" "${SEED:-}")
export CLASS OUT SHARDS SEED PYTHON COURSE="${COURSE:-}" ASSIGNMENT="${ASSIGNMENT:-}"

array=$(sbatch --parsable --export=ALL --array="0-$((SHARDS - 1))%$at_once" \
        --output="$OUT/slurm/grade-%A_%a.out" "$here/grade.sbatch")
array=${array%%;*}  # --parsable says "id;cluster" where there are several clusters
merge=$(sbatch --parsable --export=ALL --dependency="afterany:$array" \
        --output="$OUT/slurm/merge-%j.out" "$here/merge.sbatch")
merge=${merge%%;*}
echo "grading: job $array, array 0-$((SHARDS - 1))%$at_once, seed $SEED, logs $OUT/slurm/grade-${array}_K.out"
echo "merge: job $merge, after job $array, log $OUT/slurm/merge-$merge.out; grades then in $OUT/grades.csv"
