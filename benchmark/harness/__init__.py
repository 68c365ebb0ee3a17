"""The metric harness: the submission contract, running a submission in a child process,
scoring its outputs on a task's test split, and the statistics of a results table."""
from .evaluate import evaluate
from .submission import NotApplicable, Submission, SubmissionError, SubmissionRunner, load_model_class
from .summary import format_summary, summarise

__all__ = ["NotApplicable", "Submission", "SubmissionError", "SubmissionRunner", "evaluate", "format_summary",
           "load_model_class", "summarise"]
