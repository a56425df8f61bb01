"""The `autograder` command: build the student release, grade submissions."""

import argparse
import collections
import importlib.metadata
import os
import sqlite3
import sys
from pathlib import Path

from autograder import assignment as assignments
from autograder import checks, container, feedback, grade, gradescope, intake, landlock, lms, precheck, release, report, roster
from autograder import scaffold, stale, validation
from autograder.gradebook import Gradebook, write_result_files
from autograder.results import SubmissionResult
from autograder.sandbox import Limits, isolation_level

SALT_VARIABLE = "BACKPROP_SALT"


def build(args):
    try:
        assignment = assignments.load(args.folder or args.assignment)
        validation.validate(assignment)  # nothing is written for an assignment whose hidden tests do not hold
        paths = release.build(assignment, dist=not args.release_only)
        if not args.release_only:
            paths += gradescope.build(assignment, release.dist_folder(assignment) / "gradescope")
    except (release.otter.AssignError, ValueError) as error:  # AssignmentError, ValidationError, a bad template
        return fail(str(error))
    for path in paths:
        print(f"wrote {path.relative_to(release.ROOT) if path.is_relative_to(release.ROOT) else path}")
    return 0


def new_command(args):
    try:
        paths = scaffold.new(args.folder, args.name)
    except (FileExistsError, OSError) as error:
        return fail(str(error))
    for path in paths:
        print(f"wrote {path}")
    print(f"next: autograder build {args.folder}, then autograder grade PATH... --assignment {args.folder} --out OUT")
    return 0


def grade_command(args):
    try:
        assignment = assignments.load(args.assignment)
        students = roster.read(args.roster) if args.roster else None
    except ValueError as error:
        return fail(str(error))
    limits = Limits(call_seconds=args.timeout)
    pool = grade.start_pool(assignment, args.jobs, limits)  # ready by the time the intake has read the class
    try:
        return _grade_with(args, assignment, students, limits, pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # (its processes may still be starting: they end cleanly)


def _grade_with(args, assignment, students, limits, pool):
    try:
        found = intake.discover(args.paths, Path(args.out) / STAGING, args.out)
    except ValueError as error:
        return fail(str(error))
    except OSError as error:  # the staging folder, under --out
        return fail(f"cannot use {args.out} as the output folder: {error.strerror}")
    if not found.submissions:
        return fail(f"{', '.join(map(str, args.paths))} holds no .ipynb, .py or zip submission")
    try:
        book = Gradebook(args.out, args.salt, assignment, grading_settings(args))
    except (OSError, sqlite3.Error) as error:
        return fail(f"cannot use {args.out} as the output folder: {getattr(error, 'strerror', None) or error}")
    intake.write_intake_csv(Path(args.out) / "intake.csv", found.rows)
    if students is not None:
        book.set_roster(students)
    book.remember(found.submissions)
    book.start_run(f.name for f in found.submissions)
    count, tally = len(found.submissions), intake_tally(found)
    pending, origins, reused = sort_out(found.submissions, book, assignment, args)
    del found  # the intake's records of every file: the gradebook and intake.csv hold them now
    print(f"grading {len(pending)} submission(s) with {args.jobs} job(s), isolation: {isolation_level()}"
          + (f"; {reused} unchanged since their last grading kept (--regrade to grade them again)" if reused else ""),
          file=sys.stderr)
    if not args.salt:
        print(f"warning: no --salt (or ${SALT_VARIABLE}): anyone with the grader's source can recompute the hidden inputs",
              file=sys.stderr)
    if isolation_level() in ("container", "rlimits") and not landlock.abi():
        print(f"warning: this kernel has no Landlock (Linux 5.13 or later): at the {isolation_level()} level the students' "
              "code sees the machine's file system (README, \"Isolation levels\")", file=sys.stderr)
    graded = 0

    def on_result(result):
        nonlocal graded
        result.path = origins.get(result.submission, result.path)  # a zip member's place, not its extracted copy
        book.record(result)
        graded += 1
        grade.progress(graded, len(pending), result.submission)

    try:
        grade.grade_all(assignment, pending, args.salt, on_result, args.jobs, limits, args.budget, args.out, book.latest_score,
                        args.self_checks, pool)
    except container.NotProtected as error:
        book.close()
        return fail(f"not grading: {error}")
    book.write_csv()
    removed = stale.remove_stale_files(args.out, assignment.name, book.submission_names())
    summary = feedback.summary_table(book.run_rows(), count,
                                     {q.function: q.label for q in assignment.questions})
    missing = sum(row.status == "missing" for row in book.class_rows())
    book.close()
    print(summary)
    print("\n" + intake_summary(tally, missing))
    print(f"\nwrote {Path(args.out) / 'grades.csv'}, intake.csv, results/, feedback/ and gradebook.sqlite"
          + (f"; removed {removed} file(s) of results/ and feedback/ that were no submission's of the gradebook "
             "(names an older version gave)" if removed else ""))
    return 0


def grading_settings(args):
    """The options of `grade` that change a result, for the key of a kept one: a submission that
    timed out under --timeout 3 is graded again under --timeout 10, and --self-checks adds their output."""
    return f"timeout={args.timeout!r} budget={args.budget!r} self-checks={bool(args.self_checks)}"


STAGING = ".intake"  # zip members, extracted for grading
SKIPPED_LISTED = 20


def sort_out(submissions, book, assignment, args):
    """Record at once the submissions with nothing to grade, keep those unchanged since their
    last grading (unless --regrade); returns the (name, path) to grade, {name: the place shown}
    of those whose file is not where it was handed in (a zip member's extracted copy), and the
    count kept."""
    pending, origins, reused = [], {}, 0
    for submission in submissions:
        if submission.status:  # nothing to grade: a result that says why, at once
            record_intake_result(book, args.out, intake_result(assignment, submission))
            continue
        kept = None if args.regrade else book.unchanged(submission.name, intake.file_digest(submission.path))
        if kept is None:
            pending.append((submission.name, submission.path))
            if intake.shown(submission.path) != submission.where:
                origins[submission.name] = submission.where
            continue
        if book.files_missing(kept):  # a run killed between the gradebook and the files
            write_result_files(args.out, kept, book.score_before_latest(submission.name))
        reused += 1
    return pending, origins, reused


def intake_result(assignment, submission):
    """The result of a submission with nothing to grade (no notebook, several, a name collision)."""
    result = SubmissionResult(submission.name, submission.where, "", isolation_level(), status=submission.status,
                              notes=[submission.reason], assignment=assignment.name)
    result.questions = [checks.not_graded(q, "error", f"not graded: {submission.reason}") for q in assignment.questions]
    return result


def record_intake_result(book, out, result):
    """Record it, unless the latest grading already says the same."""
    kept = book.unchanged(result.submission, result.digest)
    if kept is None or (kept.status, kept.notes) != (result.status, result.notes):
        book.record(result)
    write_result_files(out, result, book.score_before_latest(result.submission))


def intake_tally(found):
    """What the end of the run says of the intake: (files graded, superseded, skipped, the lines
    naming the submissions not graded and the files skipped, the first few of each)."""
    decisions = collections.Counter(row.decision for row in found.rows)
    listed = _listed([f"not graded {intake.cut(f.name)}: {f.status}" for f in found.submissions if f.status], "grades.csv")
    listed += _listed([f"skipped {intake.cut(row.path)}: {intake.cut(row.reason)}" for row in found.rows if row.decision == "skipped"], "intake.csv")
    return decisions["graded"], decisions["superseded"], decisions["skipped"], listed


def intake_summary(tally, missing):
    """Counts of what was graded, skipped and missing, and the skipped files (the first few)."""
    graded, superseded, skipped, listed = tally
    return "\n".join([f"files: {graded} graded, {superseded} superseded, {skipped} skipped; "
                      f"{missing} missing (on the roster, no submission)", *listed])


def _listed(lines, where):
    more = [f"  ... and {len(lines) - SKIPPED_LISTED} more ({where} lists them all)"] if len(lines) > SKIPPED_LISTED else []
    return [f"  {line}" for line in lines[:SKIPPED_LISTED]] + more


def export_command(args):
    try:
        path, written, left_out, several = lms.export(args.dir, args.format, args.column, args.output,
                                                      assignments.load(args.assignment))
    except (FileNotFoundError, assignments.AssignmentError) as error:
        return fail(str(error))
    except (sqlite3.DatabaseError, OSError) as error:
        return fail(f"cannot export {args.dir}: {error}")
    print(f"wrote {path}: {written} student(s)"
          + (f"; {left_out} left out (no roster row and no id, email or username the LMS could match)" if left_out else ""))
    if several:
        print(f"{len(several)} student(s) matched by several submissions, left without a grade (grades.csv lists each; "
              "enter the one that counts in the LMS by hand):")
        print("\n".join(f"  {intake.cut(line)}" for line in several[:SKIPPED_LISTED])
              + (f"\n  ... and {len(several) - SKIPPED_LISTED} more" if len(several) > SKIPPED_LISTED else ""))
    return 0


def report_command(args):
    try:
        paths = report.write_report(args.dir)
    except FileNotFoundError as error:
        return fail(str(error))
    except (sqlite3.DatabaseError, OSError) as error:
        return fail(f"cannot write the report for {args.dir}: {error}")
    for path in paths:
        print(f"wrote {path}")
    return 0


def check_command(args):
    if not Path(args.notebook).is_file():
        return fail(f"{args.notebook} is not a file")
    try:
        assignment = assignments.load(args.assignment)
    except assignments.AssignmentError as error:
        return fail(str(error))
    return precheck.check(assignment, args.notebook, Limits(call_seconds=args.timeout))


def fail(reason):
    print(f"autograder: {reason}", file=sys.stderr)
    return 2


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def parser():
    top = argparse.ArgumentParser(prog="autograder", description="Build an assignment's student release and grade submissions.")
    top.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version('backprop-lab')}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    building = commands.add_parser(
        "build",
        help="generate an assignment's release, its example submissions and the otter and Gradescope zips in dist/",
        description="Generate the student release of the assignment in DIR (default: pyproject.toml's "
        "default-assignment): its notebook, gradcheck.py, given.py, self_checks.py, public_checks.py and "
        "grading_cells.py in the folder its manifest names, and its example submissions, from its template, "
        "reference and specs; then write otter-assign's master notebook to dist/otter/master/, run `otter "
        "assign` on it (dist/otter/student/, dist/otter/autograder/ and otter's zip dist/otter/NAME-otter-"
        "autograder.zip) and write Gradescope's zip of the native grader, dist/gradescope/autograder.zip, with its salt ($BACKPROP_SALT, "
        "else a new random one) in dist/gradescope/salt.txt. Exits 2 when otter assign fails (for one, when "
        "the reference does not pass its own tests). Another assignment than the default writes its own DIR/dist/.",
    )
    creating = commands.add_parser(
        "new",
        help="make the skeleton of a new assignment in DIR",
        description="Write DIR/assignment.toml, reference.py (one function between solution markers), questions.py "
        "(its spec: two cases, one known mistake), self_checks.py and template.md: an assignment that builds and "
        "grades as it is, for you to edit.",
    )
    creating.add_argument("folder", metavar="DIR")
    creating.add_argument("--name", help="the assignment's name (default: DIR's name)")
    creating.set_defaults(run=new_command)
    building.add_argument("folder", nargs="?", metavar="DIR", help="the assignment's folder (with assignment.toml)")
    building.add_argument("--release-only", action="store_true",
                          help="only regenerate assignment/ and examples/submissions/ (no dist/, no otter assign)")
    add_assignment(building)
    building.set_defaults(run=build)
    grading = commands.add_parser(
        "grade",
        help="grade submissions into a gradebook",
        description="Grade each submission in its own sandboxed worker. PATH is a notebook, .py file or zip, or a "
        "folder (a plain one or an LMS download: Canvas, Moodle, Blackboard, Brightspace, Gradescope): each .ipynb/.py in it is a submission "
        "named after the file or the LMS's student, each sub-folder or zip holding one notebook, however deep, is a "
        "submission named after it. Writes DIR/intake.csv (every file seen and what became of it), DIR/grades.csv, DIR/results/NAME.json (Gradescope's schema), "
        "DIR/feedback/NAME.md and DIR/gradebook.sqlite (`autograder report DIR` adds report.html and feedback/NAME.html). A submission graded before from the same file, salt and "
        "tests keeps its result unless --regrade. Exits 0 when everything was graded, whatever the scores.",
    )
    grading.add_argument("paths", nargs="+", metavar="PATH")
    grading.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    grading.add_argument("--jobs", type=positive(int), default=grade.default_jobs(), metavar="N",
                         help="submissions graded at once (default: the number of cores, %(default)s here); "
                              "with one job per core or more, each grading process keeps to one core")
    grading.add_argument("--timeout", type=positive(float), default=10.0, metavar="SECONDS",
                         help="time limit for one cell or one graded call (default: %(default)s)")
    grading.add_argument("--budget", type=positive(float), default=120.0, metavar="SECONDS",
                         help="time limit for a whole submission (default: %(default)s)")
    grading.add_argument("--salt", default=os.environ.get(SALT_VARIABLE, ""), metavar="SECRET",
                         help=f"secret mixed into each student's hidden inputs (default: ${SALT_VARIABLE}, else empty)")
    grading.add_argument("--regrade", action="store_true", help="grade again submissions that are unchanged since their last grading")
    grading.add_argument("--self-checks", action="store_true",
                         help="also run the notebook's public self-checks and show their output in results/NAME.json "
                         "(visible tests of 0 points, as on Gradescope)")
    grading.add_argument("--roster", metavar="CSV",
                         help="the class: a CSV with a header, `id` or `login` required, `name`, `email` optional (Canvas's "
                         "gradebook export, Moodle's grading worksheet, Blackboard's Grade Center download and "
                         "Brightspace's grades export work as they are); kept in DIR for "
                         "later runs and exports")
    add_assignment(grading)
    grading.set_defaults(run=grade_command)
    exporting = commands.add_parser(
        "export",
        help="write the totals of DIR as a CSV that Canvas, Moodle or Blackboard imports",
        description="Write DIR/export-FORMAT.csv from DIR/gradebook.sqlite and its roster: canvas (Canvas's gradebook "
        "import: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment), moodle (Email address, ID "
        "number, Full name, then the grade), blackboard (Grade Center upload: Last Name, First Name, Username, Student ID, "
        "then the grade) or csv (id, name, email, submission, status, total, max_total). A "
        "student without a submission gets an empty grade.",
    )
    exporting.add_argument("dir", metavar="DIR", help="an output folder of `autograder grade --out DIR`")
    exporting.add_argument("--format", required=True, choices=lms.FORMATS)
    add_assignment(exporting)
    exporting.add_argument("--column", default=None, metavar="NAME",
                           help="the grade column's header (Canvas: `NAME (ASSIGNMENT ID)` for an existing "
                           "assignment; default: the assignment's title)")
    exporting.add_argument("--output", metavar="FILE", help="where to write it (default: DIR/export-FORMAT.csv)")
    exporting.set_defaults(run=export_command)
    checking = commands.add_parser(
        "check",
        help="say what the grader will see in a notebook, before submitting it",
        description="Read and run NOTEBOOK (.ipynb or .py) exactly as `grade` does (the same loading, given cells, "
        "limits and sandbox), then its public self-checks, and print what the grader will see: the size of the "
        "code, the cells skipped, edited or failing and why, the functions found, the self-checks' results. "
        "No hidden test runs. Exits 0 when the notebook will grade (readable, with each of the assignment's functions "
        "defined in a cell that loaded), 1 when it will not, 2 when it cannot run.",
    )
    checking.add_argument("notebook", metavar="NOTEBOOK")
    checking.add_argument("--timeout", type=positive(float), default=10.0, metavar="SECONDS",
                          help="time limit for one cell (default: %(default)s, as for grade)")
    add_assignment(checking)
    checking.set_defaults(run=check_command)
    reporting = commands.add_parser(
        "report",
        help="write the class report DIR/report.html from DIR/gradebook.sqlite",
        description="Write DIR/report.html, one self-contained page (plots embedded, no scripts): summary, "
        "distribution of totals, per-question means and standard deviations, the most frequent diagnosed mistakes, "
        "crashes and time-outs, regrades whose score changed, and every submission with a link to "
        "feedback/NAME.html. Uses the latest grading of each submission in DIR/gradebook.sqlite.",
    )
    reporting.add_argument("dir", metavar="DIR", help="an output folder of `autograder grade --out DIR`")
    reporting.set_defaults(run=report_command)
    return top


def add_assignment(command):
    command.add_argument("--assignment", metavar="DIR", default=None,
                         help="the assignment's folder, with its assignment.toml (default: pyproject.toml's default-assignment)")


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
