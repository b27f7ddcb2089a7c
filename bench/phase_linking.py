"""Phase-linking benchmark: accuracy against the CRLB and throughput of ``process_patch``.

Run by hand (not a test)::

    PYTHONPATH=src python bench/phase_linking.py            # full run (a few minutes)
    PYTHONPATH=src python bench/phase_linking.py --quick    # smaller, ~1 minute

Accuracy: Monte Carlo on homogeneous simulated stacks, ``z = S w`` with ``S`` the Cholesky factor
of the true covariance (eigen square root if not positive definite) and ``w ~ CN(0, I)``. Per-date
RMSE of ``angle(est * conj(truth))`` over the trials, averaged over the non-reference dates, and its
ratio to the CRLB of the true coherence matrix.

Speed: ``process_patch`` (pixels/s of core output, wall and CPU time, peak memory) on two kinds of
stacks: "realistic" homogeneous distributed scatterers with the coherence of the accuracy
scenarios (S1-like N=30; the γ∞=0 model for N=100), the case the throughput target refers to, and
pure complex white noise ("random"), the pathological worst case for EMI (all small eigenvalues of
``|Γ|^{-1} ∘ Γ`` clustered, so the eigen-solver runs to its iteration cap on every pixel).
Both use 2 numba threads unless ``--threads`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minopy.phaselink import (
    PhaseLinkOptions,
    crlb_std,
    estimate_phases,
    process_patch,
    sample_coherence,
    sequential_phase_linking,
)
from minopy.phaselink_options import default_phase_link_options


@dataclass(frozen=True)
class Scenario:
    """Exponential decorrelation model ``(γ0 - γ∞) exp(-Δt/τ) + γ∞``."""

    name: str
    num_dates: int
    dt_days: float
    gamma0: float
    gamma_inf: float
    tau_days: float
    looks: int


def coherence_model(sc: Scenario) -> np.ndarray:
    """True coherence magnitude matrix (N, N)."""
    t = np.arange(sc.num_dates) * sc.dt_days
    g = (sc.gamma0 - sc.gamma_inf) * np.exp(-np.abs(t[:, None] - t[None, :]) / sc.tau_days)
    g += sc.gamma_inf
    np.fill_diagonal(g, 1.0)
    return g


def sqrt_matrix(c: np.ndarray) -> np.ndarray:
    """Cholesky factor, or the eigen square root (eigenvalues clipped at 0) as a fallback."""
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(c)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.conj().T


def simulate(sc: Scenario, trials: int, rng: np.random.Generator):
    """Samples (trials, N, L) and the true phases (N,)."""
    n = sc.num_dates
    theta = np.cumsum(rng.normal(0.0, 0.6, n))
    theta -= theta[0]
    s = np.exp(1j * theta)[:, None] * sqrt_matrix(coherence_model(sc))
    w = rng.standard_normal((trials, n, sc.looks, 2)).astype(np.float32)
    w = (w[..., 0] + 1j * w[..., 1]) / np.sqrt(2.0)
    return (s.astype(np.complex64) @ w.astype(np.complex64)), theta


def rmse(est: np.ndarray, theta: np.ndarray) -> float:
    """Mean over non-reference dates of the per-date RMSE (rad) over trials."""
    err = np.angle(est * np.exp(-1j * theta)[None, :])
    return float(np.sqrt(np.mean(err**2, axis=0))[1:].mean())


def accuracy_table(sc: Scenario, trials: int, methods: list[str], seed: int = 0):
    """RMSE and RMSE/CRLB of each method on one scenario."""
    rng = np.random.default_rng(seed)
    z, theta = simulate(sc, trials, rng)
    crlb = float(crlb_std(coherence_model(sc), sc.looks)[1:].mean())
    gamma = sample_coherence(z)
    rows = []
    for m in methods:
        for part in (slice(0, 2), slice(None)):  # first call: JIT / cache load
            t0 = time.perf_counter()
            if m.startswith("sequential_"):
                x, _, _ = sequential_phase_linking(z[part], m, ministack_size=10)
            else:
                x, _ = estimate_phases(gamma[part], m, lag=4 if m == "StBAS" else 10)
            dt = time.perf_counter() - t0
        r = rmse(x, theta)
        rows.append((sc.name, m, r, crlb, r / crlb, trials / dt))
    return rows


def _block(
    n: int, size: int, margin: int, scenario: Scenario | None = None, seed: int = 0
) -> np.ndarray:
    """Block of ``size + 2 margin`` pixels square: white noise, or a homogeneous DS area whose
    samples follow ``scenario``'s coherence model (same phase history everywhere)."""
    rng = np.random.default_rng(seed)
    side = size + 2 * margin
    re = rng.standard_normal((n, side * side), dtype=np.float32)
    im = rng.standard_normal((n, side * side), dtype=np.float32)
    w = ((re + 1j * im) / np.float32(np.sqrt(2))).astype(np.complex64)
    if scenario is not None:
        theta = np.cumsum(rng.normal(0.0, 0.6, n))
        theta -= theta[0]
        s = np.exp(1j * theta)[:, None] * sqrt_matrix(coherence_model(scenario))
        w = s.astype(np.complex64) @ w
    return w.reshape(n, side, side)


def speed(
    n: int, size: int, options: PhaseLinkOptions, scenario: Scenario | None = None
) -> dict[str, float]:
    """Throughput of ``process_patch`` on a white-noise or ``scenario`` block."""
    margin = options.azimuth_window // 2
    slc = _block(n, size, margin, scenario)
    core = (margin, margin + size, margin, margin + size)
    process_patch(slc[:, : 2 * margin + 4, : 2 * margin + 4], (margin, margin + 4) * 2, options)
    # timing without tracemalloc: it hooks numba's allocator too and slows the kernel 2-4x
    wall = cpu = np.inf
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        res = process_patch(slc, core, options)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    tracemalloc.start()
    process_patch(slc, core, options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "px_per_s": size * size / wall,
        "cpu_us_per_px": cpu / (size * size) * 1e6,
        "peak_traced_mb": peak / 2**20,
        "block_mb": slc.nbytes / 2**20,
        "mean_shp": float(res.shp_count.mean()),
    }


def _print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    """Run the benchmark and print markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials, smaller blocks")
    ap.add_argument("--trials", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2, help="numba threads (default 2)")
    ap.add_argument("--speed-only", action="store_true", help="skip the accuracy tables")
    args = ap.parse_args(argv)
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    trials = args.trials or (100 if args.quick else 400)

    s1 = Scenario("S1-like N30 L225", 30, 12.0, 0.7, 0.2, 36.0, 225)
    seq = Scenario("N100 γ∞=0 L225", 100, 6.0, 0.6, 0.0, 50.0, 225)
    if not args.speed_only:
        _accuracy(args, trials, s1, seq)
    _speed(args, s1, seq)


def _accuracy(args, trials: int, s1: Scenario, seq: Scenario) -> None:
    rows = accuracy_table(
        s1,
        trials,
        ["EVD", "EMI", "PTA", "StBAS", "sequential_EVD", "sequential_EMI", "sequential_PTA"],
    )
    rows += accuracy_table(
        seq,
        max(trials // 2, 50) if args.quick else trials,
        ["EVD", "EMI", "sequential_EVD", "sequential_EMI"],
        seed=1,
    )
    _print_table(
        f"Accuracy (Monte Carlo, {trials} trials; RMSE rad, mean over non-reference dates)",
        ["scenario", "method", "RMSE", "CRLB", "RMSE/CRLB", "px/s (estimator only)"],
        [[a, b, f"{c:.4f}", f"{d:.4f}", f"{e:.3f}", f"{f:.0f}"] for a, b, c, d, e, f in rows],
    )


def _speed(args, s1: Scenario, seq: Scenario) -> None:
    import numba

    size30 = 128 if args.quick else 256
    size100 = 64 if args.quick else 128
    cases = [
        ("N=30 KS+EMI 15x15", 30, size30, default_phase_link_options(method="EMI"), s1),
        ("N=30 KS+sequential_EMI", 30, size30, default_phase_link_options(), s1),
        ("N=30 GLRT+EMI", 30, size30,
         default_phase_link_options(method="EMI", shp_test="glrt"), s1),
        ("N=100 KS+sequential_EMI", 100, size100, default_phase_link_options(), seq),
    ]
    srows = []
    for kind in ("realistic", "random"):
        for name, n, size, opt, sc in cases:
            r = speed(n, size, opt, sc if kind == "realistic" else None)
            srows.append(
                [
                    kind,
                    name,
                    f"{size}x{size}",
                    f"{r['px_per_s']:.0f}",
                    f"{r['cpu_us_per_px']:.1f}",
                    f"{r['mean_shp']:.1f}",
                    f"{r['block_mb']:.0f}",
                    f"{r['peak_traced_mb']:.0f}",
                ]
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    _print_table(
        f"Speed of process_patch (numba threads: {numba.get_num_threads()}, load avg {load:.2f}, "
        f"max RSS {rss:.0f} MB). realistic = homogeneous DS with the coherence of the accuracy "
        "scenarios (S1-like for N=30, γ∞=0 for N=100); random = white noise (EMI worst case). "
        "Target: >= 20,000 px/s wall for realistic N=30 KS+EMI 256x256 on 2 cores; the wall "
        "figure is only meaningful on an otherwise idle machine, CPU µs/px is not load-sensitive.",
        [
            "stack",
            "case",
            "core",
            "px/s (wall)",
            "CPU µs/px",
            "mean #SHP",
            "block MB",
            "peak traced MB",
        ],
        srows,
    )


if __name__ == "__main__":
    main()
