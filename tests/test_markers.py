"""grader.markers: one scanner of solution and hidden-test regions, with errors at file:line."""

import pytest

from grader.errors import ConfigurationError
from grader.markers import HIDDEN_TESTS, SOLUTION, Region, has_solution, scan, solution_lines, stub_source

SOURCE = """def f(x):
    '''Doc.'''
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION


### BEGIN HIDDEN TESTS
assert f(1) == 2
### END HIDDEN TESTS
"""


def test_scan_returns_each_region_with_its_lines_and_indent():
    assert scan(SOURCE, "m.py") == [Region(SOLUTION, 3, 6, "    "), Region(HIDDEN_TESTS, 9, 11, "")]
    assert solution_lines(SOURCE) == {4, 5}
    assert has_solution(SOURCE) and not has_solution("x = 1\n")


def test_line_numbers_count_from_the_cell_offset():
    (region,) = scan("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS\n", "nb.ipynb", first_line=41)
    assert (region.begin, region.end) == (41, 43)


def test_stub_names_the_function_and_keeps_everything_outside_the_region():
    stub = stub_source(SOURCE, "m.py")
    assert 'raise NotImplementedError("f: write this part' in stub
    assert "y = x + 1" not in stub and "'''Doc.'''" in stub and "assert f(1) == 2" in stub


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n", r"m\.py:2: nested ### BEGIN HIDDEN TESTS"),
        ("### BEGIN HIDDEN TESTS\n### END SOLUTION\n", r"m\.py:2: ### END SOLUTION without"),
        ("x\n### BEGIN HIDDEN TESTS\n", r"m\.py:2: ### BEGIN HIDDEN TESTS is never closed"),
    ],
)
def test_malformed_markers_name_file_and_line(source, message):
    with pytest.raises(ConfigurationError, match=message):
        scan(source, "m.py")
