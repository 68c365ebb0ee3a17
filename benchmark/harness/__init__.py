"""The metric harness: the submission contract, running a submission in a child process
(``submission``, imported by every child, so it and this package stay light), scoring its
outputs on a task's test split (``evaluate``), the statistics of a results table
(``summary``), and FAD of all outputs of a task (``fad``)."""
from .submission import NotApplicable, Submission, SubmissionError, SubmissionRunner, load_model_class

__all__ = ["NotApplicable", "Submission", "SubmissionError", "SubmissionRunner", "load_model_class"]
