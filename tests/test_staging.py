"""Staging finds the assignment, refuses what it must, and never imports anything."""

import json
import os

import pytest

from grader.errors import SubmissionError
from grader.grading.staging import find_sources, notebook_modules, stage


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
    write(tmp_path / "hw3_tokenization" / "bpe.py")
    write(tmp_path / "hw3_tokenization" / "notes.py")
    write(tmp_path / "scratch.py")
    hw1, hw3 = find_sources(tmp_path)
    assert (hw1.assignment.name, hw3.assignment.name) == ("hw1_attention", "hw3_tokenization")
    assert set(hw1.modules) == {"softmax.py"} and set(hw3.modules) == {"bpe.py", "notes.py"}
    assert hw1.ignored == {"not part of hw1_attention": ("scratch.py",)}  # hw3's files are hw3's


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


def test_a_fifo_is_refused_when_it_stands_for_a_module_and_ignored_otherwise(tmp_path):
    write(tmp_path / "softmax.py")
    os.mkfifo(tmp_path / "pipe")
    (source,) = find_sources(tmp_path)
    assert source.ignored["not a regular file (a device, pipe or socket)"] == ("pipe",)
    os.mkfifo(tmp_path / "attention.py")
    with pytest.raises(SubmissionError, match=r"attention\.py is not a regular file"):
        find_sources(tmp_path)


def test_an_oversized_module_is_refused_and_an_oversized_checkpoint_ignored(tmp_path):
    write(tmp_path / "softmax.py")
    (tmp_path / "model.pt").write_bytes(b"\0" * (3 * 1024 * 1024))
    (source,) = find_sources(tmp_path)
    assert source.ignored == {"not code": ("model.pt",)}
    (tmp_path / "attention.py").write_bytes(b"#" * (3 * 1024 * 1024))
    with pytest.raises(SubmissionError, match=r"attention\.py is 3\.0 MiB"):
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
    from grader.grading.staging import local_imports

    present = frozenset({"softmax.py", "attention.py", "scores.py"})
    text = (
        "import torch\nfrom .softmax import softmax\nfrom . import scores\n"
        "import hw1_attention.attention\nfrom numpy import scores as s\n"
    )
    assert local_imports(text, "hw1_attention", present) == {"softmax", "scores", "attention"}
    assert local_imports("def broken(:\n", "hw1_attention", present) == frozenset()


def test_helper_modules_beside_the_graded_ones_are_staged_and_the_rest_ignored(tmp_path):
    write(tmp_path / "hw" / "softmax.py", "from .utils import shift\n")
    write(tmp_path / "hw" / "utils.py", "def shift(x): return x\n")
    write(tmp_path / "hw" / "test_mine.py", "assert False\n")
    write(tmp_path / "scratch" / "experiment.py", "import os\n")
    (source,) = find_sources(tmp_path)
    assert set(source.modules) == {"softmax.py", "utils.py"}
    assert source.ignored["not part of hw1_attention"] == ("hw/test_mine.py", "scratch/experiment.py")
    staged = stage(source, tmp_path / "scratch-dir")
    assert staged.imports["softmax"] == {"utils"}


def test_a_renamed_copy_stands_in_only_when_the_exact_name_is_absent(tmp_path):
    write(tmp_path / "softmax (1).py", "A = 1\n")
    (source,) = find_sources(tmp_path)
    assert source.modules == {"softmax.py": "A = 1\n"}
    write(tmp_path / "softmax.py", "A = 2\n")
    (source,) = find_sources(tmp_path)
    assert source.modules == {"softmax.py": "A = 2\n"} and source.graded == {"softmax.py": "softmax.py"}


def test_a_zip_is_read_without_unpacking_outside_its_folder(tmp_path):
    import zipfile

    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("hw/softmax.py", "A = 1\n")
        bundle.writestr("../escaped.py", "A = 2\n")
        bundle.writestr("/abs/attention.py", "A = 3\n")
    (source,) = find_sources(archive)
    assert source.modules == {"softmax.py": "A = 1\n"}
    assert not (tmp_path.parent / "escaped.py").exists()
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SubmissionError, match=r"broken\.zip is not a zip file that can be read"):
        find_sources(tmp_path / "broken.zip")


def test_a_notebook_is_limited_by_its_source_not_its_outputs(tmp_path):
    cell = {
        "cell_type": "code",
        "source": "%%writefile softmax.py\nA = 1\n",
        "outputs": [{"output_type": "display_data", "data": {"image/png": "A" * (5 * 1024 * 1024)}}],
    }
    notebook = write(tmp_path / "hw1.ipynb", json.dumps({"cells": [cell], "nbformat": 4}))
    (source,) = find_sources(notebook)
    assert source.modules == {"softmax.py": "A = 1\n"}
    cell["source"] = "%%writefile softmax.py\n" + "#" * (3 * 1024 * 1024)
    write(tmp_path / "hw1.ipynb", json.dumps({"cells": [cell], "nbformat": 4}))
    with pytest.raises(SubmissionError, match=r"the cell that writes softmax\.py is over 2 MiB"):
        find_sources(notebook)


def test_a_forced_assignment_that_the_upload_does_not_hold_is_refused(tmp_path):
    write(tmp_path / "carol" / "hw1_attention" / "softmax.py")
    with pytest.raises(SubmissionError, match=r"no submission for hw3_tokenization in .*carol: it holds"):
        find_sources(tmp_path / "carol", "hw3_tokenization")
