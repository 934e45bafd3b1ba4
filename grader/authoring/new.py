"""`grader new NAME`: scaffold an assignment that grades, releases and validates before it is edited.

The scaffold is a small, complete example (two functions on tensors, `scaled_dot` and `normalize`, in one
module `scaling.py`) laid out exactly like the course's assignments, so that every tool works on it at once
and an instructor replaces the example piece by piece (docs/authoring.md):

    solutions/NAME/assignment.json       the registry entry: title and the modules students write
    solutions/NAME/__init__.py           the package
    solutions/NAME/scaling.py            the reference, `### BEGIN SOLUTION` regions around the answers
    solutions/NAME/README.md             the handout
    solutions/NAME/tests/test_public.py  the public tests, released with the stubs
    grader/hidden/NAME/test_scaling.py   the hidden suite: one test per function, 100 points in all
    grader/catalogue/NAME.py             the catalogue: one realistic bug, one valid alternative, the stub
    templates/NAME.notebook.md           the nbgrader notebook template

Nothing is written when the name is not a Python identifier or shadows an installed module, when any of
these paths exists, or the release folder `assignments/NAME` does.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from string import Template

from grader.assignments import ASSIGNMENT_FILE, PACKAGE_ROOT, is_assignment_name
from grader.errors import ConfigurationError

__all__ = ["MODULE", "new_assignment", "next_steps", "scaffold_files"]

MODULE = "scaling.py"

INIT = '''"""$title: the reference solution."""

from .scaling import normalize, scaled_dot

__all__ = ["normalize", "scaled_dot"]
'''

REFERENCE = '''"""Scaled dot products and normalisation: the two small operations behind attention scores.

Implements: `scaled_dot`, every query against every key divided by sqrt(d) (Vaswani et al. 2017,
"Attention Is All You Need", section 3.2.1: the scores inside PyTorch's scaled_dot_product_attention), and
`normalize`, vectors rescaled to unit Euclidean length along one dimension (what
torch.nn.functional.normalize computes with p=2).

Leaves out: masks, the softmax and the weighted sum of values (attention itself builds on these two).
"""

from __future__ import annotations

import math

import torch


def scaled_dot(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The attention scores of queries `q` against keys `k`, scaled by 1/sqrt(d).

    Args:
        q: queries, shape (..., Tq, d).
        k: keys, shape (..., Tk, d), with the same leading dimensions and the same d as `q`.

    Returns:
        scores of shape (..., Tq, Tk), in the dtype of `q`: entry [..., i, j] is the dot product of query i
        with key j divided by sqrt(d), where d is the size of the last dimension.
    """
    ### BEGIN SOLUTION
    d = q.shape[-1]
    # 1. Every query against every key in one matmul: (..., Tq, d) @ (..., d, Tk).
    scores = q @ k.transpose(-2, -1)  # (..., Tq, Tk)
    # 2. The dot product of two random vectors with unit-variance entries has variance d; dividing by sqrt(d)
    #    keeps the scores near unit variance whatever d is, so a softmax over them does not saturate.
    return scores / math.sqrt(d)  # (..., Tq, Tk)
    ### END SOLUTION


def normalize(x: torch.Tensor, dim: int = -1, eps: float = 1e-12) -> torch.Tensor:
    """`x` divided by its Euclidean (L2) norm along `dim`, so that every vector along `dim` has length 1.

    Args:
        x: a tensor of any shape.
        dim: the dimension whose vectors are normalised (default: the last one).
        eps: the smallest norm divided by; a vector of zeros stays zeros instead of becoming NaN.

    Returns:
        a tensor of the shape and dtype of `x`.
    """
    ### BEGIN SOLUTION
    # 1. The length of each vector along `dim`, kept as a size-1 dimension so that it broadcasts against x.
    norm = x.pow(2).sum(dim=dim, keepdim=True).sqrt()  # x's shape with size 1 at dim
    # 2. A zero vector has length 0: dividing by at least eps keeps it zero (0 / 0 would be NaN).
    return x / norm.clamp_min(eps)
    ### END SOLUTION
'''

PUBLIC_TESTS = '''"""Public tests for $title: run them with `python check.py` in the assignment folder.

Each test compares your code with PyTorch. The hidden tests check more shapes, dtypes and edge cases, so
passing these is a start, not a grade. Test names start with the step of the handout they check.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from $name.scaling import normalize, scaled_dot


def test_step1_scaled_dot_gives_pytorchs_attention():
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 8, generator=generator) for _ in range(3))
    scores = scaled_dot(q, k)
    assert scores.shape == (2, 5, 5)
    # softmax over the keys, then the weighted sum of the values, is what PyTorch's attention computes.
    attention = torch.softmax(scores, dim=-1) @ v
    torch.testing.assert_close(attention, F.scaled_dot_product_attention(q, k, v))


def test_step2_normalize_matches_torch():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(normalize(x), F.normalize(x, dim=-1))
    torch.testing.assert_close(normalize(x, dim=0), F.normalize(x, dim=0))
'''

README = """# $title

Attention compares every query with every key. In this assignment you write the two small operations that
comparison rests on: scaled dot-product scores and the normalisation of vectors to unit length.

| file         | you write                                 |
|--------------|-------------------------------------------|
| `scaling.py` | `scaled_dot` (step 1), `normalize` (step 2) |

Every place to fill in raises `NotImplementedError`. Keep the names, signatures and return types exactly as
they are: the grader calls them by name, and your code runs in a separate process, so your functions must
return tensors. You need Python 3.10+, PyTorch and pytest.

## Checking your work

In the assignment folder, run

    python check.py

It runs the public tests (`tests/test_public.py`) and prints one line per test. They compare your code with
PyTorch on a few inputs; the hidden tests check more shapes, float64 and edge cases.

## Step 1: scaled dot-product scores

`scaled_dot(q, k)` takes queries `(..., Tq, d)` and keys `(..., Tk, d)` and returns the scores
`(..., Tq, Tk)`: the dot product of every query with every key, divided by `sqrt(d)`. Leading dimensions
(batch, heads) are kept as they are. Check: `softmax(scaled_dot(q, k), dim=-1) @ v` equals
`torch.nn.functional.scaled_dot_product_attention(q, k, v)`.

## Step 2: unit vectors

`normalize(x, dim=-1, eps=1e-12)` divides each vector along `dim` by its Euclidean length, so that every one
has length 1. Divide by `max(length, eps)`: a vector of zeros stays zeros. The result keeps the shape and
dtype of `x`. Check: it equals `torch.nn.functional.normalize(x, dim=dim)`.

## What costs points

Scores that are not divided by `sqrt(d)` (or are divided by `d`), keys that are not transposed, normalising
along another dimension than `dim`, and NaN for a vector of zeros.
"""

HIDDEN_SUITE = '''"""Hidden tests of scaling.py: one test per function, 100 points in all.

The oracles: the reference for scaled_dot, torch.nn.functional.normalize for normalize. Every shape has
leading dimensions and a d that differs from Tq and Tk, so that a transpose or a reduction over the wrong
axis cannot pass by accident; the inputs that exercise each case are built in, whatever the seed.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader.suite import assert_close
from solutions.$name import scaling as reference

NOT_SCALED = "divide the scores by sqrt(d), where d = q.shape[-1] is the size of the last dimension"
BY_D = "divide by sqrt(d), not by d"
WRONG_DIM = "sum the squares along `dim` (keepdim=True), the dimension the caller passes"
ZERO_VECTOR = "a vector of zeros must stay zeros: divide by norm.clamp_min(eps), not by the norm itself"


def _score_mistakes(q: torch.Tensor, k: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """Known wrong scores: not scaled, scaled by 1/d."""
    raw = q @ k.transpose(-2, -1)
    return [(raw, NOT_SCALED), (raw / q.shape[-1], BY_D)]


@pytest.mark.points(50)
def test_scaled_dot(student, gen, check):
    """scaled_dot(q, k) gives (..., Tq, Tk) scores divided by sqrt(d): leading dims, Tq != Tk, float64"""
    cases = {
        "(Tq, d)": ((5, 8), (7, 8), torch.float32),
        "batch and heads": ((2, 3, 4, 16), (2, 3, 6, 16), torch.float32),
        "float64": ((3, 5, 9), (3, 2, 9), torch.float64),
    }
    for name, (q_shape, k_shape, dtype) in cases.items():
        with check.part(name):
            q = torch.randn(q_shape, generator=gen, dtype=dtype)
            k = torch.randn(k_shape, generator=gen, dtype=dtype)
            got = student.call("scaling.scaled_dot", q, k)
            assert_close(
                got,
                reference.scaled_dot(q, k),
                what=f"scaled_dot(q, k) with {str(dtype).removeprefix('torch.')} q {q_shape} and k {k_shape}",
                mistakes=_score_mistakes(q, k),
            )


@pytest.mark.points(50)
def test_normalize(student, gen, check):
    """normalize(x, dim) gives unit vectors along dim, like F.normalize; zero vectors stay zero"""
    x = torch.randn(3, 4, 5, generator=gen) * 3
    for dim in (-1, 0, 1):
        with check.part(f"dim={dim}"):
            got = student.call("scaling.normalize", x, dim=dim)
            others = [d for d in range(x.dim()) if d != dim % x.dim()]
            assert_close(
                got,
                F.normalize(x, dim=dim),
                what=f"normalize(x, dim={dim}) with x (3, 4, 5)",
                mistakes=[(F.normalize(x, dim=other), WRONG_DIM) for other in others],
            )
    with check.part("float64"):
        x64 = torch.randn(6, 7, generator=gen, dtype=torch.float64)
        got = student.call("scaling.normalize", x64)
        assert_close(got, F.normalize(x64, dim=-1), what="normalize(x) with x float64 (6, 7)")
    with check.part("a vector of zeros"):
        zeros = torch.cat([torch.randn(2, 4, generator=gen), torch.zeros(1, 4)])
        got = student.call("scaling.normalize", zeros)
        assert_close(
            got,
            F.normalize(zeros, dim=-1),
            what="normalize(x) where row 2 of x is all zeros",
            hint=ZERO_VECTOR,
        )
'''

CATALOGUE = '''"""Realistic bugs in $name, each a small patch of the reference, and valid alternatives.

VARIANTS: each must score below 100 and lose points in exactly the hidden tests named in `breaks`, showing
the hints in `hints`. ALTERNATIVES: choices the handout leaves open; each must score 100. STUB: the release
as handed out. `grader validate $name` grades every entry. Edits quote code only, never comments.
"""

from __future__ import annotations

from grader.catalogue.variants import Edit, Variant

# Hints that restate a whole rule rather than name one mistake: any variant may show them.
GENERIC_HINTS: tuple[str, ...] = ()

VARIANTS: list[Variant] = [
    Variant(
        "scaled-dot-not-scaled",
        "scaled_dot returns the raw dot products, without dividing by sqrt(d)",
        (Edit("scaling.py", "return scores / math.sqrt(d)", "return scores"),),
        breaks=("test_scaled_dot",),
        hints=("divide the scores by sqrt(d)",),
    ),
]

ALTERNATIVES: list[Variant] = [
    Variant(
        "normalize-with-torch",
        "normalize calls torch.nn.functional.normalize (the handout does not forbid it)",
        (
            Edit(
                "scaling.py",
                "return x / norm.clamp_min(eps)",
                "return torch.nn.functional.normalize(x, p=2.0, dim=dim, eps=eps)",
            ),
        ),
    ),
]

STUB = Variant("stub", "the untouched release: every function raises NotImplementedError", base="stub")
'''

TEMPLATE = """# $title

Attention compares every query with every key. In this notebook you write the two small operations that
comparison rests on: scaled dot-product scores and the normalisation of vectors to unit length.

**How this notebook works.** The cell that starts with `%%writefile $name/scaling.py` is your module:
running it writes the file `$name/scaling.py` next to this notebook. Replace every
`raise NotImplementedError()` in it with your code, keeping names and signatures (the grader calls them by
name), then re-run the cell. The cells after it check your module against PyTorch; the grader runs many more
tests on what your `%%writefile` cell contains.

Run the next cell first.

```{code} setup
# autoreload: after you re-run the %%writefile cell, the checks below use the new version of your module.
%load_ext autoreload
%autoreload 2
from pathlib import Path

import torch
import torch.nn.functional as F

Path("$name").mkdir(exist_ok=True)  # the %%writefile cell writes your module into this folder
```

+++

## Step 1: scaled dot-product scores

`scaled_dot(q, k)` compares every query `(..., Tq, d)` with every key `(..., Tk, d)`: the dot products,
divided by `sqrt(d)`, as a `(..., Tq, Tk)` tensor. Without the division the scores grow with `d` and a softmax
over them saturates.

## Step 2: unit vectors

`normalize(x, dim)` divides each vector along `dim` by its Euclidean length (at least `eps`, so that a
vector of zeros stays zeros).

```{module} scaling.py
```

```{test} step1_scaled_dot points=50
from $name.scaling import scaled_dot

q, k, v = (torch.randn(2, 5, 8) for _ in range(3))
attention = torch.softmax(scaled_dot(q, k), dim=-1) @ v
torch.testing.assert_close(attention, F.scaled_dot_product_attention(q, k, v))
### BEGIN HIDDEN TESTS
assert scaled_dot(torch.randn(3, 4), torch.randn(6, 4)).shape == (3, 6)
### END HIDDEN TESTS
```

```{test} step2_normalize points=50
from $name.scaling import normalize

x = torch.randn(4, 6)
torch.testing.assert_close(normalize(x), F.normalize(x, dim=-1))
torch.testing.assert_close(normalize(x, dim=0), F.normalize(x, dim=0))
### BEGIN HIDDEN TESTS
assert normalize(torch.zeros(2, 3)).abs().sum() == 0
### END HIDDEN TESTS
```
"""


def scaffold_files(name: str, title: str) -> dict[str, str]:
    """{path relative to the repository root: text} of the scaffold of assignment `name`."""
    fill = {"name": name, "title": title}
    entry = json.dumps({"title": title, "modules": [MODULE]}, indent=2) + "\n"
    texts = {
        f"solutions/{name}/{ASSIGNMENT_FILE}": entry,
        f"solutions/{name}/__init__.py": INIT,
        f"solutions/{name}/{MODULE}": REFERENCE,
        f"solutions/{name}/README.md": README,
        f"solutions/{name}/tests/test_public.py": PUBLIC_TESTS,
        f"grader/hidden/{name}/test_scaling.py": HIDDEN_SUITE,
        f"grader/catalogue/{name}.py": CATALOGUE,
        f"templates/{name}.notebook.md": TEMPLATE,
    }
    return {path: Template(text).substitute(fill) for path, text in texts.items()}


def _refusal(name: str, title: str, root: Path) -> tuple[str, str] | None:
    """(message, hint) saying why `name` cannot be scaffolded in `root`, or None when it can."""
    another = "choose another name, e.g. hw5_retrieval"
    if not is_assignment_name(name):
        return f"{name!r} cannot name an assignment: it must be a Python identifier", another
    if importlib.util.find_spec(name) is not None:
        return f"{name!r} cannot name an assignment: it would shadow the installed module {name}", another
    if not title.strip() or any(char in title for char in '"\\\n'):
        return f"the title {title!r} cannot be used", "a title is one line, without quotes or backslashes"
    if not (root / "pyproject.toml").is_file() or not (root / "grader").is_dir():
        return (
            f"{root} is not a checkout of the course repository (no pyproject.toml and grader/ there)",
            "run grader new from a development install (pip install -e .)",
        )
    paths = (f"solutions/{name}", f"grader/hidden/{name}", f"grader/catalogue/{name}.py",
             f"templates/{name}.notebook.md", f"assignments/{name}")  # fmt: skip
    taken = [path for path in paths if (root / path).exists()]
    if taken:
        return f"assignment {name} already exists: {', '.join(taken)} is there", another
    return None


def new_assignment(name: str, *, title: str, root: Path = PACKAGE_ROOT.parent) -> list[Path]:
    """Scaffold assignment `name` in the repository at `root` and return the files written, sorted.

    `root` is a checkout of the course repository (by default the one this grader runs from, as an editable
    install). Raises ConfigurationError, having written nothing, when `name` is not a Python identifier (it
    is the package students import) or shadows an installed module, when the assignment or any file of its
    scaffold already exists, or when `root` is not such a checkout. The registry of the running process is
    not reloaded: the new assignment is known to the grader processes started after it.
    """
    root = Path(root)
    refusal = _refusal(name, title, root)
    if refusal is not None:
        message, hint = refusal
        raise ConfigurationError(message, hint=hint)
    written = []
    for relative, text in sorted(scaffold_files(name, title).items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def next_steps(name: str) -> list[str]:
    """What to do after `grader new name`, one command or action a line (docs/authoring.md explains each)."""
    commands = [
        ("grader release", f"assignments/{name}/: stubs, handout, public tests"),
        (f"grader run solutions/{name}", "the reference scores 100"),
        (f"grader run assignments/{name}", "the untouched stub scores 0"),
        (f"grader validate {name}", "reference 100, stub 0, each catalogue entry as declared"),
        (f"grader nbgrader-source course/ --assignment {name}", "the nbgrader notebook"),
        (f"grader audit {name} --out audit/{name} --max 60", "what the hidden suite misses"),
    ]
    width = max(len(command) for command, _ in commands)
    return [f"{command:{width}}  # {why}" for command, why in commands] + [
        f"then replace the example: solutions/{name}/ (reference, README.md, tests/), grader/hidden/{name}/, "
        f"grader/catalogue/{name}.py, templates/{name}.notebook.md; the walk-through is docs/authoring.md",
    ]
