"""Staging finds the assignment, refuses what it must, and never imports anything."""

import json
import os

import pytest

from grader.errors import SubmissionError
from grader.staging import find_sources, notebook_modules, stage


def write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_of_modules_is_detected_by_its_file_names(tmp_path):
    write(tmp_path / "softmax.py", "x = 1\n")
    write(tmp_path / "attention.py", "raise SystemExit('never imported by staging')\n")
    (source,) = find_sources(tmp_path)
    assert source.assignment.name == "hw1_attention"
    assert set(source.modules) == {"softmax.py", "attention.py"}


def test_subfolders_named_like_assignments_are_each_graded(tmp_path):
    write(tmp_path / "hw1_attention" / "softmax.py")
    (source,) = find_sources(tmp_path)
    assert source.assignment.name == "hw1_attention" and "softmax.py" in source.modules


def test_an_empty_folder_needs_an_assignment_name(tmp_path):
    with pytest.raises(SubmissionError, match="cannot tell which assignment") as info:
        find_sources(tmp_path)
    assert "--assignment" in info.value.hint
    (source,) = find_sources(tmp_path, "hw1_attention")
    assert source.modules == {}


def test_a_symlink_is_refused_with_its_name(tmp_path):
    write(tmp_path / "softmax.py")
    os.symlink("/etc/passwd", tmp_path / "attention.py")
    with pytest.raises(SubmissionError, match=r"attention\.py is a symbolic link"):
        find_sources(tmp_path)


def test_a_fifo_is_refused(tmp_path):
    write(tmp_path / "softmax.py")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(SubmissionError, match="not a regular file"):
        find_sources(tmp_path)


def test_an_oversized_file_is_refused(tmp_path):
    write(tmp_path / "softmax.py")
    (tmp_path / "weights.bin").write_bytes(b"\0" * (3 * 1024 * 1024))
    with pytest.raises(SubmissionError, match=r"weights\.bin is 3\.0 MiB"):
        find_sources(tmp_path)


def test_a_notebook_that_is_not_json_gets_a_clear_message(tmp_path):
    notebook = write(tmp_path / "hw1.ipynb", '{"cells": [')
    with pytest.raises(SubmissionError, match=r"hw1\.ipynb is not a valid notebook \(invalid JSON at line 1"):
        find_sources(notebook)


def test_a_notebook_contributes_its_writefile_cells(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": ["# Attention"]},
        {
            "cell_type": "code",
            "source": ["%%writefile softmax.py\n", "def softmax(x, dim=-1):\n", "    pass\n"],
        },
        {"cell_type": "code", "source": "print('scratch work is not graded')"},
    ]
    notebook = write(tmp_path / "hw1.ipynb", json.dumps({"cells": cells, "nbformat": 4}))
    assert notebook_modules(notebook) == {"softmax.py": "def softmax(x, dim=-1):\n    pass\n"}
    (source,) = find_sources(notebook)
    assert source.assignment.name == "hw1_attention"


def test_staging_writes_the_graders_own_init(tmp_path):
    write(tmp_path / "sub" / "softmax.py", "def softmax(x, dim=-1): return x\n")
    write(tmp_path / "sub" / "__init__.py", "from .missing import everything\n")
    (source,) = find_sources(tmp_path / "sub")
    staged = stage(source, tmp_path / "scratch")
    assert (staged.package_dir / "__init__.py").read_text() == ""
    assert (staged.package_dir / "softmax.py").exists()
    assert "softmax.py" in staged.present


def test_a_path_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(SubmissionError, match="does not exist"):
        find_sources(tmp_path / "nope")


def test_local_imports_are_read_from_the_syntax_tree():
    from grader.staging import local_imports

    present = frozenset({"softmax.py", "attention.py", "scores.py"})
    text = (
        "import torch\nfrom .softmax import softmax\nfrom . import scores\n"
        "import hw1_attention.attention\nfrom numpy import scores as s\n"
    )
    assert local_imports(text, "hw1_attention", present) == {"softmax", "scores", "attention"}
    assert local_imports("def broken(:\n", "hw1_attention", present) == frozenset()
