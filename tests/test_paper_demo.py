"""`bench paper-demo`: the paper's published outputs and ours, on the paper's own demo clips."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from benchmark.metrics import si_sdr
from benchmark.report.paper_demo import demo_folders, paper_scores, published_entries, score_demo, write_markdown
from conftest import REPO_ROOT, require_paper_demo

BASELINES = REPO_ROOT / "baselines"
PICKED = ["CEG_OD/mel1/30", "CEG_HC/pow1/35", "ST_HC/bass/05"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo folder with three of the paper's clip/level folders (symlinked, not copied)."""
    source = require_paper_demo()
    root = tmp_path_factory.mktemp("demo")
    for rel in PICKED:
        (root / rel).mkdir(parents=True)
        for wav in (source / rel).glob("*.wav"):
            (root / rel / wav.name).symlink_to(wav)
    return root


@pytest.fixture(scope="module")
def rows(demo):
    return score_demo(demo, {n: BASELINES / f"{n}.py" for n in ("passthrough", "oracle_irm")}, progress=False)


def test_all_demo_folders_are_found():
    folders = demo_folders(require_paper_demo())
    assert len(folders) == 42 and {f[0] for f in folders} == {"CEG_OD", "CEG_HC", "ST_HC"}


def test_our_oracle_irm_is_the_papers_irm(rows):
    """Our oracle, run on the demo inputs, scores what the paper's own irm.wav scores."""
    for task in ("CEG_OD", "ST_HC"):
        ours = [r["si_sdr"] for r in rows if r["demo_task"] == task and r["method"] == "oracle_irm"]
        theirs = [r["si_sdr"] for r in rows if r["demo_task"] == task and r["method"] == "IRM"]
        assert len(ours) == len(theirs) == 1 and ours[0] == pytest.approx(theirs[0], abs=0.05)


def test_passthrough_scores_the_demo_input(demo, rows):
    folder = demo / "CEG_HC" / "pow1" / "35"
    expected = si_sdr(sf.read(folder / "tar.wav")[0], sf.read(folder / "inp.wav")[0])
    ours = next(r["si_sdr"] for r in rows if r["demo_task"] == "CEG_HC" and r["method"] == "passthrough")
    assert ours == pytest.approx(expected, abs=0.01)


def test_papers_aspade_is_aligned(demo):
    """aspade.wav is 256 samples early: aligned it scores far above the input, unaligned far below."""
    folder = demo / "ST_HC" / "bass" / "05"
    clean = sf.read(folder / "tar.wav")[0]
    aligned = paper_scores(folder, clean)["A-SPADE"]["si_sdr"]
    raw = sf.read(folder / "aspade.wav")[0][: len(clean)]
    assert aligned > si_sdr(clean, sf.read(folder / "inp.wav")[0]) + 2
    assert si_sdr(clean, np.pad(raw, (0, len(clean) - len(raw)))) < aligned - 10


def test_markdown_and_published_entries(rows, tmp_path):
    write_markdown(rows, tmp_path / "paper-demo.md")
    text = (tmp_path / "paper-demo.md").read_text()
    assert "## CEG_OD" in text and "| Demucs | the paper |" in text and "| IRM | ours |" in text
    assert "**PEAQ ODG**" in text and "**R_nonlin**" in text
    ceg_od = text.split("## CEG_OD")[1].split("## ")[0]
    demucs = [line for line in ceg_od.splitlines() if line.startswith("| Demucs | the paper |")]
    assert [line.rsplit("|", 2)[1].strip() for line in demucs] == ["37.90", "-1.18", "0.976"]  # paper.csv, CEG-OD
    entries = published_entries(rows)
    assert entries["paper-demo/CEG_OD/paper/Demucs"]["si_sdr.mean"] > 20
    assert "paper-demo/ST_HC/ours/passthrough" in entries


def test_a_network_without_weights_for_the_family_is_left_out(demo, tmp_path, monkeypatch):
    monkeypatch.setattr("benchmark.paths.checkpoints_dir", lambda: tmp_path)  # no checkpoint at all
    rows = score_demo(demo, {"demucs": BASELINES / "demucs.py"}, family="sampled", progress=False)
    assert [r for r in rows if r["source"] == "ours"] == []


def test_two_worker_processes_give_the_same_rows_in_the_same_order(demo, rows):
    parallel = score_demo(demo, {n: BASELINES / f"{n}.py" for n in ("passthrough", "oracle_irm")}, progress=False,
                          workers=2)
    assert parallel == rows
