"""The `autograder` command: build the student release, grade submissions."""

import argparse
import sys

from autograder import release


def build(args):
    for path in release.build():
        print(f"wrote {path.relative_to(release.ROOT)}")
    return 0


def parser():
    top = argparse.ArgumentParser(prog="autograder", description="Backprop Lab: build the student release and grade submissions.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "build",
        help="generate assignment/backprop.ipynb and the example submissions from the reference source",
        description="Generate the student notebook (assignment/backprop.ipynb) and examples/submissions/ "
        "from autograder/templates/backprop.md and solutions/layers.py.",
    ).set_defaults(run=build)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
