"""The one base class of the errors a user can cause and fix."""
from __future__ import annotations


class BenchmarkError(Exception):
    """Bad input, missing data or a failed submission: the message names the file, example or
    parameter and says what to do. ``bench`` prints it without a traceback and exits with 2.

    Each part of the package raises its own subclass (``RecipeError``, ``SourceError``,
    ``GenerateError``, ``DataError``, ``SubmissionError``, ``CheckpointError``,
    ``TrainingError``, ``CheckError``, ``FadError``, ``VisqolUnavailable``).
    """
