"""`bench paper-demo`: the paper's published outputs and ours, on the paper's own demo clips."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from benchmark.errors import BenchmarkError
from benchmark.metrics import si_sdr
from benchmark.report.paper_demo import (DEMO_SAMPLE_CLIPS, demo_folders, paper_scores, published_entries, read_rows,
                                         row_differences, score_demo, weights_family, write_markdown, write_rows)
from conftest import REPO_ROOT, require_paper_demo

BASELINES = REPO_ROOT / "baselines"
PICKED = ["CEG_OD/mel1/30", "CEG_HC/pow1/35", "ST_HC/bass/05"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo folder with three of the paper's clip/level folders."""
    return linked_demo(tmp_path_factory.mktemp("demo"), PICKED)


def linked_demo(root, picked):
    """A demo folder holding the paper's clip/level folders ``picked`` (symlinked, not copied)."""
    source = require_paper_demo()
    for rel in picked:
        (root / rel).mkdir(parents=True)
        for wav in (source / rel).glob("*.wav"):
            (root / rel / wav.name).symlink_to(wav)
    return root


@pytest.fixture(scope="module")
def rows(demo):
    return score_demo(demo, {n: BASELINES / f"{n}.py" for n in ("passthrough", "oracle_irm")}, progress=False)


def test_all_demo_folders_are_found_and_the_sample_is_the_first_clip_of_each_task():
    folders = demo_folders(require_paper_demo())
    assert len(folders) == 42 and {f[0] for f in folders} == {"CEG_OD", "CEG_HC", "ST_HC"}
    sample = demo_folders(require_paper_demo(), clips=1)
    assert len(sample) == 21 and {(f[0], f[1]) for f in sample} == {("CEG_OD", "mel1"), ("CEG_HC", "mel1"),
                                                                     ("ST_HC", "bass")}
    assert sorted({f[2] for f in sample if f[0] == "ST_HC"}) == sorted({f[2] for f in folders if f[0] == "ST_HC"})


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


def test_networks_use_the_sampled_weights_where_they_have_them(tmp_path, monkeypatch):
    """By default a network runs with its checkpoint of the sampled task matching the demo task,
    else of the synthetic one, else not at all; a named family is used alone."""
    monkeypatch.setattr("benchmark.paths.checkpoints_dir", lambda: tmp_path)
    (tmp_path / "demucs").mkdir()
    for task in ("sampled-od", "synth-od", "synth-hc"):
        (tmp_path / "demucs" / f"{task}.pt").touch()
    assert [weights_family("demucs", t) for t in ("CEG_OD", "CEG_HC", "ST_HC")] == ["sampled", "synth", None]
    assert weights_family("demucs", "CEG_OD", "synth") == "synth" and weights_family("demucs", "CEG_HC", "sampled") is None
    assert weights_family("aspade", "ST_HC") == "sampled"  # not a network: needs no weights


def test_two_worker_processes_give_the_same_rows_in_the_same_order(demo, rows):
    parallel = score_demo(demo, {n: BASELINES / f"{n}.py" for n in ("passthrough", "oracle_irm")}, progress=False,
                          workers=2)
    assert parallel == rows


def test_rows_are_published_exactly_and_compared_row_by_row(rows, tmp_path):
    write_rows(rows, tmp_path / "rows.csv")
    published = read_rows(tmp_path / "rows.csv")
    assert published == rows  # floats, levels and weights as scored
    assert row_differences(published, rows, {"si_sdr": 0.01, "peaq_odg": 0.01, "rnonlin": 0.001}) == []
    moved = [dict(r) for r in rows if not (r["demo_task"] == "ST_HC" and r["method"] == "IRM")]
    for row in moved:
        if row["demo_task"] == "CEG_HC" and row["method"] == "oracle_irm":
            row["rnonlin"] += 0.002
            row["weights"] = "elsewhere"
    found = row_differences(published, moved, {"si_sdr": 0.01, "peaq_odg": 0.01, "rnonlin": 0.001})
    assert sorted(found, key=str) == sorted([
        ("paper-demo/CEG_HC/ours/oracle_irm", "rnonlin@pow1/35", *(r["rnonlin"] for r in (
            next(p for p in published if p["demo_task"] == "CEG_HC" and p["method"] == "oracle_irm"),
            next(m for m in moved if m["demo_task"] == "CEG_HC" and m["method"] == "oracle_irm")))),
        ("paper-demo/CEG_HC/ours/oracle_irm", "weights@pow1/35", "sampled-hc", "elsewhere"),
        ("paper-demo/ST_HC/paper/IRM", "(row bass/5)", "present", "absent"),
    ], key=str)


def test_check_scores_a_sample_of_the_demo_against_its_published_rows(tmp_path, monkeypatch):
    """`bench check --update` scores every demo clip and publishes the rows, the table and their
    means; a plain check scores only the sample (the first clip of each task) and compares its
    rows: the table and means are the published rows', so a row moved outside the sample shows
    in the means (compared with published.json by `check`), one inside it by name; `--full`
    compares every row."""
    import benchmark.pipeline as pipeline

    demo = linked_demo(tmp_path / "demo", ["CEG_HC/mel1/35", "CEG_HC/pow1/35"])
    asked = []

    def demo_rows(demo_dir, device, family=None, workers=2, clips=None):
        asked.append(clips)
        return score_demo(demo_dir, {"passthrough": BASELINES / "passthrough.py"}, progress=False, clips=clips)

    monkeypatch.setattr(pipeline, "demo_rows", demo_rows)
    board = tmp_path / "board"
    board.mkdir()

    def check(update=False, full=False):
        return pipeline.check_demo(str(demo), board, workers=1, update=update, full=full)

    with pytest.raises(BenchmarkError, match="paper-demo.csv.*bench check --update"):
        check()  # nothing published yet: fails before scoring
    assert asked == []
    entries, moved = check(update=True)
    assert moved == [] and asked == [None]
    assert {row["clip"] for row in read_rows(board / "paper-demo.csv")} == {"mel1", "pow1"}
    markdown = (board / "paper-demo.md").read_text()

    assert check() == (entries, []) and asked[-1] == DEMO_SAMPLE_CLIPS == 1
    assert (board / "paper-demo.md").read_text() == markdown
    table = pd.read_csv(board / "paper-demo.csv", dtype={"clip": str})
    passthrough = table["method"] == "passthrough"
    table.loc[passthrough, "si_sdr"] += 0.5  # mel1 (in the sample) and pow1 (outside it)
    table.to_csv(board / "paper-demo.csv", index=False)
    now, moved = check()
    assert [field for _, field, _, _ in moved] == ["si_sdr@mel1/35"]
    key = "paper-demo/CEG_HC/ours/passthrough"
    assert now[key]["si_sdr.mean"] == pytest.approx(entries[key]["si_sdr.mean"] + 0.5)
    # every clip scored again: both rows named
    assert [field for _, field, _, _ in check(full=True)[1]] == ["si_sdr@mel1/35", "si_sdr@pow1/35"]
    assert asked[-1] is None
