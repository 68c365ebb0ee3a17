"""``bench train``: train a neural baseline on a generated task.

Random crops of the train split (seeded by seed, epoch and example), shuffled by a generator
seeded by (seed, epoch); a train split above ``IN_MEMORY_BYTES`` of audio is streamed by shards
(:mod:`benchmark.dataset.torch_dataset`: another sample order, deterministic too); validation on
the whole val split after every epoch (loss and mean SI-SDR); with ``lr_schedule="plateau"`` the
learning rate halves whenever the validation SI-SDR has not improved for PLATEAU_PATIENCE epochs.
After each epoch the full state (weights, optimiser, learning-rate schedule, history, best weights)
is saved atomically to ``OUT/NAME/TASK.state.pt``, so an interrupted run resumes from its
last finished epoch and, on CPU, ends with the same weights as an uninterrupted one.
With ``consistent`` (hard-clipping tasks only) the network's output is projected onto the
signals consistent with its clipped input (:mod:`benchmark.models.consistency`) in training and
inference; with ``odd`` (odd effects only) the network is trained and run as ``(f(x) - f(-x)) / 2``
(:mod:`benchmark.models.symmetry`); with ``peak_normalise`` the network sees its input divided by the input's peak
(:mod:`benchmark.models.scaling`); ``loss`` names the waveform loss (:mod:`benchmark.models.losses`);
with ``precision="bfloat16"`` the training forward passes run under autocast (validation and
the weights stay float32; a run may resume in another precision, each epoch's is in the curve); with ``dynamics_db``
(a random gain curve) or ``timbre_db`` (a random equaliser) half the crops are changed and
distorted anew (:mod:`benchmark.models.augment`); with ``val_task`` the validation, and the choice
of the best epoch, use another task's val split (the same effect: e.g. unseen guitars); with ``init`` a new run starts from another
checkpoint's weights (fine-tuning: they are validated first and are the best weights until an
epoch beats them; the run records the file's SHA-256 and resumes without ``init`` given again).
The result is ``OUT/NAME/TASK.pt`` (best-validation weights, config, data fingerprint, code
version), ``TASK.csv`` (the training curve) and ``TASK.png`` (its plot).
"""
from __future__ import annotations

import copy
import csv
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import atomic_path
from ..dataset.generate import parse_example_id
from ..dataset.recipes import parse_recipe
from ..dataset.shards import DataError, iter_examples, load_manifest, split_fingerprint
from ..dataset.torch_dataset import DistortionDataset, open_split
from ..effects import EFFECTS
from ..hashing import file_sha256
from ..metrics import si_sdr
from . import checkpoint_path
from .checkpoints import CheckpointError, build_network, code_version, load_network, parameter_count, wrap
from .augment import redistort_batch
from .losses import training_loss
from .recipe import TrainConfig, TrainingError
from .symmetry import require_odd_effect

CURVE_FIELDS = ("epoch", "train_loss", "val_loss", "val_si_sdr", "seconds", "lr", "precision")
PLATEAU_PATIENCE = 4  # epochs without a better validation SI-SDR before the learning rate halves


def validate(net: torch.nn.Module, val: DistortionDataset, device: str, batch_size: int,
             loss: str) -> tuple[float, float]:
    """Mean loss and mean SI-SDR (dB) over the whole val split."""
    net.eval()
    losses, scores = [], []
    with torch.no_grad():
        for start in range(0, len(val), batch_size):
            items = [val[i] for i in range(start, min(start + batch_size, len(val)))]
            distorted = torch.stack([d for d, _ in items]).to(device)
            clean = torch.stack([c for _, c in items]).to(device)
            estimate = net(distorted)
            losses.append(float(training_loss(estimate, clean, loss)) * len(items))
            scores.extend(np.atleast_1d(si_sdr(clean.cpu().numpy(), estimate.cpu().numpy())))
    net.train()
    return sum(losses) / len(val), float(np.nanmean(scores))


def cpu_has_bfloat16() -> bool:
    """Whether oneDNN supports bfloat16 on this CPU (it needs AVX-512; without, it emulates it slowly or fails);
    True where this torch build cannot tell."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return True


def _more_epochs(settings: TrainConfig, done: int, seconds: float) -> bool:
    """Whether a run with ``done`` epochs in ``seconds`` of training goes on (``--epochs``, ``--minutes``)."""
    return ((settings.epochs is None or done < settings.epochs)
            and (settings.minutes is None or seconds < settings.minutes * 60))


def batch_loss(model: torch.nn.Module, distorted: torch.Tensor, clean: torch.Tensor, loss: str,
               precision: str = "float32") -> torch.Tensor:
    """The training loss of one batch (batch, samples), the forward pass in ``precision`` (recipe.PRECISIONS)."""
    with torch.autocast(distorted.device.type, torch.bfloat16, enabled=precision == "bfloat16"):
        estimate = model(distorted)
    return training_loss(estimate.float(), clean, loss)


def _save(path: Path, data: dict[str, Any]) -> None:
    with atomic_path(path) as temp:
        torch.save(data, temp)


def _write_curve(path: Path, history: list[dict[str, float]]) -> None:
    with atomic_path(path) as temp:
        with open(temp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CURVE_FIELDS)
            writer.writeheader()
            writer.writerows(history)


def plot_curve(path: Path, history: list[dict[str, float]], title: str) -> None:
    """Training and validation loss, and validation SI-SDR, against the epoch (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(epochs, [h["train_loss"] for h in history], label="train")
    left.plot(epochs, [h["val_loss"] for h in history], label="val")
    left.set(xlabel="epoch", ylabel="loss (-(SI-)SDR/10 + 0.1 MR-STFT)")
    left.legend()
    right.plot(epochs, [h["val_si_sdr"] for h in history], color="C2")
    right.set(xlabel="epoch", ylabel="val SI-SDR (dB)")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=100)
    plt.close(fig)


def _val_split(data: Path, task: str, manifest: dict[str, Any], val_task: str | None) -> tuple[Path, str | None]:
    """The folder whose val split validates a run, and that split's fingerprint (``split_fingerprint``)
    when it is another task's: ``val_task`` must apply the same effect (name and fixed parameters) at
    the same sample rate and hold its whole val split."""
    if not val_task:
        return data / task, None
    val_dir = data / val_task
    try:
        other = load_manifest(val_dir)
    except DataError as exc:
        raise TrainingError(f"--val-task {val_task}: {exc}") from None
    ours, theirs = manifest["recipe"], other["recipe"]
    for field, mine, its in (("sample_rate", ours["sample_rate"], theirs["sample_rate"]),
                             ("effect", (ours["effect"]["name"], ours["effect"]["fixed"]),
                              (theirs["effect"]["name"], theirs["effect"]["fixed"]))):
        if mine != its:
            raise TrainingError(f"--val-task {val_task}: its {field} is {its}, task '{task}' has {mine}")
    held, whole = other["splits"]["val"]["examples"], parse_recipe(theirs).num_examples("val")
    if held < whole:
        raise TrainingError(f"--val-task {val_task}: {val_dir} holds {held} of its {whole} val examples "
                            f"(generated with --limit {other.get('limit')})")
    return val_dir, split_fingerprint(other, "val")


def train(name: str, task: str, settings: TrainConfig, data: str | Path = "data", out: str | Path = "runs",
          device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    """Train (or resume training) network ``name`` on one task; returns the final checkpoint dict.

    Stops after ``settings.epochs`` epochs, or after the epoch in which ``settings.minutes`` of
    training ran out.
    """
    task_dir = Path(data) / task
    manifest = load_manifest(task_dir)
    if manifest.get("limit") is not None:
        warnings.warn(f"{task_dir} holds only the first {manifest['limit']} examples of each split (`bench generate "
                      f"--limit`, or the quick board's share that `bench run` builds): enough for a smoke test, not "
                      f"for training; `bench generate --task {task} --out OTHER_FOLDER` builds the whole task",
                      stacklevel=2)
    rate = manifest["recipe"]["sample_rate"]
    effect = manifest["recipe"]["effect"]["name"]
    val_dir, val_fingerprint = _val_split(Path(data), task, manifest, settings.val_task)
    if settings.consistent and not EFFECTS[effect].hard_clipping:
        clipping = ", ".join(e.name for e in EFFECTS.values() if e.hard_clipping)
        raise TrainingError(f"--consistent needs a hard-clipping task ({clipping}); "
                            f"task '{task}' uses {effect}, whose input does not keep any clean sample")
    if settings.odd:
        require_odd_effect(manifest["recipe"]["effect"], task, "--odd")
    if settings.precision == "bfloat16" and device == "cpu" and not cpu_has_bfloat16():
        raise TrainingError("--precision bfloat16: oneDNN has no bfloat16 support on this CPU (it needs AVX-512); "
                            "bfloat16 steps would be emulated, about 5-6x slower than float32 "
                            "(benchmarks/bench_training_precision.py), and CRAFX's LSTM fails: use --precision "
                            "float32 (a run started in bfloat16 resumes in float32)")
    final_path = checkpoint_path(name, task, out)
    if settings.init and not Path(settings.init).is_file():
        raise CheckpointError(f"--init {settings.init}: no such checkpoint file")
    if settings.init and Path(settings.init).resolve() == final_path.resolve():
        raise CheckpointError(f"--init {settings.init} is the checkpoint this run writes; copy it elsewhere first "
                              f"or choose another --out")
    state_path = final_path.with_suffix(".state.pt")
    torch.manual_seed(settings.seed)
    if device == "cpu":
        torch.use_deterministic_algorithms(True)
    net, kwargs = build_network(name, settings.config)
    net.to(device)
    model = wrap(net, settings.peak_normalise, settings.consistent, settings.odd)  # trained and validated; net holds the weights
    optimiser = torch.optim.Adam(net.parameters(), lr=settings.lr)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, mode="max", factor=0.5, patience=PLATEAU_PATIENCE,
                                                          threshold=0.01, threshold_mode="abs")
    run = {"model": name, "config": kwargs, "task": task, "data_fingerprint": manifest["fingerprint"],
           "seed": settings.seed, "batch_size": settings.batch_size, "crop_seconds": settings.crop_seconds, "lr": settings.lr,
           "consistent": settings.consistent, "loss": settings.loss, "peak_normalised": settings.peak_normalise,
           "lr_schedule": settings.lr_schedule, "precision": settings.precision, "dynamics_db": settings.dynamics_db,
           "init_sha256": file_sha256(settings.init) if settings.init else None, "odd": settings.odd,
           "timbre_db": settings.timbre_db, "val_task": settings.val_task}
    if val_fingerprint:
        run["val_split_fingerprint"] = val_fingerprint
    history: list[dict[str, float]] = []
    val_set = DistortionDataset(val_dir, "val")
    if state_path.is_file():
        state = torch.load(state_path, map_location=device, weights_only=False)
        for option, default in (("consistent", False), ("loss", "sdr"), ("peak_normalised", False),
                                ("lr_schedule", "constant"), ("precision", "float32"), ("dynamics_db", 0.0),
                                ("init_sha256", None), ("odd", False), ("timbre_db", 0.0), ("val_task", None)):
            state["run"].setdefault(option, default)  # states written before the option existed
        if settings.init is None:
            run["init_sha256"] = state["run"]["init_sha256"]  # a fine-tuning run resumes without --init
        for row in state["history"]:
            row.setdefault("precision", state["run"]["precision"])  # curves written before the column existed
        done = len(state["history"])
        if state["run"]["precision"] != settings.precision:  # a speed setting: it may change with the machine
            if _more_epochs(settings, done, sum(h["seconds"] for h in state["history"])):
                warnings.warn(f"--precision {settings.precision}: {state_path} ran epochs 1-{done} in "
                              f"{state['run']['precision']}; epoch {done + 1} on runs in {settings.precision} (the "
                              f"curve's precision column)", stacklevel=2)
                state["run"]["precision"] = settings.precision
            else:  # nothing to train: the checkpoint is written as the state has it
                run["precision"] = state["run"]["precision"]
        if state["run"] != run:
            differs = sorted(k for k in run if state["run"].get(k) != run[k])
            raise CheckpointError(f"{state_path} was trained with other settings ({', '.join(differs)}); "
                                  f"delete it or choose another --out")
        net.load_state_dict(state["weights"])
        optimiser.load_state_dict(state["optimiser"])
        if "schedule" in state:
            schedule.load_state_dict(state["schedule"])
        history, best = state["history"], state["best"]
    else:
        if settings.init:
            try:
                _, start_from = load_network(settings.init, name, device, config=kwargs)
            except CheckpointError as exc:
                raise CheckpointError(f"--init: {exc}") from None
            for option, setting in (("peak_normalised", settings.peak_normalise), ("consistent", settings.consistent),
                                    ("odd", settings.odd)):
                if bool(start_from.get(option)) != setting:
                    warnings.warn(f"--init {settings.init} was trained with {option}={bool(start_from.get(option))}, "
                                  f"this run has {setting}", stacklevel=2)
            net.load_state_dict(start_from["weights"])
        score = validate(model, val_set, device, settings.batch_size, settings.loss)[1] if settings.init else -np.inf
        best = {"val_si_sdr": score, "weights": copy.deepcopy(net.state_dict()), "epoch": 0}
    train_set = open_split(task_dir, "train", crop=round(settings.crop_seconds * rate), seed=settings.seed)
    augmented = bool(settings.dynamics_db or settings.timbre_db)
    if augmented:
        params = {row["id"]: json.loads(row["params"])
                  for row in iter_examples(task_dir, "train", columns=["id", "params"])}
    spent = sum(h["seconds"] for h in history)
    epoch = len(history)
    while _more_epochs(settings, epoch, spent):
        epoch += 1
        start = time.perf_counter()
        total, count = 0.0, len(train_set) // settings.batch_size
        with tqdm(train_set.batches(epoch, settings.batch_size), total=count, desc=f"{name} {task} epoch {epoch}",
                  unit="batch", disable=not progress, leave=False) as bar:
            for number, (ids, distorted, clean) in enumerate(bar, 1):
                if augmented:
                    distorted, clean = map(torch.from_numpy, redistort_batch(
                        distorted.numpy(), clean.numpy(), [parse_example_id(i)[1] for i in ids], [params[i] for i in ids],
                        effect, rate, settings.seed, epoch, settings.dynamics_db, settings.timbre_db))
                distorted, clean = distorted.to(device), clean.to(device)
                loss = batch_loss(model, distorted, clean, settings.loss, settings.precision)
                optimiser.zero_grad()
                loss.backward()
                norm = torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                if not (torch.isfinite(loss) and torch.isfinite(norm)):
                    kept = f"{state_path} keeps epoch {epoch - 1}" if history else "no epoch was finished"
                    raise TrainingError(f"{name} on {task}, epoch {epoch}, batch {number} ({', '.join(ids)}): "
                                        f"loss {float(loss.detach())}, gradient norm {float(norm)}; {kept}")
                optimiser.step()
                total += float(loss.detach())
                bar.set_postfix(loss=f"{total / (bar.n + 1):.3f}")
        val_loss, val_score = validate(model, val_set, device, settings.batch_size, settings.loss)
        seconds = time.perf_counter() - start
        spent += seconds
        history.append({"epoch": epoch, "train_loss": total / count, "val_loss": val_loss,
                        "val_si_sdr": val_score, "seconds": seconds, "lr": optimiser.param_groups[0]["lr"],
                        "precision": settings.precision})
        if val_score > best["val_si_sdr"]:
            best = {"val_si_sdr": val_score, "weights": copy.deepcopy(net.state_dict()), "epoch": epoch}
        if progress:
            tqdm.write(f"{name} {task} epoch {epoch}: train loss {total / count:.3f}, "
                       f"val loss {val_loss:.3f}, val SI-SDR {val_score:.2f} dB ({seconds:.0f} s)")
        if settings.lr_schedule == "plateau":
            schedule.step(val_score)
        _save(state_path, {"run": run, "weights": net.state_dict(), "optimiser": optimiser.state_dict(),
                           "schedule": schedule.state_dict(),
                           "history": history, "best": best})
        _write_curve(final_path.with_suffix(".csv"), history)
    plot_curve(final_path.with_suffix(".png"), history, f"{name} ({settings.config}) on {task}")
    precision = history[best["epoch"] - 1]["precision"] if best["epoch"] else run["precision"]  # the best epoch's
    checkpoint = {**run, "precision": precision, "weights": best["weights"], "best_epoch": best["epoch"], "epochs": len(history),
                  "val_si_sdr": best["val_si_sdr"], "train_seconds": spent, "num_parameters": parameter_count(net),
                  "code_version": code_version(name)}
    _save(final_path, checkpoint)
    return checkpoint
