"""The ``bench`` command: one subcommand per job, each a thin layer over the library."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections import Counter
from pathlib import Path

# Only light imports here; each command imports what it uses when it runs: the fork server that
# starts the submissions' processes of an evaluation started by `bench` (on Windows, every spawned
# child) imports this module again, and the data package alone takes about 1.7 s to import.
from . import paths
from .baselines import BASELINES
from .errors import BenchmarkError
from .models import NETWORKS
from .models.recipe import LOSSES, LR_SCHEDULES, PRECISIONS, TrainConfig


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (worker counts, sizes)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _folder(path: str | Path, flag: str) -> Path:
    """An output folder given on the command line; a clear error when it names a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BenchmarkError(f"{flag} {path} is a file, not a folder")
    return path


FORMATS = {"parquet": ("parquet",), "wav": ("wav",), "both": ("parquet", "wav")}


def _add_metric_flags(parser: argparse.ArgumentParser) -> None:
    from .metrics.fad import EMBEDDING_MODELS

    parser.add_argument("--visqol", action="store_true",
                        help="also score ViSQOL (audio mode, MOS-LQO; the [visqol] extra; about 2 s per 10 s example)")
    parser.add_argument("--fad-model", choices=list(EMBEDDING_MODELS), default="vggish",
                        help="embedding model of FAD (default vggish)")
    parser.add_argument("--fad-weights", metavar="PATH",
                        help="its weights file, e.g. vggish-10086976.pth (checked by SHA-256; never downloaded); "
                             "without it FAD is not computed")


def _add_scheduler_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help=f"run {what} on a Dask cluster: tcp://HOST:8786 (a running scheduler) or local:N (N worker "
                             "processes on this machine); needs the [cluster] extra (README, 'Scaling out')")


def _opt_in(args: argparse.Namespace) -> tuple[str, ...]:
    """The opt-in metrics the flags ask for (``benchmark.metrics.OPT_IN``), their packages checked."""
    from .metrics import METRICS

    chosen = [m for m in METRICS if m.enable and getattr(args, m.enable.removeprefix("--").replace("-", "_"))]
    for m in chosen:
        if m.require is not None:
            m.require()
    return tuple(m.name for m in chosen)


def _fad_embedder(args: argparse.Namespace):
    """The FAD embedding model the flags ask for, loaded once; None without --fad-weights."""
    if not args.fad_weights:
        return None
    from .metrics.fad import load_embedding_model

    return load_embedding_model(args.fad_model, args.fad_weights, args.device)


def _cmd_tasks(args: argparse.Namespace) -> int:
    from .dataset.recipes import DEFAULT_TASKS, SPLITS, get_recipe, known_tasks

    print(f"{'task':<20} {'source':<13} {'effect':<22} {'level':<9} {'train':>6} {'val':>5} {'test':>5}  description")
    for name in known_tasks():
        r = get_recipe(name)
        counts = [r.num_examples(s) for s in SPLITS]
        print(f"{name:<20} {r.source:<13} {r.effect.name:<22} {r.effect.level:<9} "
              f"{counts[0]:>6} {counts[1]:>5} {counts[2]:>5}  {r.description}"
              + ("  [default]" if name in DEFAULT_TASKS else ""))
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from .dataset.generate import GenerateError, Options, generate_task
    from .dataset.recipes import DEFAULT_TASKS
    from .executor import open_cluster

    tasks = args.task or list(DEFAULT_TASKS)
    _folder(args.out, "--out")
    options = Options(args.source_root, args.skip_bad, args.effect_backend, FORMATS[args.format])
    if args.only:
        if len(tasks) != 1:
            raise GenerateError("--only needs exactly one --task")
        return _regenerate_one(tasks[0], args.only, Path(args.out), options)
    with open_cluster(args.scheduler) as cluster:
        for task in tasks:
            start = time.perf_counter()
            manifest = generate_task(task, args.out, args.limit, args.workers, options, args.overwrite, executor=cluster)
            counts = ", ".join(f"{s} {v['examples']}" for s, v in manifest["splits"].items())
            print(f"{task}: {counts} examples, {manifest['hours']:.3f} h of audio, {_skips(manifest)}, "
                  f"fingerprint {manifest['fingerprint'][:16]} ({time.perf_counter() - start:.1f} s) -> "
                  f"{Path(args.out) / manifest['task']}")
            if manifest["rebuilt"]:
                print(f"  rebuilt {len(manifest['rebuilt'])} shard(s) found missing or damaged: "
                      + ", ".join(manifest["rebuilt"]))
            for split, name in manifest["source"].get("borrowed", {}).items():
                print(f"  note: too few files for a stable split: the {split} split borrowed {name}, which may move "
                      "when files are added (see datasets/README.md)")
    return 0


def _by_reason(counts: Counter) -> str:
    return ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(counts.items()) if n)


def _skips(manifest: dict) -> str:
    """What a run skipped: files at scan time, files found bad while reading, segments; per reason."""
    parts = []
    if scanned := manifest["source"].get("skipped_files"):
        parts.append(f"{len(scanned)} file(s) skipped at scan ({_by_reason(Counter(scanned.values()))})")
    bad = {name: reason for v in manifest["splits"].values() for name, reason in v["bad_files"].items()}
    if bad:
        parts.append(f"{len(bad)} file(s) found bad while reading ({_by_reason(Counter(bad.values()))})")
    segments = Counter()
    for v in manifest["splits"].values():
        segments.update(v["skipped_segments"])
    total = sum(segments.values())
    parts.append(f"{total} segment(s) skipped" + (f" ({_by_reason(segments)})" if total else ""))
    return ", ".join(parts)


def _regenerate_one(task: str, example: str, out: Path, options) -> int:
    """``bench generate --only ID``: rebuild one example, compare it with the stored copy if any."""
    from .dataset.generate import regenerate_example

    result = regenerate_example(task, example, out, options)
    row = result.row
    print(f"{row['task']} {row['id']}: {row['effect']} {row['params']} input SDR {row['input_sdr_db']:.2f} dB "
          f"from {row['source_file']}@{row['source_offset']}\n  sha256 {row['sha256']}")
    if result.wav_files:
        print("  wrote " + ", ".join(str(p) for p in result.wav_files))
    if result.identical is None:
        print(f"  no stored copy under {out / row['task']}")
        return 0
    print(f"  stored copy: {'identical' if result.identical else 'DIFFERS (sha256 ' + result.stored_sha256 + ')'}")
    return 0 if result.identical else 1


def _cmd_verify(args: argparse.Namespace) -> int:
    from .dataset.verify import verify_task

    status = 0
    for task_dir in args.task_dir:
        report = verify_task(task_dir, args.sample, args.source_root)
        for problem in report.problems:
            print(f"  {problem}")
        print(f"{task_dir}: {'OK' if report.ok else f'{len(report.problems)} problem(s)'} "
              f"({report.checked_rows} rows hashed, {report.regenerated} regenerated)")
        status |= 0 if report.ok else 1
    return status


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .dataset.recipes import DEFAULT_TASKS, known_tasks
    from .dataset.shards import DataError, built_tasks
    from .executor import open_cluster
    from .harness.evaluate import evaluate
    from .harness.summary import format_summary

    _folder(args.results, "--results")
    tasks = args.task or built_tasks(args.data, known_tasks())
    if not tasks:
        raise DataError(f"no task is built in {args.data}: `bench run` builds the quick board's there, `bench "
                        f"generate` the default tasks ({', '.join(DEFAULT_TASKS)}); or name one with --task")
    fad = _fad_embedder(args)
    with open_cluster(args.scheduler) as cluster:
        for task in tasks:
            summary = evaluate(args.submission, task, args.data, args.results, device=args.device,
                               batch_size=args.batch_size, timeout=args.timeout, name=args.name, fad=fad,
                               executor=cluster, opt_in=_opt_in(args))
            print(format_summary(summary) + ("  (up to date, not re-run)" if summary.get("reused") else ""))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .models.train import train

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    # every setting has its flag of the same name (--batch-size: batch_size)
    settings = TrainConfig(**{field.name: getattr(args, field.name) for field in dataclasses.fields(TrainConfig)})
    checkpoint = train(args.model, args.task, settings, args.data, args.out, args.device)
    print(f"{args.model} on {args.task}: best val SI-SDR {checkpoint['val_si_sdr']:.2f} dB at epoch "
          f"{checkpoint['best_epoch']} of {checkpoint['epochs']} ({checkpoint['train_seconds'] / 60:.1f} min, "
          f"{checkpoint['num_parameters']} parameters) -> {Path(args.out) / args.model / (args.task + '.pt')}")
    return 0


def _cmd_symmetrise(args: argparse.Namespace) -> int:
    from .models import checkpoint_path
    from .models.symmetrise import symmetrise

    for task in args.task:
        path = checkpoint_path(args.model, task, args.checkpoints)
        result = symmetrise(path, args.model, args.data, args.device)
        print(f"{args.model} on {task}: val SI-SDR plain {result['plain']:.2f} dB, odd {result['odd']:.2f} dB -> "
              f"runs {'odd' if result['chosen'] else 'plain'} ({path})")
    return 0


def _board_folder(args: argparse.Namespace) -> Path:
    """Where `bench run` / `bench leaderboard` write: --out, else the published board with
    --publish, else the user's ./board."""
    from .pipeline import USER_BOARD

    return _folder(args.out or (paths.leaderboard_dir() if args.publish else USER_BOARD), "--out")


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from .dataset.recipes import BENCHMARK_TASKS, FULL_TASKS, get_recipe
    from .pipeline import publish, user_board

    out = _board_folder(args)
    if args.publish:
        written = publish(args.results, [get_recipe(t).name for t in BENCHMARK_TASKS + FULL_TASKS], out)
    else:
        written = user_board(args.results, out, args.submission)
    for path in written:
        print(path)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run

    out = _board_folder(args)
    run(args.data, args.results, args.task, args.device, args.workers, out, args.publish, _fad_embedder(args),
        args.scheduler, _opt_in(args))
    print(f"{'published board' if args.publish else 'board'} written to {out}/README.md and {out}/index.html")
    return 0


def _cmd_paper_demo(args: argparse.Namespace) -> int:
    from .pipeline import demo_rows
    from .report.paper_demo import DEMO_TABLE, write_markdown, write_rows

    out = Path(args.out or paths.leaderboard_dir() / DEMO_TABLE)
    rows = demo_rows(args.demo_dir, args.device, args.family, args.workers)
    write_rows(rows, out.with_suffix(".csv"))
    write_markdown(rows, out)
    print(f"wrote {out} and its rows, {out.with_suffix('.csv')}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .pipeline import check

    leaderboard = Path(args.leaderboard or paths.leaderboard_dir())
    demo_dir = args.demo_dir  # "" turns the paper-demo check off
    if demo_dir is None and paths.paper_demo_dir().is_dir():
        demo_dir = paths.paper_demo_dir()
    moved = check(args.data, args.results, args.update, args.device, args.workers, leaderboard / "published.json",
                  demo_dir or None, args.task, _fad_embedder(args), args.scheduler, _opt_in(args), args.full,
                  args.baseline)
    if args.update:
        print(f"rewrote {leaderboard / 'published.json'} and the published board beside it")
        return 0
    if not moved:
        print("bench check: every published number holds")
        return 0
    print(f"bench check: {len(moved)} published number(s) moved beyond their tolerance:")
    print(f"  {'entry':<40} {'field':<28} {'published':>14} {'now':>14}")
    for key, field, old, new in moved:
        print(f"  {key:<40} {field:<28} {old!s:>14} {new!s:>14}")
    return 1


def build_parser() -> argparse.ArgumentParser:
    from .dataset.recipes import FULL_FAMILY, QUICK_FAMILY

    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("tasks", help="list the known tasks").set_defaults(run=_cmd_tasks)

    gen = sub.add_parser("generate", help="build task datasets (default: the three synthetic tasks)")
    gen.add_argument("--task", action="append", help="task name or recipe .toml (repeatable)")
    gen.add_argument("--out", default="data", help="output folder (default ./data)")
    gen.add_argument("--limit", type=int, help="only the first N examples of each split (into a folder holding "
                     "more, only with --overwrite)")
    gen.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    gen.add_argument("--source-root", help="folder of the real dataset (CEG or SignalTrain tasks)")
    gen.add_argument("--format", choices=list(FORMATS), default="parquet")
    gen.add_argument("--only", metavar="ID", help="regenerate one example, e.g. test-000012")
    gen.add_argument("--skip-bad", action="store_true",
                     help="skip unreadable, truncated, too short, silent or non-finite files (the manifest names them)")
    gen.add_argument("--overwrite", action="store_true",
                     help="replace data of another recipe, source folder or a larger --limit in the output folder")
    gen.add_argument("--effect-backend", choices=["numpy", "sox"], default="numpy",
                     help="numpy reimplementation (default) or the real sox binary")
    _add_scheduler_flag(gen, "the shards")
    gen.set_defaults(run=_cmd_generate)

    ver = sub.add_parser("verify", help="recompute and check every hash of generated tasks")
    ver.add_argument("task_dir", nargs="+", help="task folder(s), e.g. data/synth-od")
    ver.add_argument("--sample", type=int, help="regenerate only N examples per split (0: none; default all)")
    ver.add_argument("--source-root", help="real dataset folder, if it moved since generation")
    ver.set_defaults(run=_cmd_verify)

    ev = sub.add_parser("evaluate", help="score a submission file on generated tasks")
    ev.add_argument("--submission", required=True, help="a Python file defining `class Model` (see README)")
    ev.add_argument("--task", action="append", help="task (repeatable; default: every task built in --data)")
    ev.add_argument("--data", default="data", help="generated data folder (default ./data)")
    ev.add_argument("--results", default="results", help="results folder (default ./results)")
    ev.add_argument("--name", help="name of the results folder (default: the file's stem)")
    ev.add_argument("--device", default="cpu", help="passed to Model(task, device), e.g. cuda")
    ev.add_argument("--batch-size", type=_positive_int, default=8)
    ev.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per batch (default 600)")
    _add_metric_flags(ev)
    _add_scheduler_flag(ev, "the batches")
    ev.set_defaults(run=_cmd_evaluate)

    tr = sub.add_parser("train", help="train a neural baseline on a generated task")
    tr.add_argument("--model", required=True, choices=list(NETWORKS))
    tr.add_argument("--task", required=True)
    tr.add_argument("--data", default="data")
    tr.add_argument("--out", default="runs", help="writes OUT/MODEL/TASK.pt, .csv, .png (default ./runs)")
    budget = tr.add_mutually_exclusive_group(required=True)
    budget.add_argument("--epochs", type=int)
    budget.add_argument("--minutes", type=float, help="stop after the epoch in which this budget runs out")
    tr.add_argument("--config", default=TrainConfig.config,
                    help="a key of the network's CONFIGS: small (CPU, the default), paper, or a variant "
                         "such as small-linear (Wave-U-Net) or small-resample (Demucs)")
    tr.add_argument("--device", default="cpu")
    tr.add_argument("--seed", type=int, default=TrainConfig.seed)
    tr.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    tr.add_argument("--crop-seconds", type=float, default=TrainConfig.crop_seconds,
                    help="length of the random training crops (s); up to the training clips' length "
                         "(4 s on the sampled tasks), which suits Demucs' whole-input normalisation")
    tr.add_argument("--lr", type=float, default=TrainConfig.lr)
    tr.add_argument("--consistent", action="store_true",
                    help="hard-clipping tasks: keep the input's unclipped samples and clamp the clipped ones "
                         "to at least the clipping level (benchmark.models.consistency)")
    tr.add_argument("--loss", choices=LOSSES, default=TrainConfig.loss,
                    help="waveform loss: -SDR (default) or -SI-SDR, each plus 0.1 x MR-STFT")
    tr.add_argument("--peak-normalise", action="store_true",
                    help="run the network on its input divided by the input's peak (scale-equivariant)")
    tr.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=TrainConfig.lr_schedule,
                    help="constant (default), or halve the learning rate when the validation SI-SDR stalls")
    tr.add_argument("--precision", choices=PRECISIONS, default=TrainConfig.precision,
                    help="bfloat16: the training forward passes under autocast, faster where the CPU has "
                         "bfloat16 instructions (AVX-512 BF16, AMX) or on a GPU; refused on a CPU without AVX-512; "
                         "validation and the weights stay float32; a run may resume in another precision")
    tr.add_argument("--dynamics-db", type=float, default=TrainConfig.dynamics_db,
                    help="dynamics augmentation: half the crops get a random gain curve down to this depth (dB) "
                         "and the task's effect is applied to them anew (benchmark.models.augment; default 0: off)")
    tr.add_argument("--timbre-db", type=float, default=TrainConfig.timbre_db,
                    help="timbre augmentation: half the crops get a random low shelf, peak and high shelf within "
                         "+-this gain (dB) and the task's effect anew (benchmark.models.augment; default 0: off)")
    tr.add_argument("--val-task", metavar="TASK",
                    help="validate, and keep the best epoch, on this task's val split instead of the trained "
                         "task's (the same effect), e.g. sampled-od-unseen: guitars sampled-od never plays")
    tr.add_argument("--init", metavar="CHECKPOINT",
                    help="start from the weights of this checkpoint (bench train's .pt, same network and config)")
    tr.add_argument("--odd", action="store_true",
                    help="odd effects (SoX overdrive at colour 0, symmetric clipping): train and run the network as "
                         "(f(x) - f(-x)) / 2, exactly odd (benchmark.models.symmetry); twice the compute per step")
    tr.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    tr.set_defaults(run=_cmd_train)

    sy = sub.add_parser("symmetrise", help="run a checkpoint as an odd network, (f(x) - f(-x)) / 2, when its "
                                           "task's val split scores that higher (odd effects only)")
    sy.add_argument("--model", required=True, choices=list(NETWORKS))
    sy.add_argument("--task", required=True, action="append", help="task (repeatable)")
    sy.add_argument("--checkpoints", default="runs", help="folder of MODEL/TASK.pt, rewritten in place (default ./runs)")
    sy.add_argument("--data", default="data", help="generated data folder holding the tasks' val splits")
    sy.add_argument("--device", default="cpu")
    sy.set_defaults(run=_cmd_symmetrise)

    lb = sub.add_parser("leaderboard", help="render tables and plots of evaluated submissions (your board)")
    lb.add_argument("--results", default="results")
    lb.add_argument("--out", help="board folder (default ./board; with --publish the repository's leaderboard/)")
    lb.add_argument("--submission", action="append", metavar="NAME",
                    help="show only the registered baselines and this results name (repeatable; default: all results)")
    lb.add_argument("--publish", action="store_true",
                    help="render the published board instead: the registered baselines on the benchmark's tasks")
    lb.set_defaults(run=_cmd_leaderboard)

    rn = sub.add_parser("run", help="the whole default benchmark: data, every baseline, the leaderboard")
    rn.add_argument("--task", action="append", help="task (repeatable; default: the quick board's five)")
    rn.add_argument("--data", default="data")
    rn.add_argument("--results", default="results")
    rn.add_argument("--out", help="board folder (default ./board; with --publish the repository's leaderboard/)")
    rn.add_argument("--publish", action="store_true",
                    help="render the published board (the registered baselines only) instead of your ./board")
    rn.add_argument("--device", default="cpu")
    rn.add_argument("--workers", type=_positive_int, default=2, help="processes for generation and for evaluations (default 2)")
    _add_metric_flags(rn)
    _add_scheduler_flag(rn, "generation and evaluation")
    rn.set_defaults(run=_cmd_run)

    ck = sub.add_parser("check", help="recompute the published leaderboard numbers; fail if one moved")
    ck.add_argument("--task", action="append", help="task (repeatable; default: the five quick tasks and the full board's three)")
    ck.add_argument("--data", default="data")
    ck.add_argument("--results", default="results")
    ck.add_argument("--leaderboard", help="folder holding published.json (default: the repository's leaderboard/)")
    ck.add_argument("--demo-dir", help="the paper's demo audio, checked too: its first clip of each task at every level, every "
                         "clip with --full or --update (default ../shared/paper-demo if present; '' for none)")
    ck.add_argument("--update", action="store_true",
                    help="rewrite published.json and re-render the published board (a deliberate, reviewed act)")
    ck.add_argument("--full", action="store_true",
                    help="evaluate the full board's tasks on every example and score every paper-demo clip, not "
                         "their fixed samples (about an hour on 2 cores; needed with --update to publish the full board)")
    ck.add_argument("--baseline", action="append", choices=list(BASELINES),
                    help="only this registered baseline (repeatable; default: all): with --update --full, publish one "
                         "retrained network without evaluating the others again")
    ck.add_argument("--device", default="cpu")
    ck.add_argument("--workers", type=_positive_int, default=2, help="processes for generation and for evaluations (default 2)")
    _add_metric_flags(ck)
    _add_scheduler_flag(ck, "generation and evaluation")
    ck.set_defaults(run=_cmd_check)

    pd_ = sub.add_parser("paper-demo", help="score the paper's demo outputs and our baselines on its clips")
    pd_.add_argument("--demo-dir", required=True, help="e.g. ../shared/paper-demo")
    pd_.add_argument("--out", help="the table, its rows beside it as .csv (default: the repository's leaderboard/paper-demo.md)")
    pd_.add_argument("--device", default="cpu")
    pd_.add_argument("--family", choices=[FULL_FAMILY, QUICK_FAMILY],
                     help="our networks use the weights of this family's matching task (default: "
                     f"{FULL_FAMILY}'s where a network has them, else {QUICK_FAMILY}'s)")
    pd_.add_argument("--workers", type=_positive_int, default=2, help="processes (default 2)")
    pd_.set_defaults(run=_cmd_paper_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BenchmarkError as exc:
        print(f"bench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bench {args.command}: interrupted; finished work is kept, run again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`bench tasks | head -1`): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
