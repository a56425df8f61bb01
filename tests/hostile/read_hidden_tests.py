# hostile: softmax_backward opens the hidden tests (autograder/questions.py) and the grader's checks
# expect: softmax = 0
# message: LookupError: the hidden tests could not be opened
# include: base


def softmax_backward(da, cache):
    for path in ("@REPO@/autograder/questions.py", "@REPO@/autograder/checks.py", "autograder/questions.py",
                 "/sandbox/questions.py", "/sandbox/checks.py"):
        try:
            text = open(path).read()
        except OSError:
            continue
        raise RuntimeError(f"read {len(text)} characters of {path}")
    raise LookupError("the hidden tests could not be opened")
