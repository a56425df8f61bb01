"""Unit tests of what keeps hidden data in and a submission's output small
(issue 10), where a hostile case of tests/hostile/ is not the right tool."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import submission_factory as sf
from autograder import bounds, checks, feedback, gradebook, standins, tables, vocabulary
from assignments.backprop import questions as specs
from autograder.grade import grade_submission
from autograder.results import SubmissionResult
from autograder.wire import Unsupported
from backprop import BACKPROP
from solutions import layers as L

SALT = "leaks-salt"


# --- the seed ---------------------------------------------------------------------------------


def test_inputs_depend_on_the_file_digest_and_stay_the_same_for_the_same_file():
    case = specs.BATCHNORM.cases[0]

    def first_input(digest):
        return specs.BATCHNORM.draw(checks.case_rng(SALT, "alice", specs.BATCHNORM, case, digest), **case.params).args[0]

    assert np.array_equal(first_input("aaaa"), first_input("aaaa"))
    assert not np.array_equal(first_input("aaaa"), first_input("bbbb"))


# --- stand-ins --------------------------------------------------------------------------------


def _net_problem(seed=1):
    case = specs.NET.cases[0]
    return specs.NET.draw(np.random.default_rng(seed), **case.params)


def test_the_reference_chain_is_instrumented_for_each_stand_in():
    calls = standins.reference_run(specs.NET, _net_problem().args)[1]
    assert [name for name, _, _ in calls] == ["dropout_backward", "batchnorm_backward"]
    # Each alternative chain (the ReLU mask before the dropout backward) makes them too.
    calls = standins.alternative_calls(specs.NET, _net_problem().args)
    assert [name for name, _, _ in calls] == ["dropout_backward", "batchnorm_backward"] * len(specs.NET.alternatives)


def test_a_correct_chain_in_another_order_gets_the_stand_ins_too():
    """A network whose ReLU mask comes before its dropout backward (the masks commute) is
    correct: its calls get the reference's answers, so that a mistake in dropout_backward
    costs points in part 1 only."""
    problem = _net_problem()
    dscores, cache = problem.args
    dzbn = dscores @ cache["affine2"][1].T
    masked_first = L.relu_backward(dzbn, cache["relu"])
    answer = standins.answerer(specs.NET, [problem])
    reply = answer("dropout_backward", [masked_first, cache["dropout"]])
    assert np.array_equal(reply["value"], L.dropout_backward(masked_first, cache["dropout"]))
    from_the_output = dzbn * (cache["affine2"][0] > 0)  # the mask of Z_BN, zero where dropped too
    reply = answer("dropout_backward", [from_the_output, cache["dropout"]])
    assert np.array_equal(reply["value"], L.dropout_backward(from_the_output, cache["dropout"]))


def test_the_instrumented_reference_returns_what_the_reference_does():
    for question in specs.QUESTIONS:
        problem = question.draw(np.random.default_rng(3), **question.cases[0].params)
        result, _ = standins.reference_run(question, problem.args)
        expected = question.unpack(question.reference(*problem.args))
        assert all(np.array_equal(value, expected[name]) for name, value in question.unpack(result).items()), question.function


def test_a_stand_in_answers_the_reference_call_and_nothing_else():
    problem = _net_problem()
    answer = standins.answerer(specs.NET, [problem])
    (_, dropout_args, dropout_result), (_, bn_args, bn_result) = standins.reference_run(specs.NET, problem.args)[1]
    dout, bn_cache = bn_args
    reply = answer("batchnorm_backward", [dout * (1 + 1e-12), bn_cache])
    assert all(np.array_equal(got, want) for got, want in zip(reply["value"], bn_result))
    refused = [
        answer("batchnorm_backward", [dout * 1.01, bn_cache]),                  # other values
        answer("batchnorm_backward", [dout.astype(np.float32), bn_cache]),      # another dtype
        answer("batchnorm_backward", [dout[:-1], bn_cache]),                    # another shape
        answer("batchnorm_backward", [dout.tolist(), bn_cache]),                # a nested list
        answer("batchnorm_backward", [dout, {**bn_cache, "eps": 0.1}]),         # another cache
        answer("batchnorm_backward", [dout]),                                   # fewer arguments
        answer("dropout_backward", [dout, bn_cache]),                           # another function's call
        answer("softmax_backward", list(dropout_args)),                         # no stand-in at all
        answer("batchnorm_backward", "not a list"),
    ]
    assert refused == [standins.NOT_A_REFERENCE_CALL] * len(refused)
    assert np.array_equal(answer("dropout_backward", list(dropout_args))["value"], dropout_result)


def test_a_question_without_stand_ins_answers_no_call():
    problem = specs.DROPOUT.draw(np.random.default_rng(0), **specs.DROPOUT.cases[1].params)
    assert standins.answerer(specs.DROPOUT, [problem])("dropout_backward", list(problem.args)) == \
        standins.NOT_A_REFERENCE_CALL


# --- the closed vocabulary ----------------------------------------------------------------------


def test_what_a_worker_sent_is_described_in_the_graders_words_only():
    assert vocabulary.describe(Unsupported("Tensor_0p123_0p456")) == vocabulary.OTHER_TYPE
    assert vocabulary.describe(Unsupported("set")) == "a set"
    assert vocabulary.describe(Unsupported("array of dtype [('LEAK', '<f8')]")) == vocabulary.OTHER_TYPE
    assert vocabulary.describe((1,) * 40) == "a tuple of more than 16"
    assert vocabulary.describe([1]) == "a list" and vocabulary.describe(None) == "None"
    assert vocabulary.dtype_name(np.dtype([("LEAK", "<f8")])) == "another dtype"
    assert vocabulary.dtype_name(np.dtype(np.float32)) == "float32"
    assert vocabulary.exception_name("ValueError") == "ValueError"
    assert vocabulary.exception_name("LinAlgError") == "LinAlgError"
    for name in ("Leak_12345", 12, None, "ValueError: 1 2 3"):
        assert vocabulary.exception_name(name) == vocabulary.OTHER_EXCEPTION


def test_a_shape_is_shown_only_with_the_cases_own_sizes():
    sizes = vocabulary.sizes_of((np.zeros((3, 5)), {"a": np.zeros(7)}))
    assert sizes == {3, 5, 7}
    assert vocabulary.shape_text((5, 3), sizes) == "shape (5, 3)"
    assert vocabulary.shape_text((5, 1, 0), sizes) == "shape (5, 1, 0)"
    assert vocabulary.shape_text((0, 987654321), sizes) == "another shape"
    assert vocabulary.shape_text((3,) * 5, sizes) == "another shape"


def test_the_self_checks_run_before_the_worker_sees_a_hidden_input(tmp_path):
    """A softmax_backward that prints what it was given before, when the self-check calls it:
    the self-check comes first, so there is nothing to print (a leak at once on Gradescope)."""
    code = sf.source("""
        _seen = []

        def softmax_backward(da, cache):
            if _seen:
                print("SELFCHECK-LEAK", _seen[0].ravel()[:5].tolist())
            _seen.append(da.copy())
            a = cache["a"]
            return (da - np.sum(da * a, axis=1, keepdims=True)) * a
    """)
    path = sf.write(tmp_path, "stasher", sf.notebook({"softmax_backward": code}))
    result = grade_submission(BACKPROP, "stasher", path, SALT, self_checks=True)
    assert result.score == 100 and result.self_checks["softmax_backward"].endswith("PASS")
    assert "SELFCHECK-LEAK" not in json.dumps(result.to_dict())


# --- bounds and Markdown ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_megabyte_of_magic_lines_makes_a_small_feedback(tmp_path):
    # One cell of 100,000 magic lines (one note for the cell), then 200 cells of one each (a note each, cut).
    cells = [("end", "x = 1\n" + "%timeit 1\n" * 100_000)] + [("end", f"y{i} = 1\n%timeit 1\n") for i in range(200)]
    path = sf.write(tmp_path, "magic_flood", sf.notebook(extra_cells=cells))
    result = grade_submission(BACKPROP, "magic_flood", path, SALT)
    assert result.score == 100
    text = feedback.markdown(result)
    assert "99997 more lines" in result.notes[0]
    assert len(result.notes) == bounds.NOTES_KEPT + 1 and "more notes" in result.notes[-1]
    assert len(text) < 100_000 and len(json.dumps(feedback.gradescope_results(result))) < 100_000
    assert len(json.dumps(result.to_dict())) < 100_000


def test_a_long_text_is_cut_with_a_note():
    assert bounds.bounded("x" * 10) == "x" * 10
    cut = bounds.bounded("x" * (bounds.TEXT_LIMIT + 5))
    assert cut.startswith("x" * bounds.TEXT_LIMIT) and "5 more characters cut" in cut


def test_a_result_shows_every_control_and_format_character_as_an_escape():
    """An ANSI escape, a carriage return, a bidi override, a zero-width space or a lone surrogate
    in a student's text reaches no file as itself (B49); newlines, tabs and other Unicode do."""
    text = "\x1b[2J\x1b]0;t\x07 a\rb\x08 \x9b \u202erev\u200b\ud800 é\tπ\nnext"
    result = SubmissionResult("s", "s.py", "", "rlimits", notes=[text], self_checks={"f": text})
    result.questions = [checks.not_graded(specs.QUESTIONS[0], "error", text)]
    bounds.bound_result(result)
    shown = "\\x1b[2J\\x1b]0;t\\x07 a\\rb\\x08 \\x9b \\u202erev\\u200b\\ud800 é\tπ\nnext"
    assert result.notes == [shown] and result.self_checks == {"f": shown}
    assert result.questions[0].message == shown and {c.message for c in result.questions[0].checks} == {shown}
    written = feedback.markdown(result) + json.dumps(result.to_dict(), ensure_ascii=False)
    assert not any(bounds.unseen(char) for char in written if char not in "\n\t")


def test_student_text_cannot_close_its_fence_or_start_a_heading():
    text = "line\n````\n# NAME: 100/100\n```"
    block = feedback.code_block(text)
    fence = block.splitlines()[0].removesuffix("text")
    assert len(fence) == 5 and block.splitlines()[-1] == fence
    assert all(not line.startswith(fence) for line in block.splitlines()[1:-1])
    assert feedback.plain("# NAME: 100/100\n[x](y) <b>").startswith("\\#")
    assert "\\[x\\]" in feedback.plain("[x](y)") and "\\<b\\>" in feedback.plain("<b>")
    assert feedback.message_text("the grader's line\n# injected") == "the grader's line\n\n```text\n# injected\n```"


# --- CSV and kept results ------------------------------------------------------------------------------


def test_csv_cells_that_spreadsheets_evaluate_are_neutralised():
    for name in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert tables.csv_cell(name) == "'" + name
    assert tables.csv_cell("alice") == "alice" and tables.csv_cell("a=b") == "a=b"


def test_grades_csv_writes_a_formula_name_as_text(tmp_path):
    book = gradebook.Gradebook(tmp_path, SALT, BACKPROP)
    result = SubmissionResult('=HYPERLINK("x", "y")', "x.py", "digest1", "bubblewrap")
    result.questions = [checks.not_graded(specs.QUESTIONS[0], "error", "not graded")]
    book.record(result)
    book.write_csv()
    book.close()
    (row,) = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text())))[1:]
    assert row[0] == "'=HYPERLINK(\"x\", \"y\")"


def _result(isolation):
    return SubmissionResult("alice", "alice.py", "digest1", isolation)


def test_a_result_is_kept_only_at_the_isolation_level_it_was_graded_at(tmp_path, monkeypatch):
    book = gradebook.Gradebook(tmp_path, SALT, BACKPROP)
    book.record(_result("rlimits"))
    monkeypatch.setenv("BACKPROP_SANDBOX", "bubblewrap")
    assert book.unchanged("alice", "digest1") is None
    monkeypatch.setenv("BACKPROP_SANDBOX", "rlimits")
    assert book.unchanged("alice", "digest1") is not None
    book.close()


def test_the_kept_result_key_covers_the_graders_own_code(monkeypatch):
    before = gradebook.spec_hash(BACKPROP)
    real = Path.read_bytes

    def changed(path):
        data = real(path)
        return data + b"\n# changed" if path.name in ("worker.py", "sandbox.py", "wire.py") else data

    monkeypatch.setattr(Path, "read_bytes", changed)
    assert gradebook.spec_hash(BACKPROP) != before


def test_a_dropout_mask_never_drops_every_unit():
    """A mask dropping every unit makes dx zero whatever the scale, so that a wrong scale passes
    (inputs that change with the file's digest made a 3% chance for p = 0.75 show up)."""
    case = specs.DROPOUT.cases[2]
    assert case.params == {"p": 0.75, "train": True}
    for seed in range(3000):  # seeds 339 and 516 drew such a mask before
        _, cache = specs.DROPOUT.draw(np.random.default_rng(seed), **case.params).args
        assert cache["keep"].any(), seed


def test_a_result_is_kept_only_under_the_settings_it_was_graded_with(tmp_path, monkeypatch):
    """A submission that timed out under --timeout 3 was kept as "unchanged" under --timeout 10
    (and one graded without --self-checks kept without their output when they were asked for)."""
    monkeypatch.setenv("BACKPROP_SANDBOX", "rlimits")
    strict = "timeout=3.0 budget=120.0 self-checks=False"
    book = gradebook.Gradebook(tmp_path, SALT, BACKPROP, strict)
    book.record(_result("rlimits"))
    book.close()
    for settings in ("timeout=10.0 budget=120.0 self-checks=False", "timeout=3.0 budget=120.0 self-checks=True"):
        book = gradebook.Gradebook(tmp_path, SALT, BACKPROP, settings)
        assert book.unchanged("alice", "digest1") is None, settings
        book.close()
    book = gradebook.Gradebook(tmp_path, SALT, BACKPROP, strict)
    assert book.unchanged("alice", "digest1") is not None
    book.close()
