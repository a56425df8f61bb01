"""The `autograder` command: build the student release, grade submissions."""

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from autograder import container, feedback, grade, release, report, submissions
from autograder.gradebook import Gradebook, write_result_files
from autograder.sandbox import Limits, isolation_level

SALT_VARIABLE = "BACKPROP_SALT"


def build(args):
    try:
        paths = release.build(dist=not args.release_only)
    except release.otter.AssignError as error:
        return fail(str(error))
    for path in paths:
        print(f"wrote {path.relative_to(release.ROOT)}")
    return 0


def grade_command(args):
    try:
        found = submissions.discover(args.paths)
    except ValueError as error:
        return fail(str(error))
    try:
        book = Gradebook(args.out, args.salt)
    except (OSError, sqlite3.Error) as error:
        return fail(f"cannot use {args.out} as the output folder: {getattr(error, 'strerror', None) or error}")
    book.start_run(name for name, _ in found)
    reused, pending = 0, []
    for name, path in found:
        kept = None if args.regrade else book.unchanged(name, submissions.digest(path))
        if kept is None:
            pending.append((name, path))
            continue
        if book.files_missing(kept):  # a run killed between the gradebook and the files
            write_result_files(args.out, kept, book.score_before_latest(name))
        reused += 1
    print(f"grading {len(pending)} submission(s) with {args.jobs} job(s), isolation: {isolation_level()}"
          + (f"; {reused} unchanged since their last grading kept (--regrade to grade them again)" if reused else ""),
          file=sys.stderr)
    if not args.salt:
        print(f"warning: no --salt (or ${SALT_VARIABLE}): anyone with the grader's source can recompute the hidden inputs",
              file=sys.stderr)
    limits = Limits(call_seconds=args.timeout)

    graded = 0

    def on_result(result):
        nonlocal graded
        book.record(result)
        graded += 1
        grade.progress(graded, len(pending), result.submission)

    try:
        grade.grade_all(pending, args.salt, on_result, args.jobs, limits, args.budget, args.out, book.latest_scores(),
                        args.self_checks)
    except container.NotProtected as error:
        book.close()
        return fail(f"not grading: {error}")
    book.write_csv(book.run_rows())
    summary = feedback.summary_table(book.run_rows(), len(found))
    book.close()
    print(summary)
    print(f"\nwrote {Path(args.out) / 'grades.csv'}, results/, feedback/ and gradebook.sqlite")
    return 0


def report_command(args):
    try:
        path = report.write_report(args.dir)
    except FileNotFoundError as error:
        return fail(str(error))
    except (sqlite3.DatabaseError, OSError) as error:
        return fail(f"cannot write the report for {args.dir}: {error}")
    print(f"wrote {path}")
    return 0


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
    top = argparse.ArgumentParser(prog="autograder", description="Backprop Lab: build the student release and grade submissions.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    building = commands.add_parser(
        "build",
        help="generate assignment/, examples/submissions/ and the otter and Gradescope zips in dist/",
        description="Generate the student notebook (assignment/backprop.ipynb), assignment/gradcheck.py and "
        "examples/submissions/ from autograder/templates/backprop.md, solutions/layers.py and examples/answers/; "
        "then write otter-assign's master notebook to dist/otter/master/, run `otter assign` on it (dist/otter/"
        "student/, dist/otter/autograder/ and otter's zip dist/otter/backprop-otter-autograder.zip) and write "
        "Gradescope's zip of the native grader, dist/gradescope/autograder.zip, with its salt ($BACKPROP_SALT, "
        "else a new random one) in dist/gradescope/salt.txt. Exits 2 when otter assign fails (for one, when "
        "the reference does not pass its own tests).",
    )
    building.add_argument("--release-only", action="store_true",
                          help="only regenerate assignment/ and examples/submissions/ (no dist/, no otter assign)")
    building.set_defaults(run=build)
    grading = commands.add_parser(
        "grade",
        help="grade submissions into a gradebook",
        description="Grade each submission in its own sandboxed worker. PATH is a notebook or .py file, or a folder: "
        "each .ipynb/.py in it is a submission named after the file, each sub-folder holding one is a submission "
        "named after the folder. Writes DIR/grades.csv, DIR/results/NAME.json (Gradescope's schema), "
        "DIR/feedback/NAME.md and DIR/gradebook.sqlite (`autograder report DIR` adds report.html and feedback/NAME.html). A submission graded before from the same file, salt and "
        "tests keeps its result unless --regrade. Exits 0 when everything was graded, whatever the scores.",
    )
    grading.add_argument("paths", nargs="+", metavar="PATH")
    grading.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    grading.add_argument("--jobs", type=positive(int), default=grade.default_jobs(), metavar="N",
                         help="submissions graded at once (default: the number of cores, %(default)s here)")
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
    grading.set_defaults(run=grade_command)
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


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
