"""PEAQ (benchmark.metrics.peaq) against P. Kabal's PQevalAudio run in GNU Octave: run by hand.

    apt-get install octave
    python tests/peaq_octave.py --pqevalaudio DIR [--quick] [--out DIR]

DIR is PQevalAudio's folder with a driver ``run_pq(ref, test, out)`` that writes ODG, DI and
the 11 MOVs (``%.17g``) and the elapsed seconds to ``out``, one ``NAME value`` per line. The
reference is not in this repository (its code carries no licence); the declipping survey's
repository (rajmic/declipping2020_codes, ``Evaluation_algorithms/PEAQ/PQevalAudio``, commit
9b6c0e32) holds a copy. Writes the Octave values of every pair of ``peaq_cases.cases()`` to
``tests/data/peaq_pqevalaudio.json`` (what test_peaq.py checks against), prints the
differences per quantity and the speed of both, per 10 s of audio, in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from benchmark.metrics.peaq import MOV_NAMES, peaq_basic

FIXTURE = Path(__file__).resolve().parent / "data" / "peaq_pqevalaudio.json"
QUANTITIES = ("ODG", "DI") + MOV_NAMES


def write_wav(path, x, subtype):
    """Write a 48 kHz mono WAV; returns the float samples as Octave will read them."""
    from peaq_cases import FS, to_pcm16  # here, so that benchmarks/bench_peaq.py can load run_octave alone
    if subtype == "PCM_16":
        q, xf = to_pcm16(x)
        sf.write(path, q, FS, subtype="PCM_16")
        return xf
    if subtype == "FLOAT":
        xf = np.asarray(x, dtype=np.float32)
        sf.write(path, xf, FS, subtype="FLOAT")
        return xf.astype(float)
    sf.write(path, np.asarray(x, dtype=float), FS, subtype="DOUBLE")
    return np.asarray(x, dtype=float)


def run_octave(pq_dir, ref_wav, test_wav, out_txt):
    cmd = ["nice", "-n", "10", "octave-cli", "--no-gui", "--quiet", "--no-window-system",
           "--eval", f"addpath('{pq_dir}'); run_pq('{ref_wav}', '{test_wav}', '{out_txt}');"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    vals = {}
    for line in Path(out_txt).read_text().split("\n"):
        if line.strip():
            k, v = line.split()
            vals[k] = float(v)
    return vals


def time_python(ref, test, fs, repeats=3):
    best, res = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = peaq_basic(ref, test, fs)
        best = min(best, time.perf_counter() - t0)
    return res, best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 10 s timing case")
    ap.add_argument("--pqevalaudio", required=True, type=Path, help="PQevalAudio's folder, with run_pq.m")
    ap.add_argument("--out", type=Path, help="where the WAV pairs go (default: a temporary folder)")
    args = ap.parse_args()
    from peaq_cases import FS, cases
    out = args.out or Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)

    rows = []
    for idx, (name, ref, test, fs_in, subtype) in enumerate(cases(args.quick)):
        if fs_in == FS:
            ref_f = write_wav(out / f"c{idx:02d}_ref.wav", ref, subtype)
            tst_f = write_wav(out / f"c{idx:02d}_test.wav", test, subtype)
            py_ref, py_tst = ref_f, tst_f
        else:
            # Python gets the original-rate arrays; Octave the resampled WAV
            g = np.gcd(fs_in, FS)
            write_wav(out / f"c{idx:02d}_ref.wav", resample_poly(ref, FS // g, fs_in // g), subtype)
            write_wav(out / f"c{idx:02d}_test.wav", resample_poly(test, FS // g, fs_in // g), subtype)
            py_ref, py_tst = ref, test
        oc = run_octave(args.pqevalaudio.resolve(), out / f"c{idx:02d}_ref.wav", out / f"c{idx:02d}_test.wav", out / f"c{idx:02d}_oct.txt")
        res, t_py = time_python(py_ref, py_tst, fs_in)
        py = {"ODG": res.odg, "DI": res.di, **res.movs}
        dur = len(py_ref) / fs_in
        rows.append((name, oc, py, dur, oc["elapsed"], t_py))
        print(f"[{idx:2d}] {name:30s} ODG oct {oc['ODG']:+.4f} py {py['ODG']:+.4f} "
              f"| t_oct {oc['elapsed']:.2f}s t_py {t_py:.4f}s", flush=True)

    FIXTURE.write_text(json.dumps({r[0]: r[1] for r in rows}, indent=1) + "\n")

    # ---- difference table
    short = {"BandwidthRefB": "BWRef", "BandwidthTestB": "BWTst", "TotalNMRB": "NMR",
             "WinModDiff1B": "WMD1", "ADBB": "ADB", "EHSB": "EHS", "AvgModDiff1B": "AMD1",
             "AvgModDiff2B": "AMD2", "RmsNoiseLoudB": "RNL", "MFPDB": "MFPD",
             "RelDistFramesB": "RDF", "ODG": "ODG", "DI": "DI"}
    print("\n|Octave - Python| per quantity")
    hdr = f"| {'signal':30s} | " + " | ".join(f"{short[q]:>7s}" for q in QUANTITIES) + " |"
    print(hdr)
    print("|" + "-" * 32 + "|" + "|".join(["-" * 9] * len(QUANTITIES)) + "|")
    max_abs = {q: 0.0 for q in QUANTITIES}
    max_rel = {q: 0.0 for q in QUANTITIES}
    for name, oc, py, *_ in rows:
        cells = []
        for q in QUANTITIES:
            d = abs(oc[q] - py[q])
            max_abs[q] = max(max_abs[q], d)
            max_rel[q] = max(max_rel[q], d / max(abs(oc[q]), 1e-9) if d > 0 else 0.0)
            cells.append(f"{d:7.1e}")
        print(f"| {name:30s} | " + " | ".join(cells) + " |")
    print("\nmax |diff| / max relative diff per quantity:")
    for q in QUANTITIES:
        print(f"  {q:15s} {max_abs[q]:.3e}  {max_rel[q]:.3e}")

    print("\nReference values (Octave) ODG / DI:")
    for name, oc, py, *_ in rows:
        print(f"  {name:30s} ODG {oc['ODG']:+.4f} DI {oc['DI']:+.4f}  "
              + " ".join(f"{short[q]}={oc[q]:.4g}" for q in MOV_NAMES))

    # ---- speed
    tot_dur = sum(r[3] for r in rows)
    tot_oc = sum(r[4] for r in rows)
    tot_py = sum(r[5] for r in rows)
    print("\nSpeed (seconds per 10 s of audio):")
    for name, oc, py, dur, to, tp in rows:
        if "timing" in name:
            print(f"  {name}: Octave {to * 10 / dur:.2f} s, Python {tp * 10 / dur:.4f} s, "
                  f"ratio {to / tp:.0f}x")
    print(f"  all cases ({tot_dur:.1f} s audio): Octave {tot_oc * 10 / tot_dur:.2f} s, "
          f"Python {tot_py * 10 / tot_dur:.4f} s, ratio {tot_oc / tot_py:.0f}x")


if __name__ == "__main__":
    main()
