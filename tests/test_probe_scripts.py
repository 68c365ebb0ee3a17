"""The probe scripts in benchmarks/ refuse a bad ``--checkpoint NETWORK=PATH`` with a message naming it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO_ROOT

SHIPPED = "baselines/checkpoints/demucs/sampled-sdr.pt"


@pytest.mark.parametrize("script", [["parts_probe.py"], ["robustness_probe.py", "--data", "d", "--task", "t"]])
@pytest.mark.parametrize(("spec", "message"), [
    ("demucs", "'demucs': expected NETWORK=PATH"),
    ("demucs=missing.pt", "'demucs=missing.pt': no checkpoint file at missing.pt"),
    (f"dmucs={SHIPPED}", f"'dmucs={SHIPPED}': unknown network 'dmucs'; one of demucs, waveunet, crafx, openunmix"),
])
def test_a_bad_checkpoint_argument_is_named(script: list[str], spec: str, message: str) -> None:
    run = subprocess.run([sys.executable, f"benchmarks/{script[0]}", *script[1:], "--checkpoint", spec],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert f"argument --checkpoint: {message}" in run.stderr
