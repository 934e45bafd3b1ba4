"""The assignment registry: one solutions/<name>/assignment.json per assignment, read at import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignments import ASSIGNMENTS, SOLUTIONS_ROOT, Assignment, get_assignment, load_registry
from grader.errors import ConfigurationError


def entry(root: Path, name: str, data: object, modules: tuple[str, ...] = ("a.py",)) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for module in modules:
        (folder / module).write_text("")
    path = folder / "assignment.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_course_assignments_keep_their_order_titles_and_modules():
    assert [(a.name, a.title) for a in ASSIGNMENTS.values()] == [
        ("hw1_attention", "Attention"),
        ("hw2_transformer", "Transformer"),
        ("hw3_tokenization", "Tokenization"),
        ("hw4_agents", "RL agents"),
    ]
    assert get_assignment("hw3_tokenization").modules == ("word.py", "char.py", "bpe.py", "number_tokens.py")
    assert get_assignment("hw2_transformer").modules[:2] == ("provided_attention.py", "data.py")
    for assignment in ASSIGNMENTS.values():
        assert assignment.solution_dir == SOLUTIONS_ROOT / assignment.name
        assert all((assignment.solution_dir / module).is_file() for module in assignment.modules)


def test_assignments_are_discovered_in_name_order_and_folders_without_an_entry_are_skipped(tmp_path: Path):
    entry(tmp_path, "hw2_b", {"title": "B", "modules": ["b.py", "a.py"]}, ("a.py", "b.py"))
    entry(tmp_path, "hw1_a", {"title": "A", "modules": ["a.py"]})
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "helpers").mkdir()
    assert load_registry(tmp_path) == {
        "hw1_a": Assignment("hw1_a", "A", ("a.py",)),
        "hw2_b": Assignment("hw2_b", "B", ("b.py", "a.py")),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"title": "A", "modules": ["a.py"],}', r"assignment\.json:1: not valid JSON"),
        ('["a.py"]', "must be a JSON object"),
        ({"modules": ["a.py"]}, "missing key"),
        ({"title": "A", "modules": ["a.py"], "tilte": "A"}, "unknown key"),
        ({"title": "", "modules": ["a.py"]}, "title must be a non-empty string"),
        ({"title": "A", "modules": "a.py"}, "modules must be a non-empty list"),
        ({"title": "A", "modules": []}, "modules must be a non-empty list"),
        ({"title": "A", "modules": ["a"]}, "'a' is not a module file name"),
        ({"title": "A", "modules": ["a.py", "b.py"]}, r"lists b\.py, but .* does not exist"),
        ({"title": "A", "modules": ["a.py", "a.py"]}, "listed twice"),
    ],
)
def test_a_malformed_entry_is_a_configuration_error_naming_the_file(tmp_path: Path, data, message):
    path = entry(tmp_path, "hw1_a", data)
    with pytest.raises(ConfigurationError, match=message) as raised:
        load_registry(tmp_path)
    assert str(path) in raised.value.message


def test_a_folder_name_that_is_not_a_package_name_is_refused(tmp_path: Path):
    path = entry(tmp_path, "hw-1", {"title": "A", "modules": ["a.py"]})
    with pytest.raises(ConfigurationError, match="'hw-1' is not a Python identifier") as raised:
        load_registry(tmp_path)
    assert str(path) in raised.value.message


def test_an_unknown_assignment_lists_the_known_ones():
    with pytest.raises(ConfigurationError, match="unknown assignment 'hw9'; known assignments: hw1_"):
        get_assignment("hw9")
