"""Data integrity of `bench generate` / `verify` / `evaluate` on real folders and under faults
(issue 15): a stable split, capacity before work, bad audio, corruption and repair, killed and
concurrent runs; and the layout in Hugging Face `datasets` (issue 17)."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.atomic import folder_lock
from benchmark.cli import main as bench
from benchmark.dataset.generate import GenerateError, Options, generate_task
from benchmark.dataset.recipes import get_recipe
from benchmark.dataset.shards import DataError, iter_examples, load_manifest
from benchmark.dataset.sources.folders import AudioFile, assign_ceg_splits, open_folder_source, split_of
from benchmark.dataset.verify import verify_task
from benchmark.harness.evaluate import evaluate
from conftest import REPO_ROOT, require_module, small_recipe

FRACTIONS = [0.8, 0.1, 0.1]
RATE = 16000


# --- helpers -------------------------------------------------------------------------------------

def tone(seconds: float, freq: float = 220.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return 0.3 * np.sin(2 * np.pi * freq * t) * (1 + 0.2 * np.sin(2 * np.pi * 0.5 * t))


def name_in(split: str, stem: str, suffix: str = ".wav") -> str:
    """The first name stem0, stem1, ... whose own hash puts it in ``split``."""
    return next(f"{stem}{i}{suffix}" for i in range(1000) if split_of(f"{stem}{i}{suffix}", FRACTIONS) == split)


def three_files(root: Path, seconds: dict[str, float] | None = None) -> dict[str, Path]:
    """A folder with one tone file in each split (6 s each unless ``seconds`` says otherwise)."""
    paths = {}
    for split in ("train", "val", "test"):
        paths[split] = root / name_in(split, split)
        paths[split].parent.mkdir(parents=True, exist_ok=True)
        sf.write(paths[split], tone((seconds or {}).get(split, 6.0)), RATE)
    return paths


def ceg(tmp_path: Path, test_clips: int = 2, **changes) -> str:
    splits = {"train": {"clips": 6, "seconds": 1.0, "levels": "uniform"},
              "val": {"clips": 2, "seconds": 1.5, "levels": "uniform"},
              "test": {"clips": test_clips, "seconds": 2.0, "levels": "grid"}}
    return small_recipe(tmp_path, "ceg-od", name="tiny-ceg", splits=splits, **changes)


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --- 1. a split that stays stable when files are added -------------------------------------------

def _audio_files(names) -> list[AudioFile]:
    """Files of 10 to 60 s, long enough for every split (a length that depends on the name only)."""
    return [AudioFile(Path(n), n, RATE * (10 + sum(n.encode()) % 51), RATE) for n in sorted(names)]


def _assign(names) -> tuple[dict[str, str], dict[str, str]]:
    splits, borrowed = assign_ceg_splits(_audio_files(names), get_recipe("ceg-od"), skip_bad=True)
    return {f.name: split for split, files in splits.items() for f in files}, borrowed


NAMES = st.text("abcdefghij/_0123456789", min_size=1, max_size=12).map(lambda s: f"{s}.wav")


@settings(max_examples=300, deadline=None)
@given(existing=st.sets(NAMES, min_size=3, max_size=40), added=st.sets(NAMES, min_size=1, max_size=15))
def test_adding_files_never_moves_an_existing_file(existing, added):
    """Property over random folders and additions: an existing file keeps its split (unless the
    small-folder rule had to borrow a file, before or after), and no split is ever empty."""
    before, borrowed_before = _assign(existing)
    after, borrowed_after = _assign(existing | added)
    for assignment in (before, after):
        assert set(assignment.values()) == {"train", "val", "test"}
    if not borrowed_before and not borrowed_after:
        assert {n: after[n] for n in before} == before


def test_two_hundred_single_additions_move_nothing():
    """The issue's measurement: 200 single-file additions to a 60-file folder, 0 files moved."""
    base = {f"take{i:03d}.wav" for i in range(60)}
    before, borrowed = _assign(base)
    assert not borrowed
    moved = 0
    for i in range(200):
        after, _ = _assign(base | {f"new/{i}.flac"})
        moved += sum(after[n] != s for n, s in before.items())
    assert moved == 0


def test_small_folders_borrow_the_nearest_file_and_say_so(tmp_path, capsys):
    root = tmp_path / "ceg"
    root.mkdir()
    for i in range(3):  # three files that all hash into train
        sf.write(root / name_in("train", f"t{i}_"), tone(6.0, 200 + 50 * i), RATE)
    recipe = ceg(tmp_path)
    source = open_folder_source(get_recipe(recipe), root)
    assert all(source.splits.values()) and set(source.borrowed) == {"val", "test"}
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "the test split borrowed" in out and "the val split borrowed" in out


# --- 2. capacity before work; --limit counts what the run needs ----------------------------------

def test_val_test_capacity_is_checked_before_any_work(tmp_path, capsys):
    root = tmp_path / "ceg"
    three_files(root)  # the test file holds 3 segments of 2 s
    out = tmp_path / "out"
    assert bench(["generate", "--task", ceg(tmp_path, test_clips=5), "--source-root", str(root),
                  "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the test split has 3 non-overlapping segments of 2.0 s" in err and "the 5 clips this run needs" in err
    assert not list(out.rglob("*.parquet")), "examples were written before the capacity check"


def _silence_slot(recipe: str, root: Path, test_file: Path, slot: int) -> int:
    """Zero the test file where segment slot ``slot`` (in the seeded order) lies; returns its offset."""
    offset = open_folder_source(get_recipe(recipe), root).segment("test", slot, 2.0).offset
    audio = sf.read(test_file)[0]
    audio[offset : offset + 2 * RATE] = 0.0
    sf.write(test_file, audio, RATE)
    return offset


def test_a_silent_slot_costs_one_slot_not_a_clip(tmp_path):
    """3 slots, 1 near-silent, 2 clips: fits (clip 1's own slot is silent; it takes the last one)."""
    root = tmp_path / "ceg"
    files = three_files(root)
    recipe = ceg(tmp_path, test_clips=2)
    silent = _silence_slot(recipe, root, files["test"], 1)
    manifest = generate_task(recipe, tmp_path / "out", options=Options(source_root=str(root)), progress=False)
    assert manifest["splits"]["test"]["skipped_segments"]["near_silent"] == 1
    offsets = set(pd.read_parquet(tmp_path / "out" / "tiny-ceg" / "test")["source_offset"])
    assert len(offsets) == 2 and silent not in offsets


def test_limit_needs_only_the_clips_it_makes(tmp_path, capsys):
    """The recipe wants 5 test clips of 3 slots (one silent): a full run is refused before work,
    --limit 7 (one clip at 7 levels) fits."""
    root = tmp_path / "ceg"
    files = three_files(root)
    recipe = ceg(tmp_path, test_clips=5)
    _silence_slot(recipe, root, files["test"], 0)
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "full")]) == 2
    assert "fewer than the 5 clips this run needs" in capsys.readouterr().err
    manifest = generate_task(recipe, tmp_path / "out", limit=7, options=Options(source_root=str(root)),
                             progress=False)
    assert manifest["splits"]["test"]["examples"] == 7
    assert manifest["splits"]["test"]["skipped_segments"]["near_silent"] == 1


# --- 3/4/5. bad audio: non-finite samples, skips per reason, verify with --skip-bad --------------

def folder_with_a_nan_file(tmp_path: Path) -> tuple[Path, Path, str]:
    """A CEG folder whose one train file is all NaN (train-000000 reads it), and its recipe."""
    root = tmp_path / "ceg"
    three_files(root)
    nan_file = root / name_in("train", "nan")
    sf.write(nan_file, np.full(RATE * 20, np.nan, dtype=np.float32), RATE, subtype="FLOAT")
    return root, nan_file, ceg(tmp_path)


def test_non_finite_samples_are_named_and_skippable(tmp_path, capsys):
    root, nan_file, recipe = folder_with_a_nan_file(tmp_path)
    args = ["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "out")]
    assert bench(args) == 2
    err = capsys.readouterr().err
    assert f"{nan_file}: holds" in err and "NaN or Inf" in err and "train-0000" in err and "--skip-bad" in err
    assert bench(args + ["--skip-bad"]) == 0
    train = load_manifest(tmp_path / "out" / "tiny-ceg")["splits"]["train"]
    assert train["bad_files"] == {nan_file.name: "non_finite"} and train["skipped_segments"]["non_finite"] >= 1
    assert "1 file(s) found bad while reading (1 non finite)" in capsys.readouterr().out


def _bad_folder(root: Path) -> dict[str, str]:
    """Good files, one of each kind of bad file, and a whole OGG file; returns the expected scan skips."""
    three_files(root)
    sf.write(root / name_in("train", "vorbis", ".ogg"), tone(6.0, 330), RATE, format="OGG", subtype="VORBIS")
    (root / "broken.wav").write_bytes(b"RIFF not really a wave file")
    sf.write(root / "cut.wav", tone(6.0), RATE)
    (root / "cut.wav").write_bytes((root / "cut.wav").read_bytes()[:40000])
    sf.write(root / "cut.ogg", tone(30.0), RATE, format="OGG", subtype="VORBIS")
    (root / "cut.ogg").write_bytes((root / "cut.ogg").read_bytes()[: int((root / "cut.ogg").stat().st_size * 0.97)])
    short = name_in("test", "short")
    sf.write(root / short, tone(1.0), RATE)
    return {"broken.wav": "unreadable", "cut.ogg": "truncated", "cut.wav": "truncated", short: "too_short"}


def test_skips_are_counted_per_reason_and_named(tmp_path, capsys):
    root = tmp_path / "ceg"
    expected = _bad_folder(root)
    silent = name_in("train", "silent")
    sf.write(root / silent, np.zeros(RATE * 60), RATE)  # long, so train draws from it
    recipe = ceg(tmp_path)
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "out"),
                  "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "4 file(s) skipped at scan (1 too short, 2 truncated, 1 unreadable)" in out
    assert "1 file(s) found bad while reading (1 silent)" in out
    manifest = load_manifest(tmp_path / "out" / "tiny-ceg")
    assert manifest["source"]["skipped_files"] == expected
    assert manifest["splits"]["train"]["bad_files"] == {silent: "silent"}
    assert manifest["splits"]["train"]["skipped_segments"]["silent"] >= 1
    used = {f for split in ("train", "val", "test") for f in pd.read_parquet(
        tmp_path / "out" / "tiny-ceg" / split)["source_file"]}
    assert name_in("train", "vorbis", ".ogg") in used  # a whole OGG file is read, not taken for cut


def test_truncated_ogg_is_named_without_skip_bad(tmp_path, capsys):
    root = tmp_path / "ceg"
    three_files(root)
    sf.write(root / "cut.ogg", tone(30.0), RATE, format="OGG", subtype="VORBIS")
    (root / "cut.ogg").write_bytes((root / "cut.ogg").read_bytes()[:-500])
    assert bench(["generate", "--task", ceg(tmp_path), "--source-root", str(root), "--out", str(tmp_path / "o")]) == 2
    assert "cut.ogg: truncated: the Ogg stream does not end with a whole end-of-stream page" in capsys.readouterr().err


def test_verify_uses_the_manifests_record_of_skipped_files(tmp_path):
    root = tmp_path / "ceg"
    _bad_folder(root)
    recipe = ceg(tmp_path)
    generate_task(recipe, tmp_path / "out", options=Options(source_root=str(root), skip_bad=True), progress=False)
    report = verify_task(tmp_path / "out" / "tiny-ceg", progress=False)
    assert report.ok and report.regenerated == 6 + 2 + 14, report.problems
    (root / "broken2.wav").write_bytes(b"RIFF another bad file")  # the folder changed since
    report = verify_task(tmp_path / "out" / "tiny-ceg", sample=0, progress=False)
    assert report.problems == ["source file broken2.wav: skipped at generation as nothing, now as unreadable "
                               "(the source folder changed)"]


# --- 6. evaluate checks what it reads -------------------------------------------------------------

@pytest.fixture()
def tiny_hc(tmp_path) -> Path:
    generate_task(small_recipe(tmp_path, "synth-hc", name="tiny-hc"), tmp_path / "data", progress=False)
    return tmp_path / "data"


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def test_evaluate_refuses_a_row_that_does_not_match_its_hash(tiny_hc, tmp_path, capsys):
    shard = tiny_hc / "tiny-hc" / "test" / "part-00001.parquet"
    original, table = shard.read_bytes(), pq.read_table(shard)
    for position in range(len(original) // 3, len(original), 97):  # a flip that pyarrow reads without error
        _flip(shard, position)
        try:
            if not pq.read_table(shard).equals(table):
                break
        except Exception:
            pass
        shard.write_bytes(original)
    else:
        pytest.fail("no single-byte flip of the shard reads back silently changed")
    with pytest.raises(DataError, match=r"part-00001.parquet: example test-00000\d does not match its stored sha256"):
        evaluate(REPO_ROOT / "baselines" / "passthrough.py", "tiny-hc", tiny_hc, tmp_path / "results", progress=False)
    assert not (tmp_path / "results" / "passthrough" / "tiny-hc" / "summary.json").exists()


def test_evaluate_names_a_shard_whose_footer_is_damaged(tiny_hc, tmp_path, capsys):
    shard = tiny_hc / "tiny-hc" / "test" / "part-00002.parquet"
    original = shard.read_bytes()
    footer = int.from_bytes(original[-8:-4], "little")
    for position in range(len(original) - 8 - footer, len(original) - 8):  # the first flip that breaks the footer
        _flip(shard, position)
        try:
            pq.read_table(shard)
        except OSError:
            break
        shard.write_bytes(original)
    else:
        pytest.fail("no flip of the footer breaks the shard")
    assert bench(["evaluate", "--submission", str(REPO_ROOT / "baselines" / "passthrough.py"), "--task", "tiny-hc",
                  "--data", str(tiny_hc), "--results", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert f"{shard}: cannot be read as a Parquet shard" in err and "Traceback" not in err


# --- 7. a re-run repairs missing or damaged shards -------------------------------------------------

def test_rerun_rebuilds_missing_and_damaged_shards(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    first = generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-od"
    damaged, deleted = task_dir / "train" / "part-00000.parquet", task_dir / "test" / "part-00001.parquet"
    before = damaged.read_bytes()
    _flip(damaged, len(before) // 2)
    deleted.unlink()  # its record in .records/ stays
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rebuilt 2 shard(s) found missing or damaged: train/part-00000, test/part-00001" in out
    assert damaged.read_bytes() == before and deleted.is_file()
    assert load_manifest(task_dir)["fingerprint"] == first["fingerprint"]
    assert verify_task(task_dir, sample=0, progress=False).ok
    assert generate_task(recipe, tmp_path, progress=False)["rebuilt"] == []


# --- 8/9. killed and concurrent runs ---------------------------------------------------------------

def _slow_recipe(tmp_path: Path) -> str:
    return small_recipe(tmp_path, splits={"train": {"clips": 80, "seconds": 2.0, "levels": "uniform"},
                                          "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                          "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})


def test_workers_die_with_their_parent_on_kill_9(tmp_path):
    cmd = [sys.executable, "-m", "benchmark.cli", "generate", "--task", _slow_recipe(tmp_path),
           "--out", str(tmp_path / "out"), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(workers := children(proc.pid)) < 2:
        time.sleep(0.05)
    assert len(workers) == 2, "the pool's workers never started"
    time.sleep(0.5)  # let them work
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.05)
    orphans = [pid for pid in workers if alive(pid)]
    for pid in orphans:  # leave nothing running behind the test
        os.kill(pid, signal.SIGKILL)
    assert not orphans, f"workers {orphans} outlived their killed parent"


def _threads_setting(job: int) -> str | None:
    return os.environ.get("OMP_NUM_THREADS")


def test_pool_workers_use_their_share_of_the_cores(monkeypatch):
    """Each process of a local pool runs with its share of the cores (OMP_NUM_THREADS, which torch,
    BLAS, A-SPADE and the submissions it starts read), unless the user set it."""
    from benchmark.executor import LocalExecutor

    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert {value for _, value in LocalExecutor(2).map(_threads_setting, list(range(4)))} == {str(max(1, cores // 2))}
    assert {value for _, value in LocalExecutor(cores + 1).map(_threads_setting, list(range(4)))} == {"1"}
    assert "OMP_NUM_THREADS" not in os.environ  # the driver's own setting is untouched
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert {value for _, value in LocalExecutor(2).map(_threads_setting, list(range(4)))} == {"3"}


def test_a_second_run_into_the_same_folder_is_refused(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    task_dir = tmp_path / "out" / "tiny-od"
    with folder_lock(task_dir):  # as a running `bench generate` holds it
        assert bench(["generate", "--task", recipe, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{task_dir} is being written by another process (pid {os.getpid()})" in err
    assert not (task_dir / "manifest.json").exists()
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path / "out")]) == 0  # released


def test_a_live_writers_temps_are_kept(tmp_path):
    recipe = small_recipe(tmp_path)
    task_dir = tmp_path / "tiny-od"
    generate_task(recipe, tmp_path, progress=False)
    live = task_dir / "train" / f".part-00009.parquet.tmp-{os.getppid()}"  # a running process's temp
    dead = task_dir / "train" / f".part-00008.parquet.tmp-{dead_pid()}"
    live.write_bytes(b"being written")
    dead.write_bytes(b"left by a killed run")
    generate_task(recipe, tmp_path, progress=False)
    assert live.exists() and not dead.exists()


# --- 10. --limit over a finished dataset -----------------------------------------------------------

def test_limit_over_a_finished_dataset_is_refused_unless_overwrite(tmp_path):
    recipe = small_recipe(tmp_path)
    full = generate_task(recipe, tmp_path, progress=False)
    first_shard = tmp_path / "tiny-od" / "train" / "part-00000.parquet"
    before = first_shard.read_bytes()
    with pytest.raises(GenerateError, match=r"examples up to index \d+, and this run \(--limit\) makes only 3: "
                                            "it would replace a larger dataset"):
        generate_task(recipe, tmp_path, limit=3, progress=False)
    manifest = load_manifest(tmp_path / "tiny-od")
    assert first_shard.read_bytes() == before and manifest["limit"] is None
    assert manifest["fingerprint"] == full["fingerprint"]
    part = generate_task(recipe, tmp_path, limit=3, overwrite=True, progress=False)
    assert part["limit"] == 3 and part["splits"]["train"]["examples"] == 3
    grown = generate_task(recipe, tmp_path, progress=False)  # growing a limited dataset needs no --overwrite
    assert grown["fingerprint"] == full["fingerprint"]


# --- issue 17: the layout in Hugging Face datasets ------------------------------------------------

@pytest.fixture()
def hf_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # nothing may be downloaded
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return require_module("datasets")


def test_hugging_face_datasets_loads_a_task_folder_as_it_is(tmp_path, hf_datasets):
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path / "data", progress=False)
    task_dir = tmp_path / "data" / "tiny-od"
    loaded = hf_datasets.load_dataset("parquet", data_dir=str(task_dir), cache_dir=str(tmp_path / "cache"))
    assert {name: len(split) for name, split in loaded.items()} == {"train": 6, "validation": 2, "test": 14}
    ours = list(iter_examples(task_dir, "test"))
    assert loaded["test"]["id"] == [r["id"] for r in ours] and loaded["test"]["sha256"] == [r["sha256"] for r in ours]
    np.testing.assert_array_equal(np.asarray(loaded["test"][3]["distorted"], np.float32), ours[3]["distorted"])


def test_audio_columns_convert_to_the_audio_feature(tmp_path, hf_datasets):
    """The README's conversion, run as written: WAV bytes (float32, lossless) cast to `Audio`."""
    generate_task(small_recipe(tmp_path), tmp_path / "data", progress=False)
    ds = hf_datasets.load_dataset("parquet", data_dir=str(tmp_path / "data" / "tiny-od"),
                                  cache_dir=str(tmp_path / "cache"))

    def to_wav_bytes(row):
        out = {}
        for name in ("clean", "distorted"):
            buffer = io.BytesIO()
            sf.write(buffer, np.asarray(row[name], np.float32), row["sample_rate"], format="WAV", subtype="FLOAT")
            out[name] = buffer.getvalue()
        return out

    ds = ds.map(to_wav_bytes)
    for name in ("clean", "distorted"):
        ds = ds.cast_column(name, hf_datasets.Audio(sampling_rate=16000))
    assert isinstance(ds["test"].features["distorted"], hf_datasets.Audio)
    # Decoding needs torchcodec (datasets >= 4); the stored bytes are read here with soundfile.
    stored = ds["test"].select_columns(["distorted"]).cast_column("distorted", hf_datasets.Audio(decode=False))[5]
    stored = stored["distorted"]
    audio, rate = sf.read(io.BytesIO(stored["bytes"]), dtype="float32")
    ours = list(iter_examples(tmp_path / "data" / "tiny-od", "test"))[5]
    assert rate == 16000
    np.testing.assert_array_equal(audio, ours["distorted"])


def test_wav_export_follows_the_audiofolder_convention(tmp_path, hf_datasets):
    from datasets.data_files import DataFilesDict, get_data_patterns

    generate_task(small_recipe(tmp_path), tmp_path / "data", options=Options(formats=("wav",)), progress=False)
    wav_dir = tmp_path / "data" / "tiny-od" / "wav"
    files = DataFilesDict.from_patterns(get_data_patterns(str(wav_dir)), base_path=str(wav_dir))
    assert sorted(files) == ["test", "train", "validation"]
    for hf_split, split, count in (("train", "train", 6), ("validation", "val", 2), ("test", "test", 14)):
        names = sorted(Path(f).name for f in files[hf_split])
        assert names.count("metadata.csv") == 1 and len(names) == 2 * count + 1  # HF finds the pairs and metadata
        meta = pd.read_csv(wav_dir / split / "metadata.csv")
        assert list(meta["id"]) == [f"{split}-{i:06d}" for i in range(count)]
        for column in ("clean_file_name", "distorted_file_name"):  # audiofolder: *_file_name, relative
            assert all((wav_dir / split / name).is_file() for name in meta[column])
    for split in ("train", "val", "test"):  # nothing but shards (here: none) in the split folders
        assert not (tmp_path / "data" / "tiny-od" / split).exists()


def test_format_1_folders_are_upgraded_in_place(tmp_path):
    """A task folder of format 1 (shard records beside the shards) resumes: its sidecars are
    removed, its shards rebuilt identically, and the fingerprint stays."""
    recipe = small_recipe(tmp_path)
    first = generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-od"
    for record in (task_dir / ".records").glob("*/part-*.json"):  # as format 1 laid them out
        data = json.loads(record.read_text()) | {"format_version": 1}
        (task_dir / record.parent.name / record.name).write_text(json.dumps(data))
        record.unlink()
    again = generate_task(recipe, tmp_path, progress=False)
    assert again["fingerprint"] == first["fingerprint"]
    assert not list(task_dir.glob("*/part-*.json"))
