"""The ``bench`` command: one subcommand per job, each a thin layer over the library."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .recipes import DEFAULT_TASKS, RecipeError, get_recipe, known_tasks

FORMATS = {"parquet": ("parquet",), "wav": ("wav",), "both": ("parquet", "wav")}


def _cmd_tasks(args: argparse.Namespace) -> int:
    print(f"{'task':<17} {'source':<13} {'effect':<14} {'level':<8} {'train':>6} {'val':>5} {'test':>5}  description")
    for name in known_tasks():
        r = get_recipe(name)
        counts = [r.num_examples(s) for s in ("train", "val", "test")]
        print(f"{name:<17} {r.source:<13} {r.effect.name:<14} {r.effect.level:<8} "
              f"{counts[0]:>6} {counts[1]:>5} {counts[2]:>5}  {r.description}"
              + ("  [default]" if name in DEFAULT_TASKS else ""))
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from .generate import GenerateError, Options, generate_task

    tasks = args.task or list(DEFAULT_TASKS)
    options = Options(args.source_root, args.skip_bad, args.effect_backend, FORMATS[args.format])
    if args.only:
        if len(tasks) != 1:
            raise GenerateError("--only needs exactly one --task")
        return _regenerate_one(tasks[0], args.only, Path(args.out), options)
    for task in tasks:
        start = time.perf_counter()
        manifest = generate_task(task, args.out, args.limit, args.workers, options, args.overwrite)
        counts = ", ".join(f"{s} {v['examples']}" for s, v in manifest["splits"].items())
        skipped = sum(sum(v["skipped_segments"].values()) for v in manifest["splits"].values())
        print(f"{task}: {counts} examples, {manifest['hours']:.3f} h of audio, {skipped} segments skipped, "
              f"fingerprint {manifest['fingerprint'][:16]} ({time.perf_counter() - start:.1f} s) -> "
              f"{Path(args.out) / task}")
    return 0


def _regenerate_one(task: str, example: str, out: Path, options) -> int:
    """``bench generate --only ID``: rebuild one example, compare it with the stored copy if any."""
    from .data import DataError, iter_examples
    from .generate import make_example, parse_example_id
    from .sources import open_source
    from .storage import wav_names, write_wav_part

    recipe = get_recipe(task)
    split, index = parse_example_id(example)
    row, _ = make_example(recipe, open_source(recipe, options.source_root, options.skip_bad), split, index, options)
    task_dir = out / recipe.name
    print(f"{recipe.name} {row['id']}: {row['effect']} {row['params']} input SDR {row['input_sdr_db']:.2f} dB "
          f"from {row['source_file']}@{row['source_offset']}\n  sha256 {row['sha256']}")
    if "wav" in options.formats:
        wav_dir = task_dir / "wav"
        write_wav_part(wav_dir, wav_dir / "only" / f"{row['id']}.csv", [row])
        print("  wrote " + ", ".join(str(wav_dir / p) for p in wav_names(row).values()))
    try:
        stored = next((r for r in iter_examples(task_dir, split, columns=["id", "sha256"]) if r["id"] == row["id"]), None)
    except DataError:
        stored = None
    if stored is None:
        print(f"  no stored copy under {task_dir}")
        return 0
    same = stored["sha256"] == row["sha256"]
    print(f"  stored copy: {'identical' if same else 'DIFFERS (sha256 ' + stored['sha256'] + ')'}")
    return 0 if same else 1


def _cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify_task

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
    from .evaluate import evaluate, format_summary

    for task in args.task or list(DEFAULT_TASKS):
        summary = evaluate(args.submission, task, args.data, args.results, args.device, args.batch_size,
                           args.timeout, name=args.name)
        print(format_summary(summary) + ("  (up to date, not re-run)" if summary.get("reused") else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("tasks", help="list the known tasks").set_defaults(run=_cmd_tasks)

    gen = sub.add_parser("generate", help="build task datasets (default: the three synthetic tasks)")
    gen.add_argument("--task", action="append", help="task name or recipe .toml (repeatable)")
    gen.add_argument("--out", default="data", help="output folder (default ./data)")
    gen.add_argument("--limit", type=int, help="only the first N examples of each split")
    gen.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    gen.add_argument("--source-root", help="folder of the real dataset (CEG or SignalTrain tasks)")
    gen.add_argument("--format", choices=list(FORMATS), default="parquet")
    gen.add_argument("--only", metavar="ID", help="regenerate one example, e.g. test-000012")
    gen.add_argument("--skip-bad", action="store_true", help="skip unreadable, truncated or too short files")
    gen.add_argument("--overwrite", action="store_true", help="replace data of another recipe in the output folder")
    gen.add_argument("--effect-backend", choices=["numpy", "sox"], default="numpy",
                     help="numpy reimplementation (default) or the real sox binary")
    gen.set_defaults(run=_cmd_generate)

    ver = sub.add_parser("verify", help="recompute and check every hash of generated tasks")
    ver.add_argument("task_dir", nargs="+", help="task folder(s), e.g. data/synth-od")
    ver.add_argument("--sample", type=int, help="regenerate only N examples per split (0: none; default all)")
    ver.add_argument("--source-root", help="real dataset folder, if it moved since generation")
    ver.set_defaults(run=_cmd_verify)

    ev = sub.add_parser("evaluate", help="score a submission file on generated tasks")
    ev.add_argument("--submission", required=True, help="a Python file defining `class Model` (see README)")
    ev.add_argument("--task", action="append", help="task (repeatable; default: the three default tasks)")
    ev.add_argument("--data", default="data", help="generated data folder (default ./data)")
    ev.add_argument("--results", default="results", help="results folder (default ./results)")
    ev.add_argument("--name", help="name of the results folder (default: the file's stem)")
    ev.add_argument("--device", default="cpu", help="passed to Model(task, device), e.g. cuda")
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per batch (default 600)")
    ev.set_defaults(run=_cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .data import DataError
    from .generate import GenerateError
    from .sources import SourceError
    from .submission import SubmissionError

    try:
        return args.run(args)
    except (RecipeError, SourceError, GenerateError, DataError, SubmissionError) as exc:
        print(f"bench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bench {args.command}: interrupted; finished work is kept, run again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
