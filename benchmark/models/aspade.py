"""A-SPADE sparse declipping (Kitić, Bertin & Gribonval, LVA/ICA 2015): the paper's baseline.

Run as the declipping survey's reference code runs it (Záviška, Rajmic, Ozerov & Rencker,
IEEE JSTSP 2021; GitHub rajmic/declipping2020_codes, ``aspade.m``, ``spade_segmentation.m``):

- Frames: periodic Hann analysis window of ``w`` samples, peak-normalised, hop ``w/4``.
  The signal is zero-padded at the end to ``L = ceil(Ls/hop)*hop + (w/hop - 1)*hop``
  samples; frame ``n`` covers samples ``n*hop - w/2 ... n*hop + w/2 - 1``, read circularly
  over ``L``. Padding counts as reliable. Synthesis is overlap-add with the dual window
  ``g / sum_m g(. + m*hop)**2`` (the survey's ``gabdual(g)*w``).
- Per frame, ADMM with hard thresholding. ``A`` is the unitary DFT of the frame zero-padded
  to ``2w`` (redundancy 2). Start with ``x = y``, ``z = A x``, ``u = 0``, ``k = s``. Loop:
  ``zbar = H_k(z + u)`` keeps the k largest of the half spectrum (DC halved for ranking,
  conjugate pairs kept together); the objective ``||z - zbar||`` picks the iterate returned
  (the best so far) and stops the frame once ``<= epsilon``; ``x = P(A^H (zbar - u))``;
  ``z = A x``; ``u += z - zbar``; ``k += s`` every ``r`` iterations. ``P`` is the projection
  onto the consistent set: reliable samples equal ``y``, clipped-high samples ``>= y``,
  clipped-low samples ``<= y``. Defaults ``s = 1``, ``r = 2``, ``epsilon = 0.1``.
- Iteration cap: the survey's ``ceil(floor(w*redundancy/2 + 1) * r/s)``, i.e. ``2w + 2``
  (2050 at ``w = 1024``): enough iterations for ``k`` to reach every coefficient.

Additions to the survey's code, none of which changes its result by more than float64
rounding unless said so:

- Clipped samples are found from the input alone (see ``clipping_masks``) unless the
  caller gives the threshold.
- ``epsilon`` is absolute, so A-SPADE depends on the signal's scale. Each signal is scaled
  so that its clipping level is ``reference_level`` (default 1, the full-scale
  ``clip(g*x, -1, 1)`` of the paper's inputs) before iterating, and scaled back after.
  ``reference_level=None`` runs on the input as given, as the survey does.
- Frames without clipped samples are not iterated: every iterate of such a frame is the
  windowed input, so the survey's code returns exactly that.
- The output is projected once more onto the consistent set, so that reliable samples
  equal the input bit for bit (overlap-add alone restores them to within rounding).
- On the CPU, frames iterate in slots (``SLOTS`` per thread): two batched FFTs per iteration
  and two numba kernels, one for the thresholding half (each frame with its own ``k``) and one
  for the projection; a frame that meets ``epsilon`` or the cap hands its slot to the next
  waiting frame, so the FFTs always run on full batches. The FFTs are FFTW's when the ``fftw``
  extra (pyFFTW) is installed, else NumPy's, unnormalised: z, u and the objective are
  ``sqrt(2w)`` times A's (``epsilon`` scaled alike; ``H_k`` does not see the scale) and the
  projection undoes the inverse's factor ``2w``. Magnitudes are ranked by their squares, and
  ``H_k`` finds its threshold by quickselect among the squares in ``[BOUND t, t / BOUND)``
  around the frame's previous threshold ``t``, after counting those above; where the k-th
  largest lies outside, the window moves towards it (``WIDEN_LIMIT`` times at most) and the
  squares are counted again; the window's squares are gathered eight at a time, compressed in
  a vector register (``_gather_window8``). On the 10 s benchmark clip: about 24 of 1025
  squares in the window, all searched in 0.2-0.3 % of iterations (mostly a frame's first).
  With ``backend="torch"`` (CPU or CUDA, float64) all frames iterate together and leave the
  batch when they meet ``epsilon``. Each equals a frame-by-frame run within 1e-9.
- Speed (``benchmarks/bench_aspade.py``, 10 s clip at 7 dB, 2 cores): 16.9x the frame-by-frame
  reference on one thread, 32.1x on two. Per frame (2048-sample FFTs), FFTW's take 2.3
  µs forward and 2.4 µs inverse (FFTW_ESTIMATE plans, which are chosen without timing and so
  are the same on every run; the inverse may overwrite its input, a copy the kernel writes),
  ducc0's 3.2 and 3.9 µs. FFTW_MEASURE plans were no faster in this loop and may differ from
  run to run. ``A`` stays the float64 FFT of 2w samples: float32 ran 1.4-1.9x faster but moved
  samples by up to 0.05 and ΔSDR by up to 0.06 dB on a 10 s clip (peak 0.5; the thresholding
  picks other coefficients), beyond the published numbers' 0.01 dB. An FFT pruned for the zero
  half (even bins: a real FFT of w samples; odd bins: a complex one of w/2 after a twiddle)
  would gain little: ducc0 took 2.5 + 2.2 µs per frame against 5.2 µs for 2w samples, before
  the twiddle and packing passes.

Window length: ``w = 1024`` at 16 kHz (64 ms, hop 256), scaled with the sample rate to
the nearest power of two. See ``WINDOW_SECONDS`` for why.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ..effects import CLIP_TOLERANCE, clipping_masks
from ..effects.ordered_sum import lane_sum
from ..versions import usable_cpus

# 1024 samples at 16 kHz: 64 ms, hop 256, the hop the paper's demo outputs hint at (they
# are offset by 256 samples). Mean SI-SDR on the paper's 28 CEG_HC/ST_HC demo clip/levels
# (benchmarks/aspade_paper_demo.py): 11.89 dB at w = 512, 12.52 at 1024, 12.30 at 2048
# (the power of two nearest the survey's 8192 at 44.1 kHz), paper's A-SPADE 10.62; 1024
# is also the closest to the paper's outputs, and 2048 costs 2.3x the time.
WINDOW_SECONDS = 1024 / 16000
SLOTS = 32  # frames iterated together per CPU thread (16-64 within noise of each other)
# H_k's window: the squared magnitudes within BOUND of the frame's previous threshold; where the
# k-th largest lies outside, the window moves that way by BOUND**4 at most WIDEN_LIMIT times, then
# all are searched. 0.95 and 4: the fastest of 0.85, 0.9, 0.95, 0.97 on the benchmark clip (one
# thread: 3.54-3.59 s, against 3.87 s for 0.9 without moving the window).
BOUND = 0.95
WIDEN_LIMIT = 4


def window_length(sample_rate: int) -> int:
    """The default frame length in samples: ``WINDOW_SECONDS`` at ``sample_rate`` (Hz),
    rounded to the nearest power of two (1024 at 16 kHz, 2048 at 44.1 kHz)."""
    return 2 ** round(math.log2(WINDOW_SECONDS * sample_rate))


def aspade(
    clipped: np.ndarray,
    sample_rate: int = 16000,
    threshold: float | None = None,
    *,
    window: int | None = None,
    epsilon: float = 0.1,
    s: int = 1,
    r: int = 2,
    max_iterations: int | None = None,
    reference_level: float | None = 1.0,
    tolerance: float = CLIP_TOLERANCE,
    backend: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> np.ndarray:
    """Declip ``clipped`` (..., samples) with A-SPADE; float64 output of the same shape.

    sample_rate: Hz, sets the default ``window`` (frame length in samples, see
    ``window_length``; hop ``window/4``). threshold: the clipping level if known (input
    units), else found by ``clipping_masks``. epsilon, s, r: the survey's stopping threshold
    (in units of the scaled signal), sparsity step and step period. max_iterations per frame:
    default ``2*window + 2`` (the survey's). reference_level: the clipping level each signal
    is scaled to while iterating, None for none. backend: "numba" (CPU) or "torch" (default
    "numba" on the CPU, "torch" on another ``device``). threads: for the numba backend, how
    many slot sets iterate at once (default: ``OMP_NUM_THREADS`` if set, else one per CPU
    core this process may run on).
    """
    y = np.asarray(clipped, dtype=np.float64)
    w = window or window_length(sample_rate)
    if w % 4:
        raise ValueError(f"window={w} must be a multiple of 4 (hop = window/4)")
    max_iterations = max_iterations or math.ceil((w + 1) * r / s)
    backend = backend or ("numba" if device == "cpu" else "torch")
    if backend not in ("numba", "torch"):
        raise ValueError(f"backend={backend!r}: use 'numba' (CPU) or 'torch'")
    if backend == "numba" and device != "cpu":
        raise ValueError(f"the numba backend runs on the CPU only, not on {device!r}")
    threads = threads or cpu_threads()

    rows = y.reshape(-1, y.shape[-1])  # (batch, samples)
    high, low = clipping_masks(rows, threshold, tolerance)
    lower = np.where(low, -np.inf, rows)  # consistent set: lower <= x <= upper
    upper = np.where(high, np.inf, rows)
    level = np.abs(rows).max(axis=-1, keepdims=True) if threshold is None else np.full((len(rows), 1), threshold)
    scale = np.ones_like(level) if reference_level is None else reference_level / np.where(level > 0, level, 1.0)

    hop = w // 4
    length = math.ceil(rows.shape[-1] / hop) * hop + (w // hop - 1) * hop  # L, padded
    index = (np.arange(length // hop)[:, None] * hop + np.arange(-w // 2, w // 2)) % length  # (frames, w)
    analysis = np.hanning(w + 1)[:w]  # periodic Hann, 0 at the frame start, peak 1 at its centre
    synthesis = analysis / np.tile((analysis.reshape(-1, hop) ** 2).sum(axis=0), w // hop)  # dual window

    def frames_of(x: np.ndarray) -> np.ndarray:  # (batch, samples) -> (batch*frames, w), zero-padded
        return np.pad(x, ((0, 0), (0, length - x.shape[-1])))[:, index].reshape(-1, w)

    frames = frames_of(rows * scale) * analysis  # (batch*frames, w), windowed input
    frame_high, frame_low = frames_of(high), frames_of(low)
    frame_lower = np.where(frame_low, -np.inf, frames)
    frame_upper = np.where(frame_high, np.inf, frames)
    active = np.flatnonzero((frame_high | frame_low).any(axis=-1))  # frames with clipped samples
    if len(active) and backend == "torch":
        frames[active] = _admm_torch(frames[active], frame_lower[active], frame_upper[active],
                                     _TorchBackend(device), epsilon, s, r, max_iterations)
    elif len(active):
        frames[active] = _admm_slots(frames[active], frame_lower[active], frame_upper[active],
                                     epsilon, s, r, max_iterations, threads)

    restored = np.zeros((len(rows), length))
    np.add.at(restored, (np.arange(len(rows))[:, None, None], index), (frames * synthesis).reshape(len(rows), -1, w))
    restored = restored[:, : rows.shape[-1]] / scale
    return np.minimum(np.maximum(restored, lower), upper).reshape(y.shape)


def cpu_threads() -> int:
    """CPU threads this process should use: ``OMP_NUM_THREADS`` if set (the convention torch and
    BLAS follow too; ``bench run`` sets it for each of its evaluation processes), else the cores
    it may run on."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return usable_cpus()


def _admm_torch(
    frames: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    backend: _TorchBackend,
    epsilon: float,
    s: int,
    r: int,
    max_iterations: int,
) -> np.ndarray:
    """A-SPADE on a stack of windowed frames (frames, w) with their bounds, on torch (CPU or
    CUDA): all frames at once; the best iterates.

    The frames still iterating are the first ``m`` rows of every array; the work arrays are
    made once and written in place (``out=``). Per iteration: two FFTs, one selection
    (``kth_largest``) and about ten passes over the arrays.
    """
    xp = backend.xp
    count, w = frames.shape
    padded = backend.put(np.pad(frames, ((0, 0), (0, w))))  # (m, 2w): x and w zeros (redundancy 2)
    lower, upper = backend.put(lower), backend.put(upper)  # (m, w)
    out = backend.put(np.zeros((count, w)))  # the best iterate of every frame
    ids = backend.put(np.arange(count))  # (m,): row in `out` of each frame still iterating
    best = backend.put(np.zeros((count, w)))  # (m, w): every frame improves on its first iteration
    best_objective = backend.put(np.full(count, np.inf))  # (m,)
    z = backend.rfft(padded)  # (m, w + 1): A x, half of the Hermitian spectrum
    u = xp.zeros_like(z)  # (m, w + 1)
    # Work arrays, (count, ...); row views [:m] of them are used.
    z_bar_all, diff_all = xp.empty_like(z), xp.empty_like(z)
    score_all, ranked_all = backend.put(np.empty((count, w + 1))), backend.put(np.empty((count, w + 1)))
    kept_all = backend.put(np.empty((count, w + 1), dtype=bool))
    signal_all = xp.empty_like(padded)  # (count, 2w)
    k, m, x = s, count, padded[:, :w]  # x is a view of padded
    for iteration in range(1, max_iterations + 1):
        z_bar, diff = z_bar_all[:m], diff_all[:m]
        xp.add(z, u, out=z_bar)  # z + u, thresholded in place below
        if k < w + 1:
            score = xp.abs(z_bar, out=score_all[:m])  # (m, w + 1): |z + u|
            score[:, 0] *= 0.5  # DC halved for ranking
            threshold = backend.kth_largest(score, k, ranked_all[:m])  # (m, 1)
            xp.multiply(z_bar, xp.greater_equal(score, threshold, out=kept_all[:m]), out=z_bar)  # H_k(z + u)
        xp.subtract(z, z_bar, out=diff)
        edges = diff[:, ::w]  # (m, 2): DC and Nyquist, which the full spectrum has once, the other bins twice
        objective = xp.sqrt(2 * xp.linalg.vecdot(diff, diff).real - xp.linalg.vecdot(edges, edges).real)  # ||z - z_bar||
        improved = objective <= best_objective
        best[improved] = x[improved]
        best_objective = xp.minimum(objective, best_objective)
        done = objective <= epsilon
        if done.any():
            out[ids[done]] = best[done]
            keep = ~done
            padded, z, u, lower, upper, ids, best, best_objective = (
                a[keep] for a in (padded, z, u, lower, upper, ids, best, best_objective)
            )
            if len(ids) == 0:
                break
            m, x = len(ids), padded[:, :w]
            z_bar_all[:m] = z_bar[keep]
            z_bar = z_bar_all[:m]
        xp.subtract(z_bar, u, out=u)  # u holds z_bar - u until z is new
        signal = signal_all[:m]
        backend.irfft(u, out=signal)  # (m, 2w): A^H (z_bar - u) is its first w samples
        backend.clip(signal[:, :w], lower, upper, out=x)  # x = P(A^H (z_bar - u))
        backend.rfft(padded, out=z)  # z = A x
        xp.subtract(z, u, out=u)  # u + z - z_bar
        if (iteration + 1) % r == 0:
            k += s
    out[ids] = best  # frames stopped by the iteration cap
    return backend.get(out)


def _admm_slots(
    frames: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    epsilon: float,
    s: int,
    r: int,
    max_iterations: int,
    threads: int,
) -> np.ndarray:
    """A-SPADE on a stack of windowed frames (frames, w) with their bounds, on the CPU; the
    best iterates. ``threads`` slot sets iterate at once (numba and the FFTs release the GIL),
    set ``t`` on frames ``t, t + threads, ...``."""
    count, w = frames.shape
    # Unnormalised transforms: z, u and the objective are sqrt(2w) times A's, the inverse FFT
    # 2w times A^H's (undone in the projection, a power of two); H_k does not see the scale.
    z0 = np.fft.rfft(np.pad(frames, ((0, 0), (0, w))))  # (frames, w + 1): A y, half of the Hermitian spectrum
    out = np.empty_like(frames)

    def run(queue: np.ndarray) -> None:
        _iterate_slots(queue, frames, z0, lower, upper, out, epsilon * math.sqrt(2 * w), s, r, max_iterations)

    queues = [np.arange(t, count, threads) for t in range(min(threads, count))]
    with ThreadPoolExecutor(max_workers=len(queues)) as pool:
        list(pool.map(run, queues))
    return out


def _iterate_slots(queue, frames, z0, lower, upper, out, epsilon, s, r, max_iterations) -> None:
    """Iterate the frames ``queue`` (indices into ``frames``) in up to ``SLOTS`` slots, writing
    each one's best iterate into ``out``. Per iteration: the thresholding kernel, the inverse
    FFT, the projection kernel, the forward FFT (all unnormalised: ``epsilon`` is scaled)."""
    w = frames.shape[1]
    size = min(SLOTS, len(queue))
    fft = _SlotFFTs(size, w)
    padded, z, u, v, signal = fft.padded, fft.z, fft.u, fft.v, fft.signal  # see _SlotFFTs
    best = np.empty((size, w))  # the best iterate of each slot's frame so far
    best_objective, previous = np.empty(size), np.empty(size)  # its objective; the last H_k threshold
    ids, counts = queue[:size].copy(), np.zeros(size, dtype=np.int64)  # frame, iteration (0: new)
    # score: |z + u|^2 of the w + 1 bins, then 7 that no window holds (_gather_window8 reads 8 at a
    # time); work: room for _gather_window8's last store
    score, work = np.full(w + 1 + 7, -np.inf), np.empty(w + 1 + 8)
    m, head = size, size
    while True:
        m, head = _threshold_step(m, padded, z.view(np.float64), u.view(np.float64), v.view(np.float64), best,
                                  best_objective, previous, ids, counts, queue, head, frames, z0.view(np.float64),
                                  out, score, work, epsilon, s, r, max_iterations)
        if m == 0:
            return
        fft.inverse(m)
        _project(m, signal, padded, ids, lower, upper, 1.0 / (2 * w))
        fft.forward(m)


@numba.njit(nogil=True, cache=True)
def _threshold_step(m, padded, z, u, v, best, best_objective, previous, ids, counts, queue, head, frames, z0, out,
                    score, work, epsilon, s, r, max_iterations):  # pragma: no cover (compiled)
    """The thresholding half of one iteration in slots [0, m); returns the new (m, head).

    Per slot: ``u += z - zbar`` (u held the last ``zbar - u``; a new frame starts from
    ``x = y``, ``z = A y``, ``u = 0``), ``zbar = H_k(z + u)``, the objective ``||z - zbar||``
    keeps the best iterate, then ``u = zbar - u``, copied into ``v`` for the caller's inverse
    FFT (which may overwrite v). A frame that meets ``epsilon`` or the iteration cap writes its
    best iterate to ``out`` and gives its slot to ``queue[head]``, or to the last slot when the
    queue is done. z, u, v, z0: complex arrays viewed as float64 (re, im pairs).
    """
    w = frames.shape[1]
    n = w + 1
    i = 0
    while i < m:
        frame, count = ids[i], counts[i]
        fresh = count == 0
        if fresh:
            padded[i, :w] = frames[frame]
            z[i] = z0[frame]
            best_objective[i] = np.inf
            previous[i] = 0.0
            count = 1
        k = s * (1 + count // r)
        low, high = BOUND * previous[i], previous[i] / BOUND  # H_k's window around its last threshold
        zi, ui, vi = z[i], u[i], v[i]
        if fresh:
            ui[:] = zi  # so that the update below gives u = 0
        # u: from the last zbar - u to u + z - zbar; score: |z + u|^2 (DC halved for ranking)
        a, b = zi[0] - ui[0], zi[1] - ui[1]
        ui[0], ui[1] = a, b
        re, im = zi[0] + a, zi[1] + b
        square = 0.25 * (re * re + im * im)
        score[0] = square
        above = np.int64(square >= high)  # squares at least `high`
        candidates = np.int64((square >= low) & (square < high))  # and those in [low, high)
        for j in range(1, n):  # counting only (the gathering comes after): a loop the compiler vectorises
            a, b = zi[2 * j] - ui[2 * j], zi[2 * j + 1] - ui[2 * j + 1]
            ui[2 * j], ui[2 * j + 1] = a, b
            re, im = zi[2 * j] + a, zi[2 * j + 1] + b
            square = re * re + im * im
            score[j] = square
            above += square >= high
            candidates += (square >= low) & (square < high)
        threshold = -1.0  # k past the coefficient count: keep them all
        if k < n:
            widened = 0
            while previous[i] > 0.0 and widened < WIDEN_LIMIT and not above < k <= above + candidates:
                if k <= above:  # the k-th largest lies above the window: move the window up
                    low, high = high, high / BOUND ** 4
                else:  # below it
                    low, high = BOUND ** 4 * low, low
                above, candidates = _count_window(score, n, low, high)
                widened += 1
            if above < k <= above + candidates:  # the k-th largest lies in the window: gather it into `work`
                gathered = 0
                for j in range(0, n, 8):
                    gathered = _gather_window8(score, j, work, gathered, low, high)
                threshold = _kth_largest(work, candidates, k - above)
            else:
                work[:n] = score[:n]
                threshold = _kth_largest(work, n, k)
            previous[i] = threshold
        for j in range(n):  # zbar = z + u where kept, else 0; u = zbar - u; work: |z - zbar|^2
            re, im = zi[2 * j] + ui[2 * j], zi[2 * j + 1] + ui[2 * j + 1]
            kept = score[j] >= threshold
            re, im = (re if kept else 0.0), (im if kept else 0.0)  # zbar
            dre, dim = zi[2 * j] - re, zi[2 * j + 1] - im
            a, b = re - ui[2 * j], im - ui[2 * j + 1]
            ui[2 * j], ui[2 * j + 1] = a, b
            vi[2 * j], vi[2 * j + 1] = a, b
            work[j] = dre * dre + dim * dim
        total = lane_sum(work, 0, n)  # ||z - zbar||^2 over the half spectrum, in an order fixed in code
        objective = math.sqrt(2.0 * total - (work[0] + work[w]))  # the full spectrum has DC and Nyquist once
        if objective <= best_objective[i]:
            best_objective[i] = objective
            best[i] = padded[i, :w]
        if objective > epsilon and count < max_iterations:
            counts[i] = count + 1
            i += 1
            continue
        out[frame] = best[i]
        if head < len(queue):
            ids[i], counts[i] = queue[head], 0
            head += 1
            continue
        m -= 1
        if i < m:  # the last slot moves here; it has not stepped in this round yet
            ids[i], counts[i] = ids[m], counts[m]
            best_objective[i], previous[i] = best_objective[m], previous[m]
            padded[i, :w], best[i], z[i], u[i] = padded[m, :w], best[m], z[m], u[m]
    return m, head


@intrinsic
def _gather_window8(typingctx, source, start, target, count, low, high):
    """``target[count:]`` <- those of ``source[start:start + 8]`` (float64) in ``[low, high)``, in
    order; returns the new count. Eight lanes compressed in a register
    (``llvm.experimental.vector.compress``: AVX-512's vcompresspd where the CPU has it, plain
    code elsewhere), then stored whole: ``target`` needs 8 values of room after ``count``.
    5.8x the scalar loop on 1025 squares (0.13 against 0.74 µs)."""
    signature = types.int64(source, types.int64, target, types.int64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        source_, start_, target_, count_, low_, high_ = args
        lanes = ir.VectorType(ir.DoubleType(), 8)
        mask_type = ir.VectorType(ir.IntType(1), 8)
        data = context.make_array(sig.args[0])(context, builder, source_).data
        values = builder.load(builder.bitcast(builder.gep(data, [start_]), lanes.as_pointer()), align=8)

        def splat(x):
            first = builder.insert_element(ir.Constant(lanes, ir.Undefined), x, ir.Constant(ir.IntType(32), 0))
            return builder.shuffle_vector(first, ir.Constant(lanes, ir.Undefined),
                                          ir.Constant(ir.VectorType(ir.IntType(32), 8), [0] * 8))

        inside = builder.and_(builder.fcmp_ordered(">=", values, splat(low_)),
                              builder.fcmp_ordered("<", values, splat(high_)))
        compress = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lanes, [lanes, mask_type, lanes]),
                                                  "llvm.experimental.vector.compress.v8f64")
        packed = builder.call(compress, [values, inside, ir.Constant(lanes, ir.Undefined)])
        out = context.make_array(sig.args[2])(context, builder, target_).data
        builder.store(packed, builder.bitcast(builder.gep(out, [count_]), lanes.as_pointer()), align=8)
        popcount = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(8), [ir.IntType(8)]),
                                                  "llvm.ctpop.i8")
        added = builder.call(popcount, [builder.bitcast(inside, ir.IntType(8))])
        return builder.add(count_, builder.zext(added, ir.IntType(64)))

    return signature, codegen


@numba.njit(nogil=True, cache=True)
def _count_window(score, n, low, high):  # pragma: no cover (compiled)
    """How many of ``score[:n]`` are at least ``high``, and how many lie in ``[low, high)``."""
    above = 0
    inside = 0
    for j in range(n):
        above += score[j] >= high
        inside += (score[j] >= low) & (score[j] < high)
    return above, inside


@numba.njit(nogil=True, cache=True)
def _kth_largest(work, count, k):  # pragma: no cover (compiled)
    """The k-th largest of ``work[:count]``, 1 <= k <= count, by quickselect (reorders them)."""
    target, lo, hi = count - k, 0, count - 1  # index of the answer in ascending order
    while lo < hi:
        a, b, c = work[lo], work[(lo + hi) // 2], work[hi]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        i, j = lo, hi
        while i <= j:
            while work[i] < pivot:
                i += 1
            while work[j] > pivot:
                j -= 1
            if i <= j:
                work[i], work[j] = work[j], work[i]
                i += 1
                j -= 1
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break  # work[j + 1 : i] all equal the pivot
    return work[target]


@numba.njit(nogil=True, cache=True)
def _project(m, signal, padded, ids, lower, upper, scale):  # pragma: no cover (compiled)
    """x = P(scale * signal[:, :w]) into ``padded[:, :w]`` for slots [0, m): each sample clamped
    to its frame's bounds ``lower <= x <= upper``."""
    w = lower.shape[1]
    for i in range(m):
        frame = ids[i]
        for j in range(w):
            padded[i, j] = min(max(scale * signal[i, j], lower[frame, j]), upper[frame, j])


class _SlotFFTs:
    """The buffers of one slot set and their unnormalised real FFTs on rows [0, m): ``forward``
    z = r2c(padded), ``inverse`` signal = c2r(v), which may overwrite v (the kernel's copy of
    ``zbar - u``). FFTW's (pyFFTW, the ``fftw`` extra; FFTW_ESTIMATE plans, one pair per row
    count, made when first needed) when it is installed, else NumPy's."""

    def __init__(self, size: int, w: int):
        try:
            import pyfftw
        except ImportError:
            pyfftw = None
        self.pyfftw = pyfftw
        empty, zeros = (np.empty, np.zeros) if pyfftw is None else (pyfftw.empty_aligned, pyfftw.zeros_aligned)
        self.padded, self.signal = zeros((size, 2 * w)), empty((size, 2 * w))  # x and w zeros; c2r(v)
        self.z, self.u, self.v = (empty((size, w + 1), dtype=complex) for _ in range(3))  # A x, u, zbar - u
        self.plans: dict[int, tuple] = {}

    def _plans(self, m: int) -> tuple:
        if m not in self.plans:
            plan, flags = self.pyfftw.FFTW, ("FFTW_ESTIMATE",)
            self.plans[m] = (plan(self.padded[:m], self.z[:m], axes=(-1,), flags=flags, threads=1),
                             plan(self.v[:m], self.signal[:m], axes=(-1,), direction="FFTW_BACKWARD",
                                  flags=(*flags, "FFTW_DESTROY_INPUT"), threads=1))
        return self.plans[m]

    def forward(self, m: int) -> None:
        if self.pyfftw is None:
            np.fft.rfft(self.padded[:m], out=self.z[:m])
        else:
            self._plans(m)[0].execute()

    def inverse(self, m: int) -> None:
        if self.pyfftw is None:
            np.fft.irfft(self.v[:m], n=self.signal.shape[-1], norm="forward", out=self.signal[:m])
        else:
            self._plans(m)[1].execute()


class _TorchBackend:
    """Array operations for ``_admm`` on PyTorch (float64, CPU or CUDA)."""

    def __init__(self, device: str):
        import torch

        self.xp = torch
        self.device = torch.device(device)

    def put(self, a: np.ndarray):
        return self.xp.from_numpy(np.ascontiguousarray(a)).to(self.device)

    def rfft(self, x, out=None):
        return self.xp.fft.rfft(x, norm="ortho", out=out)

    def irfft(self, x, out):
        return self.xp.fft.irfft(x, n=out.shape[-1], norm="ortho", out=out)

    def clip(self, x, lower, upper, out) -> None:
        self.xp.clamp(x, lower, upper, out=out)

    @staticmethod
    def get(a) -> np.ndarray:
        return a.cpu().numpy()

    def kth_largest(self, score, k: int, work):
        """(rows, 1): the k-th largest entry of each row of (rows, n), 1 <= k <= n
        (``work`` unused: kthvalue leaves ``score`` as it is)."""
        return self.xp.kthvalue(score, score.shape[-1] - k + 1, dim=-1, keepdim=True).values
