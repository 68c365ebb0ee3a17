"""`pytest -q` prints only pytest's own progress: no test writes past the output capture."""
from __future__ import annotations

import re

from conftest import REPO_ROOT

ESCAPES = re.compile(r"capsys\.disabled\(|capfd\.disabled\(|sys\.__stdout__|sys\.__stderr__")


def test_no_test_writes_past_pytests_capture():
    """Scores a test measures go in its assertion messages (shown when it fails), not to the terminal."""
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in sorted((REPO_ROOT / "tests").glob("test_*.py")) if path.name != "test_quiet.py"
             for number, line in enumerate(path.read_text().splitlines(), 1) if ESCAPES.search(line)]
    assert not found, "\n".join(found)
