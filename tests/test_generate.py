"""`bench generate` / `bench verify`: determinism, storage, resume, sources and bad input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from benchmark.cli import main as bench
from benchmark.dataset.shards import iter_examples, load_manifest, read_metadata
from benchmark.effects import apply_effect
from benchmark.dataset.generate import GenerateError, Options, generate_example, generate_task
from benchmark.paths import recipes_dir
from benchmark.dataset.recipes import RecipeError, get_recipe, parse_recipe
from benchmark.dataset.sampled import pinned
from benchmark.dataset.shards import read_shard
from benchmark.dataset.verify import verify_task
from benchmark.versions import numpy_simd
from conftest import require, require_binary, small_recipe


def dead_pid() -> int:
    """The pid of a process that has ended (the owner of a killed run's temporary files)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def shard_hashes(task_dir: Path) -> list[str]:
    manifest = load_manifest(task_dir)
    return [s["sha256"] for split in manifest["splits"].values() for s in split["shards"]]


# --- recipes ---------------------------------------------------------------------------------

def test_shipped_recipes_load_and_default_tasks_exist():
    names = {p.stem for p in recipes_dir().glob("*.toml")}
    assert {"synth-od", "synth-hc", "synth-sdr", "ceg-od", "ceg-hc", "signaltrain-hc", "signaltrain-sdr"} <= names
    for name in names:
        recipe = get_recipe(name)
        assert recipe.sample_rate == 16000 and recipe.peak == 0.5
        assert recipe.splits["test"].levels == "grid" and recipe.splits["test"].seconds == 10.0
    assert get_recipe("synth-od").effect.fixed == {"colour": 0.0}
    assert get_recipe("synth-od").effect.grid == (20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0)
    assert get_recipe("synth-sdr").effect.grid == (1.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)


@pytest.mark.parametrize("effect_change,message", [
    ({"range": [20.0, 120.0]}, r"gain_db value 120.0 is outside \[0.0, 100.0\]"),
    ({"grid": [-5.0]}, r"gain_db value -5.0 is outside"),
    ({"name": "fuzz"}, "unknown effect 'fuzz'"),
    ({"fixed": {"colour": 150.0}}, "colour=150.0 is outside"),
    ({"typo": 1}, r"unknown key\(s\) \['typo'\]"),
    ({"fixed": {"colour": "warm"}}, r"fixed: colour must be a number, got 'warm'"),
    ({"grid": [20.0, "loud"]}, r"grid must be a number, got 'loud'"),
])
def test_recipe_errors_name_the_file_and_key(effect_change, message):
    data = tomllib.loads((recipes_dir() / "synth-od.toml").read_text())
    data["effect"].update(effect_change)
    with pytest.raises(RecipeError, match=message) as info:
        parse_recipe(data, "my-recipe.toml")
    assert "my-recipe.toml [effect]" in str(info.value)


@pytest.mark.parametrize("base,change,message", [
    ("synth-od", {"silence": {"min_rms_dbfs": "loud"}}, r"\[silence\]: 'min_rms_dbfs' must be float, got 'loud'"),
    ("ceg-od", {"source_options": {"split_fraction": [0.8, 0.1, 0.1]}},
     r"\[source_options\]: unknown key\(s\) \['split_fraction'\]"),
    ("ceg-od", {"source_options": {"split_fractions": ["a", 0.5, 0.5]}}, "split_fractions must be 3 positive numbers"),
    ("synth-od", {"source_options": {"split_fractions": [0.8, 0.1, 0.1]}}, r"unknown key\(s\) \['split_fractions'\]"),
    ("synth-od", {"dynamics_db": 70.0}, r"dynamics_db must be in \[0, 60\] dB, got 70.0"),
    ("synth-od", {"dynamics_db": -1}, r"dynamics_db must be in \[0, 60\] dB, got -1.0"),
    ("synth-od", {"dynamics_db": "deep"}, r"dynamics_db must be a number, got 'deep'"),
])
def test_every_recipe_field_is_type_checked_naming_file_and_key(base, change, message):
    data = tomllib.loads((recipes_dir() / f"{base}.toml").read_text())
    data.update(change)
    with pytest.raises(RecipeError, match=message) as info:
        parse_recipe(data, "my-recipe.toml")
    assert "my-recipe.toml" in str(info.value)


def test_sdr_recipe_rejects_non_positive_sdr():
    data = tomllib.loads((recipes_dir() / "synth-sdr.toml").read_text())
    data["effect"]["range"] = [0.0, 20.0]
    with pytest.raises(RecipeError, match=r"sdr_db value 0.0 is outside \(0.0, inf\]"):
        parse_recipe(data, "x.toml")


def test_unknown_task_lists_the_known_ones(capsys):
    assert bench(["generate", "--task", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'nope'" in err and "synth-od" in err and "signaltrain-sdr" in err


def test_bench_tasks_lists_every_recipe(capsys):
    assert bench(["tasks"]) == 0
    out = capsys.readouterr().out
    for name in ("synth-od", "synth-hc", "synth-sdr", "ceg-od", "ceg-hc", "signaltrain-hc", "signaltrain-sdr"):
        assert name in out


# --- determinism and storage -------------------------------------------------------------------

@pytest.mark.parametrize("base", ["synth-od", "synth-hc", "synth-sdr", "sampled-od", "sampled-od-dyn"])
def test_same_recipe_gives_same_bytes_with_any_worker_count(tmp_path, base):
    recipe = small_recipe(tmp_path, base, name=f"tiny-{base}")
    one = generate_task(recipe, tmp_path / "a", workers=1, progress=False)
    two = generate_task(recipe, tmp_path / "b", workers=2, progress=False)
    assert one["fingerprint"] == two["fingerprint"]
    assert shard_hashes(tmp_path / "a" / f"tiny-{base}") == shard_hashes(tmp_path / "b" / f"tiny-{base}")
    # Every example regenerates on its own with identical bytes.
    for split in ("train", "test"):
        for row in iter_examples(tmp_path / "a" / f"tiny-{base}", split):
            fresh = generate_example(recipe, split, row["index"])
            assert fresh["sha256"] == row["sha256"]
            np.testing.assert_array_equal(fresh["distorted"], row["distorted"])


def test_rows_record_every_parameter_and_rebuild_from_the_row(tmp_path):
    recipe = small_recipe(tmp_path, "synth-hc", name="tiny-hc")
    generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-hc"
    test_rows = list(iter_examples(task_dir, "test"))
    assert [r["gain_db"] for r in test_rows[:7]] == [20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0]
    assert len({r["source_file"] for r in test_rows[:7]}) == 1  # one clip at every grid level
    for row in test_rows + list(iter_examples(task_dir, "train")):
        clean = row["clean"].astype(np.float64)
        assert row["clean"].dtype == np.float32 and abs(np.max(np.abs(clean)) - 0.5) < 1e-7
        rebuilt, threshold = apply_effect(row["effect"], clean, json.loads(row["params"]), row["sample_rate"])
        np.testing.assert_array_equal(rebuilt.astype(np.float32), row["distorted"])
        assert threshold == pytest.approx(row["threshold"]) and row["level"] == row["gain_db"]
    train_gains = [r["gain_db"] for r in iter_examples(task_dir, "train")]
    assert all(20 <= g <= 50 for g in train_gains) and len(set(train_gains)) == len(train_gains)


def test_dynamics_recipe_shapes_each_clean_clip_and_overdrives_it_as_sox_does(tmp_path):
    (tmp_path / "plain").mkdir(), (tmp_path / "shaped").mkdir()
    plain = small_recipe(tmp_path / "plain")
    shaped = small_recipe(tmp_path / "shaped", dynamics_db=30.0)
    assert "dynamics_db" not in get_recipe(plain).to_dict()  # recipes without it keep their hash
    assert get_recipe(shaped).dynamics_db == 30.0 and get_recipe(shaped).sha256() != get_recipe(plain).sha256()
    for recipe in (plain, shaped):
        generate_task(recipe, Path(recipe).parent, progress=False)
    pairs = [(before, after) for split in ("train", "test") for before, after in
             zip(iter_examples(tmp_path / "plain" / "tiny-od", split), iter_examples(tmp_path / "shaped" / "tiny-od", split))]
    curves = []  # the gain (dB) each example's clean clip got, at 8 points
    for before, after in pairs:
        assert (before["source_file"], before["source_offset"], before["params"]) == (
            after["source_file"], after["source_offset"], after["params"])  # the same clip at the same level
        assert np.max(np.abs(after["clean"])) == np.float32(0.5)  # back to the recipe's peak
        loud = np.flatnonzero(np.abs(before["clean"]) > 1e-3)
        gain_db = 20 * np.log10(np.abs(after["clean"][loud]) / np.abs(before["clean"][loud]))
        assert 1.0 < np.ptp(gain_db) <= 30.0 + 1e-3  # a curve within the depth
        curves.append(np.interp(np.linspace(0, before["clean"].size - 1, 8), loud, gain_db))
    test_curves = curves[-14:]  # the 2 test clips at 7 levels each
    assert all(np.allclose(c, test_curves[0], atol=0.01) for c in test_curves[:7])  # one curve per clip, every level
    assert not np.allclose(test_curves[0], test_curves[7], atol=1.0)  # another clip, another curve
    require_binary("sox")
    for _, after in pairs:
        by_sox, _ = apply_effect("sox_overdrive", after["clean"].astype(np.float64), json.loads(after["params"]),
                                 16000, backend="sox")
        assert np.array_equal(after["distorted"], by_sox.astype(np.float32))  # the effect on the shaped clip


def test_sdr_task_rows_reach_their_input_sdr(tmp_path):
    recipe = small_recipe(tmp_path, "synth-sdr", name="tiny-sdr")
    generate_task(recipe, tmp_path, progress=False)
    meta = read_metadata(tmp_path / "tiny-sdr", "test")
    assert list(meta["target_sdr_db"][:7]) == [1.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0]
    assert np.all(np.abs(meta["input_sdr_db"] - meta["target_sdr_db"]) <= 0.01)


def test_shards_and_manifest_are_readable_without_our_code(tmp_path):
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-od"
    manifest = json.loads((task_dir / "manifest.json").read_text())
    assert manifest["recipe"]["name"] == "tiny-od" and manifest["versions"]["numpy"] == np.__version__
    assert manifest["versions"]["numpy_simd"] == numpy_simd()  # the CPU's SIMD level (NumPy's float64 loops)
    assert manifest["splits"]["test"]["examples"] == 14 and manifest["splits"]["train"]["examples"] == 6
    assert manifest["hours"] == pytest.approx((6 * 1.0 + 2 * 1.5 + 14 * 2.0) / 3600, abs=1e-6)
    frames = [pd.read_parquet(task_dir / s["file"]) for s in manifest["splits"]["test"]["shards"]]
    table = pd.concat(frames, ignore_index=True)
    assert list(table["id"]) == [f"test-{i:06d}" for i in range(14)]
    assert len(table["clean"][0]) == 32000 and len(table["distorted"][0]) == 32000
    for column in ("source_file", "source_offset", "sample_rate", "gain_db", "params", "sha256", "split"):
        assert column in table.columns
    assert pq.ParquetFile(task_dir / "test" / "part-00000.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_only_regenerates_one_example_identically(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path, progress=False)
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path), "--only", "test-000009"]) == 0
    out = capsys.readouterr().out
    assert "test-000009" in out and "stored copy: identical" in out
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path), "--only", "test-9999"]) == 2
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path), "--only", "bogus"]) == 2


def test_limit_takes_the_first_examples_of_each_split(tmp_path):
    recipe = small_recipe(tmp_path)
    full = generate_task(recipe, tmp_path / "full", progress=False)
    part = generate_task(recipe, tmp_path / "part", limit=3, progress=False)
    assert {s: v["examples"] for s, v in part["splits"].items()} == {"train": 3, "val": 2, "test": 3}
    full_rows = {r["id"]: r["sha256"] for r in iter_examples(tmp_path / "full" / "tiny-od", "train")}
    for row in iter_examples(tmp_path / "part" / "tiny-od", "train"):
        assert full_rows[row["id"]] == row["sha256"]
    assert full["fingerprint"] != part["fingerprint"]


def test_sox_binary_backend_gives_identical_data(tmp_path):
    require_binary("sox")
    recipe = small_recipe(tmp_path)
    a = generate_task(recipe, tmp_path / "a", options=Options(backend="numpy"), progress=False)
    b = generate_task(recipe, tmp_path / "b", options=Options(backend="sox"), progress=False)
    assert a["fingerprint"] == b["fingerprint"] and b["effect_backend"] == "sox"


def test_wav_format_writes_pairs_and_metadata(tmp_path):
    recipe = small_recipe(tmp_path)
    manifest = generate_task(recipe, tmp_path, options=Options(formats=("wav",)), progress=False)
    wav_dir = tmp_path / "tiny-od" / "wav"
    metas = {split: pd.read_csv(wav_dir / split / "metadata.csv") for split in ("train", "val", "test")}
    assert {s: len(m) for s, m in metas.items()} == {"train": 6, "val": 2, "test": 14}
    assert not list((tmp_path / "tiny-od").glob("*/*.parquet"))
    first = metas["train"].iloc[0]  # audiofolder convention: file names relative to the metadata file
    assert first["clean_file_name"] == "train-000000_clean.wav"
    clean, rate = sf.read(wav_dir / "train" / first["clean_file_name"], dtype="float32")
    assert rate == 16000 and clean.shape == (16000,)
    parquet = generate_task(recipe, tmp_path / "pq", progress=False)
    assert parquet["fingerprint"] == manifest["fingerprint"]  # same data, whatever the format
    assert verify_task(tmp_path / "tiny-od", sample=2, progress=False).ok


# --- resume and atomicity ----------------------------------------------------------------------

def test_rerun_skips_finished_shards_and_redoes_missing_ones(tmp_path):
    recipe = small_recipe(tmp_path)
    first = generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-od"
    kept = task_dir / "test" / "part-00000.parquet"
    before = kept.stat().st_mtime_ns
    (task_dir / "test" / "part-00001.parquet").unlink()
    (task_dir / ".records" / "test" / "part-00001.json").unlink()
    stale = task_dir / "test" / f".part-00002.parquet.tmp-{dead_pid()}"
    stale.write_bytes(b"half a shard")
    second = generate_task(recipe, tmp_path, progress=False)
    assert second["fingerprint"] == first["fingerprint"]
    assert kept.stat().st_mtime_ns == before
    assert (task_dir / "test" / "part-00001.parquet").is_file() and not stale.exists()


def test_interrupted_run_leaves_no_half_shard_and_resumes(tmp_path):
    """Ctrl-C during `bench generate`: only complete shards are visible; the next run finishes."""
    recipe = small_recipe(tmp_path, splits={"train": {"clips": 60, "seconds": 2.0, "levels": "uniform"},
                                            "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                            "test": {"clips": 1, "seconds": 1.0, "levels": "grid"}})
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "benchmark.cli", "generate", "--task", recipe, "--out", str(out), "--workers", "2"]
    # SIGINT back to its default in the child: a shell's background job (e.g. `.ci/run &`) starts
    # with it ignored, and Python then keeps ignoring it instead of raising KeyboardInterrupt.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    records = out / "tiny-od" / ".records" / "train"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(records.glob("part-*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, "the run finished before it could be interrupted"
    assert "interrupted" in err.decode()
    done = sorted((out / "tiny-od" / "train").glob("part-*.parquet"))
    assert 2 <= len(done) < 15
    for shard in done:  # every visible shard is whole
        assert len(read_shard(shard)) == 4
    assert not (out / "tiny-od" / "manifest.json").exists()
    resumed = generate_task(recipe, out, progress=False)
    fresh = generate_task(recipe, tmp_path / "fresh", progress=False)
    assert resumed["fingerprint"] == fresh["fingerprint"]


def test_refuses_an_output_folder_of_another_recipe(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path / "out", progress=False)
    changed = tmp_path / "changed"
    changed.mkdir()
    other = small_recipe(changed, seed=99)
    assert bench(["generate", "--task", other, "--out", str(tmp_path / "out")]) == 2
    assert "belongs to another recipe" in capsys.readouterr().err
    manifest = generate_task(other, tmp_path / "out", overwrite=True, progress=False)
    assert manifest["recipe"]["seed"] == 99


# --- verify ------------------------------------------------------------------------------------

def test_verify_names_what_differs(tmp_path, capsys):
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path, progress=False)
    task_dir = tmp_path / "tiny-od"
    assert verify_task(task_dir, progress=False).ok
    import pyarrow as pa
    shard = task_dir / "test" / "part-00001.parquet"
    table = pq.read_table(shard)
    gains = table.column("gain_db").to_pylist()
    gains[1] = 99.0
    table = table.set_column(table.schema.get_field_index("gain_db"), "gain_db", pa.array(gains))
    pq.write_table(table, shard)
    assert bench(["verify", str(task_dir)]) == 1
    out = capsys.readouterr().out
    assert "test-000005: content does not match its sha256" in out
    assert "test-000005: regenerated example differs in gain_db" in out


# --- real-data sources -------------------------------------------------------------------------

def _write_folder(root: Path, names_rates: list[tuple[str, int, int, float]]) -> None:
    """Audio files whose content depends only on their name (tones with a slow tremolo)."""
    for name, rate, channels, seconds in names_rates:
        rng = np.random.default_rng(list(name.encode()))
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(rate * seconds)) / rate
        tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 800) * t) * (1 + 0.2 * np.sin(2 * np.pi * 0.5 * t))
        audio = np.stack([tone * (0.5 + c) for c in range(channels)], axis=1)
        sf.write(path, audio, rate)


def ceg_recipe(tmp_path: Path) -> str:
    return small_recipe(tmp_path, "ceg-od", name="tiny-ceg")


def test_ceg_folder_any_rate_stereo_sorted(tmp_path):
    root = tmp_path / "ceg"
    files = [("b/loop2.wav", 44100, 2, 7.0), ("a/loop1.flac", 22050, 1, 6.0), ("c.wav", 16000, 1, 5.0),
             ("d/e/solo.wav", 48000, 2, 9.0), ("x.aiff", 32000, 1, 4.5)]
    _write_folder(root, files)
    recipe = ceg_recipe(tmp_path)
    manifest = generate_task(recipe, tmp_path / "out", options=Options(source_root=str(root)), progress=False)
    counts = manifest["source"]["files"]
    assert sum(counts.values()) == 5 and min(counts.values()) >= 1
    rows = list(iter_examples(tmp_path / "out" / "tiny-ceg", "test"))
    assert all(r["sample_rate"] == 16000 and len(r["clean"]) == 32000 for r in rows)
    rates = {r["source_file"]: r["source_sample_rate"] for split in ("train", "val", "test")
             for r in iter_examples(tmp_path / "out" / "tiny-ceg", split)}
    assert all(rates[name] == dict((f[0], f[1]) for f in files)[name] for name in rates)
    # A copy created in another order (so another directory order) gives the same data.
    root2 = tmp_path / "ceg2"
    _write_folder(root2, list(reversed(files)))
    again = generate_task(recipe, tmp_path / "out2", options=Options(source_root=str(root2)), progress=False)
    assert again["fingerprint"] == manifest["fingerprint"]


def test_ceg_test_segments_never_overlap(tmp_path):
    root = tmp_path / "ceg"
    _write_folder(root, [(f"f{i}.wav", 16000, 1, 12.0) for i in range(6)])
    recipe = small_recipe(tmp_path, "ceg-hc", name="tiny-ceg-hc",
                          splits={"train": {"clips": 3, "seconds": 1.0, "levels": "uniform"},
                                  "val": {"clips": 2, "seconds": 1.0, "levels": "uniform"},
                                  "test": {"clips": 5, "seconds": 2.0, "levels": "grid"}})
    generate_task(recipe, tmp_path / "out", options=Options(source_root=str(root)), progress=False)
    meta = read_metadata(tmp_path / "out" / "tiny-ceg-hc", "test")
    clips = meta.drop_duplicates(["source_file", "source_offset"])
    assert len(clips) == 5
    for _, group in clips.groupby("source_file"):
        starts = np.sort(group["source_offset"].to_numpy())
        assert np.all(np.diff(starts) >= 32000)


def test_missing_or_empty_source_folder_says_how_to_obtain(tmp_path, capsys):
    assert bench(["generate", "--task", "ceg-od", "--out", str(tmp_path)]) == 2
    assert "needs --source-root" in capsys.readouterr().err
    assert bench(["generate", "--task", "signaltrain-hc", "--source-root", str(tmp_path / "none")]) == 2
    assert "Zenodo" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert bench(["generate", "--task", "ceg-hc", "--source-root", str(tmp_path / "empty")]) == 2
    assert "holds no audio files" in capsys.readouterr().err


def test_bad_audio_files_are_named_and_skippable(tmp_path, capsys):
    root = tmp_path / "ceg"
    _write_folder(root, [(f"good{i}.wav", 16000, 1, 6.0) for i in range(4)])
    (root / "broken.wav").write_bytes(b"RIFF not really a wave file")
    recipe = ceg_recipe(tmp_path)
    out = str(tmp_path / "out")
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", out]) == 2
    err = capsys.readouterr().err
    assert "broken.wav" in err and "--skip-bad" in err
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", out, "--skip-bad"]) == 0
    assert load_manifest(Path(out) / "tiny-ceg")["source"]["skipped_files"] == {"broken.wav": "unreadable"}


def test_truncated_file_is_named(tmp_path, capsys):
    root = tmp_path / "ceg"
    _write_folder(root, [(f"good{i}.wav", 16000, 1, 6.0) for i in range(3)])
    data = (root / "good1.wav").read_bytes()
    (root / "good1.wav").write_bytes(data[: len(data) // 3])  # header still claims 6 s
    assert bench(["generate", "--task", ceg_recipe(tmp_path), "--source-root", str(root),
                  "--out", str(tmp_path / "out")]) == 2
    assert "good1.wav: truncated" in capsys.readouterr().err


def test_short_and_silent_files_are_named(tmp_path, capsys):
    root = tmp_path / "ceg"
    _write_folder(root, [(f"good{i}.wav", 16000, 1, 6.0) for i in range(3)])
    sf.write(root / "tiny.wav", np.full(4000, 0.1), 16000)
    recipe = ceg_recipe(tmp_path)
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "o")]) == 2
    assert "tiny.wav: too short (0.25 s)" in capsys.readouterr().err
    (root / "tiny.wav").unlink()
    for i in range(3):  # every file silent
        sf.write(root / f"good{i}.wav", np.zeros(16000 * 6), 16000)
    assert bench(["generate", "--task", recipe, "--source-root", str(root), "--out", str(tmp_path / "o2")]) == 2
    assert "silent file" in capsys.readouterr().err


def test_signaltrain_layout_keeps_its_splits_and_uses_inputs_only(tmp_path):
    root = tmp_path / "SignalTrain_LA2A_Dataset_1.1"
    files = []
    for folder in ("Train", "Val", "Test"):
        files += [(f"{folder}/input_{i}_.wav", 44100, 1, 5.0) for i in range(2)]
        files += [(f"{folder}/target_{i}_LA2A_3c__0__10.wav", 44100, 1, 5.0) for i in range(2)]
    _write_folder(root, files)
    recipe = small_recipe(tmp_path, "signaltrain-sdr", name="tiny-st")
    generate_task(recipe, tmp_path / "out", options=Options(source_root=str(root)), progress=False)
    for split, folder in (("train", "Train"), ("val", "Val"), ("test", "Test")):
        used = set(read_metadata(tmp_path / "out" / "tiny-st", split)["source_file"])
        assert used and all(name.startswith(f"{folder}/input_") for name in used)


def test_limit_must_be_positive(tmp_path):
    with pytest.raises(GenerateError, match="--limit must be >= 1"):
        generate_task(small_recipe(tmp_path), tmp_path, limit=0, progress=False)


def test_refuses_data_of_another_generator_version(tmp_path, monkeypatch, capsys):
    """Same recipe, other generator code (e.g. a changed synthesizer): never mixed, never reused."""
    import benchmark.dataset.generate as generate

    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path / "out", progress=False)
    monkeypatch.setattr(generate, "GENERATOR_VERSION", generate.GENERATOR_VERSION + 1)
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path / "out")]) == 2
    assert "belongs to another recipe, generator version" in capsys.readouterr().err
    manifest = generate_task(recipe, tmp_path / "out", overwrite=True, progress=False)
    assert manifest["generator_version"] == generate.GENERATOR_VERSION


def test_summary_line_names_the_task_folder_for_a_recipe_file(tmp_path, capsys):
    recipe = small_recipe(tmp_path, "synth-od", name="tiny-line")
    assert bench(["generate", "--task", recipe, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"-> {tmp_path / 'out' / 'tiny-line'}" in out and f"-> {recipe}" not in out


def test_a_closed_pipe_ends_quietly():
    """`bench tasks | head -1`: the reader is gone before bench writes (its end of the pipe is closed)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([Path(sys.executable).with_name("bench"), "tasks"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_every_zero_is_stored_as_plus_zero(tmp_path):
    """The sign of a sample rounded to zero follows the last bit of the C library's or NumPy's
    math, which differs between machines: stored audio has no -0.0 (almost every example had)."""
    recipe = small_recipe(tmp_path)
    generate_task(recipe, tmp_path, progress=False)
    rows = list(iter_examples(tmp_path / "tiny-od", "train", columns=["id", "clean", "distorted"]))
    zeros = sum(int(np.sum(np.asarray(row[c]) == 0)) for row in rows for c in ("clean", "distorted"))
    assert zeros > 1000  # the clips have silence to check
    negative = [row["id"] for row in rows for c in ("clean", "distorted")
                if np.any(np.signbit(np.asarray(row[c], np.float32)) & (np.asarray(row[c]) == 0))]
    assert negative == []


# (task, split, index): with -0.0 stored, sampled-od train 1822 gave other bytes under glibc's
# non-FMA variants (39 zeros flipped sign)
_MACHINE_SENSITIVE = [("synth-od", "train", 0), ("synth-sdr", "test", 3), ("sampled-od", "train", 1822),
                      ("sampled-sdr", "train", 5)]


def test_examples_are_the_same_bytes_with_other_math_libraries():
    """Regenerated where NumPy's SIMD loops and glibc's FMA variants are turned off (each rounds
    some exp, sin, pow ... results differently), every example has the same SHA-256."""
    font = pinned.DEFAULT_FOLDER / pinned.FILE_NAME
    require(f"{font} is missing: apt-get install fluid-soundfont-gm", font.is_file())
    targets = " ".join(sorted({name for sigs in np.lib.introspect.opt_func_info().values() for info in sigs.values()
                               for name in info["available"].split() if not name.startswith("baseline")}))
    script = ("import sys; from benchmark.dataset.generate import generate_example\n"
              f"for task, split, index in {_MACHINE_SENSITIVE!r}:\n"
              "    print(generate_example(task, split, index)['sha256'])")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": targets, "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA"}
    other = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    here = [generate_example(task, split, index)["sha256"] for task, split, index in _MACHINE_SENSITIVE]
    assert other.stdout.split() == here
