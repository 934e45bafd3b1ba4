"""Export an assignment as a Gradescope autograder zip.

Gradescope builds an image from the zip's `setup.sh` (run once, as root) and, per submission, runs
`/autograder/run_autograder`, which must leave `/autograder/results/results.json`. Gradescope unpacks the
zip into `/autograder/source`: beside the two scripts, the grader's own source (pyproject.toml, grader/ and
solutions/), which setup.sh installs non-editable into a virtual environment, so the hidden suite and the
reference never sit in the submission's folder.

Privileges: `setup.sh` makes the grader's installed package, the reference and the source folder readable by
root only, and `run_autograder` runs student code as an unprivileged user (`nobody` by default), so that even
where bubblewrap cannot create namespaces (Docker's default seccomp profile forbids them) student code
cannot read the hidden tests, write the results file or signal the grader. Isolation: `--isolation best`
(the default here) grades at the best level the container offers and says which in the results;
`strict` refuses to grade without namespaces.
"""

from __future__ import annotations

import shlex
import stat
import zipfile
from pathlib import Path

from grader.assignments import ASSIGNMENTS, PACKAGE_ROOT, get_assignment
from grader.errors import ConfigurationError
from grader.grading.config import DEFAULTS
from grader.results.verdicts import VISIBILITIES

TORCH_PIN = "torch==2.13.0"
# Gradescope has no GPU: PyTorch's CPU-only build (about 190 MB) rather than PyPI's default torch for Linux,
# the CUDA build (about 530 MB plus 2.2 GB of nvidia-* and triton packages). PyPI is the fallback.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SOURCE_ITEMS = ("pyproject.toml", "README.md", "grader", "solutions")
SKIPPED = {"__pycache__", ".pytest_cache", ".ruff_cache"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image setup (once, as root): Python, bubblewrap (the sandbox), the grader in /autograder/venv,
# and permissions that keep the hidden tests and the reference from the user student code runs as.
# AUTOGRADER_ROOT, PYTHON and GRADER_SKIP_APT exist only so that tests can run this script outside Gradescope.
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
if [ -z "${{GRADER_SKIP_APT:-}}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
fi
"${{PYTHON:-python3}}" -m venv "$root/venv"
pip=("$root/venv/bin/pip" install --quiet --disable-pip-version-check)
# torch: the CPU-only build from PyTorch's index, since there is no GPU here (PyPI's Linux torch is the CUDA
# build, about 2.7 GB with its nvidia-* packages); PyPI when that index fails. The second install keeps it.
if ! "${{pip[@]}}" --timeout 30 --retries 2 --index-url {torch_index} "{torch}"; then
  echo "note: PyTorch's CPU index failed; {torch} comes from PyPI instead" >&2
fi
"${{pip[@]}}" "{torch}" "$root/source"
site="$("$root/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# The runtime stays readable by everyone; the grader, the reference and the source only by root.
chmod 755 "$root" "$root/venv"
chmod -R go-rwx "$root/source" "$site/grader" "$site/solutions"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grades /autograder/submission and writes /autograder/results/results.json (Gradescope's layout).
# AUTOGRADER_ROOT and GRADER_BIN exist only so that tests can run this script outside Gradescope.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
grader="${{GRADER_BIN:-$root/venv/bin/grader}}"
mkdir -p "$root/results"
"$grader" run "$root/submission" --assignment {assignment} --json "$root/results/results.json" \\
  --visibility {visibility} --isolation {isolation} --seed {seed} --budget {budget:g}{run_as}
status=$?
if [ ! -f "$root/results/results.json" ]; then
  message="The autograder could not grade this submission (status $status); please tell your instructor."
  printf '{{"score": 0, "output": "%s", "tests": []}}\\n' "$message" > "$root/results/results.json"
fi
exit 0
"""


def grading_budget(gradescope_timeout: float) -> float:
    """Seconds of grading that fit in Gradescope's timeout: a fifth of it (at least a minute) is margin."""
    if gradescope_timeout < 120:
        raise ConfigurationError(
            f"a Gradescope timeout of {gradescope_timeout:g} s leaves no time to grade; give at least 120 s"
        )
    return float(gradescope_timeout - max(60.0, gradescope_timeout / 5))


def _add_tree(
    archive: zipfile.ZipFile, path: Path, name: str, leave_out: frozenset[str] = frozenset()
) -> None:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name not in SKIPPED and f"{name}/{child.name}" not in leave_out:
                _add_tree(archive, child, f"{name}/{child.name}", leave_out)
    else:
        archive.write(path, name)


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    archive.writestr(info, text)


def build_autograder(
    assignment: str,
    destination: Path,
    *,
    visibility: str = DEFAULTS.visibility,
    isolation: str = DEFAULTS.isolation,
    seed: int = DEFAULTS.seed,
    run_as: str | None = "nobody",  # Gradescope runs the autograder as root: student code never should
    gradescope_timeout: int = 600,
) -> Path:
    """Write `<destination>/<assignment>-gradescope.zip` and return its path.

    `gradescope_timeout` is the autograder timeout set on Gradescope; grading stops calling student code
    at `grading_budget(gradescope_timeout)`, leaving time to start up and write the results.
    """
    chosen = get_assignment(assignment)
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    root = PACKAGE_ROOT.parent
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    zip_path = destination / f"{chosen.name}-gradescope.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH.format(torch=TORCH_PIN, torch_index=TORCH_CPU_INDEX))
        _add_script(
            archive,
            "run_autograder",
            RUN_AUTOGRADER.format(
                assignment=shlex.quote(chosen.name),
                visibility=shlex.quote(visibility),
                isolation=shlex.quote(isolation),
                seed=int(seed),
                budget=grading_budget(gradescope_timeout),
                run_as=f" --run-as {shlex.quote(run_as)}" if run_as else "",
            ),
        )
        # Only this assignment's hidden suite and reference travel: the zip is seen by every course TA.
        others = [name for name in ASSIGNMENTS if name != chosen.name]
        leave_out = frozenset(
            path
            for name in others
            for path in (f"grader/hidden/{name}", f"solutions/{name}", f"grader/catalogue/{name}.py")
        )
        for item in SOURCE_ITEMS:
            _add_tree(archive, root / item, item, leave_out)
    return zip_path
