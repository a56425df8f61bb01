"""What grading produces: plain records, JSON-ready, with the scores added up."""

from dataclasses import MISSING, dataclass, field, fields

GRADER_FAILED = "not graded: the grader failed"


@dataclass
class Check:
    """One output of one case: passed or not, the errors measured, and why."""

    case: str
    output: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    error_vs_reference: float | None = None
    error_vs_numeric: float | None = None
    absolute: bool = False  # the errors are absolute differences (a gradient that is zero by construction)


@dataclass
class QuestionResult:
    function: str
    title: str
    max_score: float
    # "passed", "partial", "failed", "not implemented", "missing", "error",
    # "timeout", "crashed" (the worker died) or "not graded"
    status: str
    message: str = ""
    checks: list = field(default_factory=list)
    diagnoses: list = field(default_factory=list)  # [{"mistake": ..., "hint": ...}]

    @property
    def score(self):
        return round(sum(check.points for check in self.checks), 6)


@dataclass(frozen=True)
class ScoreRow:
    """A submission's scores alone: what grades.csv and the summary need (a
    class of thousands is summed up without keeping every check in memory)."""

    submission: str
    score: float
    max_score: float
    questions: tuple  # ((function, score, max_score), ...)


@dataclass
class SubmissionResult:
    submission: str
    path: str
    digest: str
    isolation: str
    status: str = "graded"  # or why not: "unreadable", "no notebook", "several notebooks", "name collision"
    seconds: float = 0.0
    notes: list = field(default_factory=list)  # about loading and running the cells
    timings: dict = field(default_factory=dict)  # seconds per stage, for the benchmark
    self_checks: dict = field(default_factory=dict)  # question -> what its public self-check printed (with --self-checks)
    questions: list = field(default_factory=list)
    assignment: str = ""  # the name of the assignment graded

    @property
    def score(self):
        return round(sum(question.score for question in self.questions), 6)

    @property
    def grader_failed(self):
        """Whether the grader, not the submission, failed: such a result is never kept."""
        return any(q.message.startswith(GRADER_FAILED) for q in self.questions)

    @property
    def max_score(self):
        return sum(question.max_score for question in self.questions)

    def to_dict(self):
        data = {**vars(self), "score": self.score, "max_score": self.max_score}
        data["questions"] = [{**vars(q), "checks": [dict(vars(c)) for c in q.checks]} for q in self.questions]
        return data

    @classmethod
    def from_dict(cls, data):
        """The result `to_dict` gave, written by this or another version of the
        grader: keys it does not know are dropped (a field since removed), fields
        missing get their default or an empty value (a field since added)."""
        questions = [
            _build(QuestionResult, q, checks=[_build(Check, c) for c in q.get("checks", [])],
                   diagnoses=[d if isinstance(d, dict) else {"mistake": str(d)} for d in q.get("diagnoses", [])])
            for q in data.get("questions", [])
        ]
        return _build(cls, data, questions=questions, notes=[str(n) for n in data.get("notes", [])])


def _build(record_type, data, **given):
    values = {}
    for spec in fields(record_type):
        if spec.name in given:
            values[spec.name] = given[spec.name]
        elif spec.name in data:
            values[spec.name] = data[spec.name]
        elif spec.default is MISSING and spec.default_factory is MISSING:
            values[spec.name] = 0.0 if spec.type in (float, "float") else ""
    return record_type(**values)
