"""The default assignment, backprop, as the tests pass it to the engine."""

from autograder.assignment import load

BACKPROP = load()
