"""The `grader` command line: thin click commands over the library; errors become one readable sentence."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from grader import __version__
from grader.classroom.executors import DEFAULT_WORKERS
from grader.errors import ConfigurationError, GraderError, SubmissionError
from grader.grading.config import DEFAULTS, ISOLATIONS, GradeConfig
from grader.results.verdicts import VISIBILITIES

if TYPE_CHECKING:
    from grader.results.record import Row

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def translate_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a GraderError as its message and hint, and exit with its status; no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GraderError as exc:
            err_console.print(f"[bold red]error:[/bold red] {exc.message}", soft_wrap=True)
            if exc.hint:
                err_console.print(f"[bold]hint:[/bold] {exc.hint}", soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper


# ---------------------------------------------------------------- options several commands share
# Each declared once. Their defaults are the library's: GradeConfig's (grader.grading.config.DEFAULTS) for how
# to grade, executors.DEFAULT_WORKERS for where; a command changes one only with a reason beside it.

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _shared_option(*decls: str, **attrs: Any) -> Callable[..., Decorator]:
    """An option declared alike by several commands: call it for its decorator, with any `changes`."""

    def option(**changes: Any) -> Decorator:
        return click.option(*decls, **{**attrs, **changes})

    return option


seed_option = _shared_option(
    "--seed",
    type=int,
    default=DEFAULTS.seed,
    show_default=True,
    help="Seed of every random choice in grading.",
)
device_option = _shared_option(
    "--device",
    default=DEFAULTS.device,
    show_default=True,
    help="Where the student's code runs: cpu, cuda or cuda:N (the tensors the grader passes in, and the "
    "models student code returns, are moved there); the reference and the checks run on the CPU.",
)
timeout_option = _shared_option(
    "--timeout",
    type=float,
    default=DEFAULTS.timeout,
    show_default=True,
    help="Seconds per call into student code.",
)
budget_option = _shared_option(
    "--budget",
    type=float,
    default=DEFAULTS.budget,
    show_default=True,
    help="Seconds of grading per submission; tests not reached by then are recorded as not run.",
)
isolation_option = _shared_option(
    "--isolation",
    type=click.Choice(ISOLATIONS),
    default=DEFAULTS.isolation,
    show_default=True,
    help="best: namespaces where bubblewrap works here, else a plain process (every report says so); "
    "strict: refuse to grade without namespaces; process: never use them.",
)
visibility_option = _shared_option(
    "--visibility",
    type=click.Choice(VISIBILITIES),
    default=DEFAULTS.visibility,
    show_default=True,
    help="Gradescope visibility of tests that do not set their own.",
)
run_as_option = _shared_option(
    "--run-as",
    metavar="USER",
    default=DEFAULTS.run_as,
    help="Run student code as this unprivileged user (the grader must be root), e.g. nobody.",
)
workers_option = _shared_option(
    "--workers",
    type=int,
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Local grading processes (with --scheduler, the cluster's workers grade instead).",
)
scheduler_option = _shared_option(
    "--scheduler",
    metavar="ADDRESS",
    help="Grade on this Dask scheduler (tcp://host:8786) instead of locally.",
)

# The options that fill a GradeConfig, by field name (click names each option's parameter alike).
GRADE_CONFIG_OPTIONS = {
    "seed": seed_option,
    "device": device_option,
    "timeout": timeout_option,
    "budget": budget_option,
    "isolation": isolation_option,
    "visibility": visibility_option,
    "run_as": run_as_option,
}


def grade_config_options(*fields: str) -> Decorator:
    """Declare the options of these GradeConfig `fields`, in this order, and pass the command `config`, the
    GradeConfig they make (the fields not declared keep their defaults)."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            config = GradeConfig(**{field: kwargs.pop(field) for field in fields})
            return command(*args, config=config, **kwargs)

        for field in reversed(fields):  # click lists the last option applied first
            wrapper = GRADE_CONFIG_OPTIONS[field]()(wrapper)
        return wrapper

    return decorate


similarity_threshold_option = click.option(
    "--similarity-threshold",
    "threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.5,
    show_default=True,
    help="List a pair when this share (0-1) of one student's own code (stubs and docstrings aside) is also "
    "in the other's.",
)


def _print_similarity(result: Any, out_dir: Path) -> None:
    counts = ", ".join(f"{a}: {n} students" for a, n in result.students.items()) or "no code to compare"
    console.print(
        f"similarity: {len(result.pairs)} similar pairs of {result.compared} compared ({counts}); "
        f"fingerprints {result.fingerprint_seconds:.1f} s, pairs {result.compare_seconds:.1f} s; "
        f"{out_dir}/similarity.csv, {out_dir}/similarity.html"
    )
    for student, why in result.skipped:
        err_console.print(f"[bold yellow]not compared:[/bold yellow] {student}: {why}", soft_wrap=True)


@click.group()
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade submissions for the attention / transformer / tokenization / RL-agents course."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--assignment", help="Grade as this assignment instead of detecting it.")
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path), help="Write Gradescope's results.json here."
)
@grade_config_options("seed", "device", "timeout", "budget", "isolation", "visibility", "run_as")
@click.option(
    "--html", "html_path", type=click.Path(path_type=Path), help="Write the HTML feedback page here."
)
@click.option("-k", "select", help="Only run hidden tests matching this pytest -k expression.")
@click.option("-v", "--verbose", is_flag=True, help="Show full messages and the student's output.")
@translate_errors
def run(
    path: Path,
    assignment: str | None,
    json_path: Path | None,
    config: GradeConfig,
    html_path: Path | None,
    select: str | None,
    verbose: bool,
) -> None:
    """Grade the submission at PATH (a folder, a module or a notebook)."""
    from rich.text import Text

    from grader.grading.runner import grade
    from grader.results.feedback import feedback_page
    from grader.results.record import rows_from_json
    from grader.results.report import (
        gradescope_error,
        gradescope_results,
        instructor_details,
        instructor_path,
        render_table,
        write_json_atomic,
        write_text_atomic,
    )

    with console.status("starting") as status:

        def progress(name: str, done: int, total: int, result: Any) -> None:
            status.update(f"{name}: {done}/{total} tests  (last: {result.title} {result.verdict.value})")

        try:
            results = grade(path, config=config, assignment=assignment, progress=progress, select=select)
        except SubmissionError as exc:
            failed = gradescope_error(exc.message, exc.hint)  # still a result that says what to fix
            if json_path is not None:
                write_json_atomic(json_path, failed)
            if html_path is not None:
                write_text_atomic(html_path, feedback_page(rows_from_json(failed)))
            raise
    for result in results:
        render_table(result, console, verbose=verbose)
    report = gradescope_results(results)
    details = instructor_details(results)
    for test, detail in details.items():  # on Gradescope, stdout is the instructor's, not the student's
        err_console.print(Text(f"internal error in {test} (instructor only):\n{detail}"), soft_wrap=True)
    if json_path is not None:
        write_json_atomic(json_path, report)
        console.print(f"results written to {json_path}")
        if details:
            write_json_atomic(instructor_path(json_path), {"details": details})
            console.print(f"instructor-only details written to {instructor_path(json_path)}")
    if html_path is not None:
        write_text_atomic(html_path, feedback_page(rows_from_json(report)))
        console.print(f"feedback page written to {html_path}")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Results folder.")
@workers_option()
@scheduler_option()
@click.option("--assignment", help="Grade every submission as this assignment instead of detecting it.")
@grade_config_options("seed", "timeout", "budget", "isolation", "run_as")
@click.option(
    "--nbgrader-db",
    metavar="URL",
    help="Also write the scores into this nbgrader gradebook (e.g. sqlite:///course/gradebook.db).",
)
@click.option(
    "--nbgrader-assignment",
    metavar="NAME",
    help="With --assignment: the nbgrader assignment to write it into (default: the same name).",
)
@click.option(
    "--similarity",
    is_flag=True,
    help="Also compare every pair of submissions per assignment (needs the similarity extra): "
    "similarity.csv, a side-by-side page per similar pair, and their list in summary.html.",
)
@similarity_threshold_option
@translate_errors
def batch(
    folder: Path,
    out_dir: Path,
    workers: int,
    scheduler: str | None,
    assignment: str | None,
    config: GradeConfig,
    nbgrader_db: str | None,
    nbgrader_assignment: str | None,
    similarity: bool,
    threshold: float,
) -> None:
    """Grade a class: every submission in FOLDER (one folder or notebook per student, or nbgrader's
    submitted/<student>/<assignment>/); results.json per student, feedback.html per student and assignment,
    gradebook.csv (a line per student and assignment) and summary.html in --out."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from rich.text import Text

    from grader.classroom.batch import find_submissions, grade_batch
    from grader.grading.sandbox import choose_level
    from grader.results.report import format_points

    if nbgrader_assignment and not assignment:
        raise ConfigurationError(
            "--nbgrader-assignment names where one assignment goes; say which with --assignment",
            hint="without them, each assignment goes into the nbgrader assignment of the same name",
        )
    submissions = find_submissions(folder, assignment=assignment)
    config.limits()  # an unknown --run-as user is a configuration error before any grading
    compare = None
    if similarity:
        from grader.classroom.similarity import SimilarityConfig, check_available

        compare = SimilarityConfig(threshold=threshold)
        check_available()  # a missing extra is a configuration error before any grading
    if nbgrader_db:
        from grader.assignments import ASSIGNMENTS
        from grader.classroom.nbgrader_gradebook import check_gradebook

        targets = [nbgrader_assignment or assignment] if assignment else list(ASSIGNMENTS)
        check_gradebook(nbgrader_db, targets)
    if config.isolation == "strict" and scheduler is None:
        choose_level(config.isolation)  # no namespaces here: one isolation error now, not one per student
    columns = (
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=sum(1 for _, path in submissions if path is not None))

        def progress(done: int, total: int, rows: list[Row]) -> None:
            last = f"last: {rows[0].student} {format_points(sum(row.score for row in rows))}"
            bar.update(task, completed=done, description=last)

        summary = grade_batch(
            submissions,
            config=config,
            out_dir=out_dir,
            workers=workers,
            scheduler=scheduler,
            assignment=assignment,
            progress=progress,
            similarity=compare,
        )
    table = Table(title="batch", title_justify="left")
    table.add_column("student", overflow="fold")
    table.add_column("assignment", overflow="fold")
    table.add_column("score", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("status", overflow="fold")
    skipped = set(summary.skipped_students)
    for row in summary.rows:
        status = row.error or row.status.value
        table.add_row(
            Text(row.student),
            Text(row.assignment),
            f"{format_points(row.score)}/{format_points(row.max_score)}" if row.graded else "",
            f"{row.seconds:.1f}",
            Text(status + (" (unchanged, skipped)" if row.student in skipped else "")),
        )
    console.print(table)
    counts = f"{summary.graded} graded, {summary.errors} could not be graded"
    if summary.missing:
        counts += f", {summary.missing} without a submission"
    if summary.skipped:
        counts += f" ({summary.skipped} students unchanged since the last run, not graded again)"
    console.print(
        f"{counts}; {summary.wall_seconds:.1f} s; gradebook: {summary.gradebook}; "
        f"class summary: {summary.summary_page}; feedback: {out_dir}/<student>/<assignment>/feedback.html; "
        f"for Canvas and Gradescope: {out_dir}/canvas.csv, {out_dir}/gradescope.csv"
    )
    if summary.similarity is not None:
        _print_similarity(summary.similarity, out_dir)
    if nbgrader_db:
        from grader.classroom.nbgrader_gradebook import export_to_nbgrader_gradebook

        rename = {assignment: nbgrader_assignment} if assignment and nbgrader_assignment else None
        written = export_to_nbgrader_gradebook(summary.rows, nbgrader_db, rename=rename)
        for target, students in written.items():
            console.print(
                f"{len(students)} students' scores written to nbgrader assignment {target} in {nbgrader_db}"
            )
    if summary.rows and summary.graded == 0:
        reasons = sorted({row.error for row in summary.rows})
        raise GraderError(
            f"no submission could be graded; {reasons[0]}"
            + (f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else ""),
            hint="the gradebook lists each student's error",
        )


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Results folder.")
@click.option("--assignment", help="Compare every submission as this assignment instead of detecting it.")
@similarity_threshold_option
@translate_errors
def similarity(folder: Path, out_dir: Path, assignment: str | None, threshold: float) -> None:
    """Compare every pair of submissions in FOLDER per assignment (graded or not): similarity.csv,
    similarity.html and a side-by-side page per similar pair in --out; when --out holds a graded batch
    of FOLDER, its summary.html lists the pairs too."""
    from grader.classroom.batch import GRADEBOOK_NAME, find_submissions, rebuild_summary
    from grader.classroom.similarity import (
        SimilarityConfig,
        compare_submissions,
        summary_section,
        write_similarity,
    )

    submissions = find_submissions(folder, assignment=assignment)
    result = compare_submissions(
        submissions, assignment=assignment, config=SimilarityConfig(threshold=threshold)
    )
    write_similarity(result, out_dir)
    if (out_dir / GRADEBOOK_NAME).is_file():
        page = rebuild_summary(submissions, out_dir, assignment, [summary_section(result)])
        console.print(f"class summary updated: {page}")
    _print_similarity(result, out_dir)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@translate_errors
def check(path: Path) -> None:
    """Run the public tests of the assignment in PATH (default: this folder)."""
    from grader.release.check import run_public_tests

    sys.exit(run_public_tests(path))


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("assignments"),
    show_default=True,
    help="Folder to write the release into (or, with --check, to compare with it).",
)
@click.option("--check", "only_check", is_flag=True, help="Only report whether the release is stale.")
@translate_errors
def release(out: Path, only_check: bool) -> None:
    """Generate the student release (stubs, handouts, public tests) from solutions/."""
    from grader.release.build import build_release, stale_files

    if only_check:
        stale = stale_files(out)
        for name in stale:
            console.print(f"stale: {name}")
        if stale:
            console.print("run `grader release` to regenerate the student release")
            sys.exit(1)
        console.print("the student release is up to date")
        return
    for folder in build_release(out):
        console.print(f"wrote {folder}")


@main.command()
@click.argument("assignment")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Mutants, results and audit.json.",
)
@click.option(
    "--max", "max_mutants", type=int, default=60, show_default=True, help="Mutants to grade (a sample)."
)
@seed_option(help="Seed of the sample and of the grading.")
@workers_option()
@scheduler_option()
@translate_errors
def audit(
    assignment: str, out_dir: Path, max_mutants: int, seed: int, workers: int, scheduler: str | None
) -> None:
    """Mutation testing of ASSIGNMENT's hidden suite: grade small changes of the reference and report which
    the suite misses (each survivor as a diff) and what each test caught. Re-running resumes."""
    from rich.text import Text

    from grader.authoring.audit import audit as run_audit
    from grader.authoring.audit import report_text

    if max_mutants < 1:
        raise ConfigurationError(f"--max must be at least 1, not {max_mutants}")

    def progress(done: int, total: int, rows: list[Row]) -> None:
        caught = sum(row.score for row in rows) < 100
        console.print(f"  [{done}/{total}] {rows[0].student}: {'caught' if caught else 'survived'}")

    report = run_audit(
        assignment, out_dir, max_mutants=max_mutants, seed=seed, workers=workers, scheduler=scheduler,
        progress=progress,
    )  # fmt: skip
    console.print(Text(report_text(report)))
    console.print(f"report: {out_dir / 'audit.json'}; survivors: {out_dir / 'survivors.diff'}")


@main.command()
@click.argument("name")
@click.option("--title", help="The assignment's title (default: NAME in words, e.g. 'Hw5 retrieval').")
@translate_errors
def new(name: str, title: str | None) -> None:
    """Scaffold assignment NAME: a reference, handout, public and hidden tests, a catalogue, a notebook
    template and its registry entry, which release, grade and validate at once."""
    from grader.authoring.new import new_assignment, next_steps

    for path in new_assignment(name, title=title or name.replace("_", " ").capitalize()):
        console.print(f"wrote {path}", soft_wrap=True)
    console.print("next:")
    for step in next_steps(name):
        console.print(f"  {step}", soft_wrap=True)


@main.command()
@click.argument("name")
@click.option(
    "--seed",
    "seeds",
    type=int,
    multiple=True,
    help="Grade the reference and the variants at this seed (repeatable; default: 0, 1 and 2024).",
)
@workers_option(help="Local grading processes.")
@translate_errors
def validate(name: str, seeds: tuple[int, ...], workers: int) -> None:
    """Check that NAME's hidden suite is valid: reference 100, stub 0, each catalogue variant loses exactly
    the tests it declares, each alternative 100. Exits 1 when a check fails."""
    from rich.text import Text

    from grader.authoring.validate import DEFAULT_SEEDS
    from grader.authoring.validate import validate as run_validate

    def progress(finding: Any) -> None:
        mark = "[green]ok[/green]  " if finding.passed else "[bold red]FAIL[/bold red]"
        console.print(f"{mark} ", Text(finding.check), soft_wrap=True)
        if not finding.passed and finding.detail:
            console.print(Text("      " + finding.detail.replace("\n", "\n      ")), soft_wrap=True)

    report = run_validate(name, seeds=seeds or DEFAULT_SEEDS, workers=workers, progress=progress)
    failed = len(report.failures)
    console.print(f"{name}: {len(report.findings) - failed} of {len(report.findings)} checks hold")
    if failed:
        sys.exit(1)


@main.command("nbgrader-source")
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--assignment",
    "names",
    multiple=True,
    help="Only this assignment (repeatable); default: every assignment with a notebook template.",
)
@click.option(
    "--course-id", default="course", show_default=True, help="nbgrader's course id (new config only)."
)
@click.option(
    "--nbgrader-points",
    is_flag=True,
    help="Give the notebook's test cells the template's points, for a course graded by nbgrader's autograde "
    "alone (default: 0 points; the grade is `grader batch --nbgrader-db`'s).",
)
@translate_errors
def nbgrader_source(course_dir: Path, names: tuple[str, ...], course_id: str, nbgrader_points: bool) -> None:
    """Build nbgrader's source/<assignment>/ in COURSE_DIR from templates/ and solutions/."""
    from grader.release.nbgrader_source import build_course, config_advice

    written = build_course(course_dir, list(names) or None, course_id=course_id, check_points=nbgrader_points)
    for path in written:
        console.print(f"wrote {path}")
    for advice in config_advice(course_dir):
        err_console.print(f"[bold yellow]warning:[/bold yellow] {advice}", soft_wrap=True)
    first = written[0].parent.name if written else "NAME"
    console.print(f"next: cd {course_dir} && nbgrader generate_assignment {first}")


@main.command("export-gradescope")
@click.argument("assignment")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder to write <assignment>-gradescope.zip into.",
)
@visibility_option(
    help="When students see the hidden tests' results (after_due_date keeps them until the deadline)."
)
@isolation_option(
    type=click.Choice(["strict", "best"]),  # no "process": on Gradescope, namespaces when they work
    help="strict refuses to grade where bubblewrap cannot isolate student code.",
)
@run_as_option(
    default="nobody",  # Gradescope runs the autograder as root: student code never should
    show_default=True,
    help="The unprivileged user student code runs as on Gradescope ('' keeps root).",
)
@seed_option(help="Seed of every random choice in grading, the same for every student.")
@click.option(
    "--gradescope-timeout",
    type=int,
    default=600,
    show_default=True,
    help="The autograder timeout set on Gradescope (seconds); the grading budget stays well below it.",
)
@translate_errors
def export_gradescope(
    assignment: str,
    out: Path,
    visibility: str,
    isolation: str,
    run_as: str,
    seed: int,
    gradescope_timeout: int,
) -> None:
    """Build a Gradescope autograder zip for ASSIGNMENT."""
    from grader.classroom.gradescope import build_autograder

    if isolation == "strict":
        err_console.print(
            "[bold yellow]warning:[/bold yellow] --isolation strict refuses to grade where the container "
            "forbids user namespaces (Docker's default seccomp profile does, and Gradescope's images may): "
            "every student would get 0 with an isolation error. Try one submission before the class uploads.",
            soft_wrap=True,
        )

    path = build_autograder(
        assignment,
        out,
        visibility=visibility,
        isolation=isolation,
        seed=seed,
        run_as=run_as or None,
        gradescope_timeout=gradescope_timeout,
    )
    console.print(f"wrote {path}")


@main.command()
@translate_errors
def doctor() -> None:
    """Print the isolation level, the limits in force and the devices on this machine."""
    from grader.grading.doctor import diagnose

    for label, value in diagnose():
        console.print(f"[bold]{label}:[/bold] {value}")


@main.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path("build/samples"),
    show_default=True,
    help="Folder to write the sample students' submissions into.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("build/demo"),
    show_default=True,
    help="Results folder: each student's results.json and feedback.html, gradebook.csv, summary.html.",
)
@workers_option(default=2, help="Local grading processes.")  # two: the pool at work, on any laptop
@seed_option()
@translate_errors
def demo(workdir: Path, out_dir: Path, workers: int, seed: int) -> None:
    """Grade the bundled sample submissions as a class and print their scores."""
    from rich.table import Table
    from rich.text import Text

    from grader.classroom.batch import grade_batch
    from grader.classroom.samples import sample_scores, write_samples
    from grader.results.report import format_points

    submissions = write_samples(workdir)
    console.print(
        f"grading {len(submissions)} sample students' submissions ({workdir}) with {workers} workers"
    )

    def progress(done: int, total: int, rows: list[Row]) -> None:
        score = format_points(sum(row.score for row in rows))
        out_of = format_points(sum(row.max_score for row in rows))
        console.print(f"  [{done}/{total}] {rows[0].student}: {score}/{out_of}")

    summary = grade_batch(
        submissions, config=GradeConfig(seed=seed), out_dir=out_dir, workers=workers, progress=progress
    )
    table = Table(title="sample submissions", title_justify="left")
    for column in ("student", "assignment", "score", "the first test that lost points said"):
        table.add_column(column, overflow="fold")
    for student, assignment, score, max_score, problem in sample_scores(summary.rows):
        table.add_row(
            Text(student), assignment, f"{format_points(score)}/{format_points(max_score)}", Text(problem)
        )
    console.print(table)
    console.print(
        f"{summary.wall_seconds:.0f} s. Feedback pages: {out_dir}/<student>/<assignment>/feedback.html; "
        f"class summary: {summary.summary_page}; gradebook: {summary.gradebook}"
    )


if __name__ == "__main__":
    main()
