"""Whole-chain accuracy benchmark of phase linking: SHP selection + PS test + estimator + quality.

Run by hand (not a test)::

    python bench/phase_linking_chain.py              # full tables (~10 minutes on 2 cores)
    python bench/phase_linking_chain.py --quick      # fewer cases, smaller scenes (~2 minutes)
    python bench/phase_linking_chain.py --test glrt  # another SHP test

Every case simulates a labelled scene with :mod:`minopy.simulate.phaselink_scenes` and runs
:func:`minopy.phaselink.process_patch` on it, exactly as the ``phase_linking`` step does (same
defaults unless a flag says otherwise). Nothing is given the truth. Three kinds of scene:

``homogeneous``
    One distributed-scatterer region (coherence class x number of dates x window x looks). Scored
    on the pixels whose whole window lies in the scene: RMSE of the linked phase per date (circular
    error, over pixels), averaged over the non-reference dates, and its ratio to the CRLB of the
    true ``|Gamma|`` with every pixel of the window as a sample ("RMSE/CRLB"), and to the RMSE of
    the same estimator given every pixel of the window ("RMSE/all": the oracle SHP set). For
    multilooked scenes the CRLB of single-look samples does not apply to phases taken from
    single-reference multilooked interferograms, so only RMSE/all is reported. Also: the share of
    window pixels kept as SHPs, the share of pixels declared PS (all false), and the mean temporal
    coherence.
``edge``
    Two half-planes with a power ratio and a phase step (a height step plus a velocity step). On
    the pixels within half a window of the edge: the share of other-side window pixels accepted
    ("wrong acc."), the share of same-side pixels kept, the leakage (least-squares slope of the
    wrapped error on the step), and RMSE/CRLB against the CRLB of the same-side window pixels
    (pixels with at least 2N same-side samples).
``ps``
    A clutter region with PS on a sparse grid at signal-to-clutter ratios 2-20; detection rate per
    SCR and false-PS rate over the clutter pixels.

A pure-noise region (coherence 0) measures the bias of the temporal coherence: its true quality
is 0.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace

import numpy as np

from minopy.phaselink import (
    ESTIMATOR_CODES,
    PhaseLinkOptions,
    crlb_std,
    estimate_phases,
    process_patch,
    sample_coherence,
    select_shp,
    sequential_phase_linking,
)
from minopy.simulate.params import CoherenceClass
from minopy.simulate.phaselink_scenes import Region, make_scene

PS_CODE = next(k for k, v in ESTIMATOR_CODES.items() if v.startswith("PS"))

CLASSES = {
    "coherent": CoherenceClass("coherent", 0.85, 0.45, 60.0, 1.0),
    "S1-like": CoherenceClass("S1-like", 0.7, 0.2, 36.0, 1.0),
    "seasonal": CoherenceClass("seasonal", 0.8, 0.3, 90.0, 1.0, seasonal=0.6, peak_doy=30.0),
    "low": CoherenceClass("low", 0.5, 0.1, 24.0, 1.0),
}
NOISE = CoherenceClass("noise", 0.0, 0.0, 1.0, 1.0)


def wrap(x: np.ndarray) -> np.ndarray:
    return np.angle(np.exp(1j * x))


@dataclass
class Case:
    num_dates: int
    window: int
    looks: int
    method: str


def options_for(case: Case, args) -> PhaseLinkOptions:
    base = PhaseLinkOptions(
        method=case.method,
        shp_test=args.test,
        azimuth_window=case.window,
        range_window=case.window,
    )
    if args.ps_rule:
        base = replace(base, ps_rule=args.ps_rule)
    return base


def run_block(slc: np.ndarray, half: int, opt: PhaseLinkOptions):
    """process_patch on a whole scene; the core is everything (windows truncated at the edge)."""
    _, h, w = slc.shape
    t0 = time.perf_counter()
    res = process_patch(slc, (0, h, 0, w), opt)
    return res, time.perf_counter() - t0


def oracle_phase(slc: np.ndarray, rows, cols, half: int, method: str) -> np.ndarray:
    """The estimator on every pixel of the window (the right SHP set in a homogeneous scene)."""
    n = slc.shape[0]
    zs = np.stack([
        slc[:, r - half:r + half + 1, c - half:c + half + 1].reshape(n, -1) for r, c in
        zip(rows, cols, strict=True)
    ])
    if method.startswith("sequential_"):
        x, _, _ = sequential_phase_linking(zs, method, ministack_size=10)
    else:
        x, _ = estimate_phases(sample_coherence(zs), method)
    return np.angle(x)


def per_date_rmse(err: np.ndarray) -> float:
    """``err`` (N, P): mean over the non-reference dates of the RMSE over pixels."""
    return float(np.sqrt(np.mean(err**2, axis=1))[1:].mean())


def homogeneous(cls: CoherenceClass, case: Case, args, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    half = case.window // 2
    side = args.size + 2 * half
    region = Region(cls.name, cls, 1.0, velocity=0.01, height=0.0)
    scene = make_scene(np.zeros((side, side), int), (region,), case.num_dates, rng, case.looks)
    res, dt = run_block(scene.slc, half, options_for(case, args))
    inner = (slice(half, side - half), slice(half, side - half))
    est = res.phase[(slice(None), *inner)].reshape(case.num_dates, -1)
    truth = scene.phase[(slice(None), *inner)].reshape(case.num_dates, -1)
    rmse = per_date_rmse(wrap(est - truth))
    # oracle on a subsample of the interior pixels
    rr, cc = np.meshgrid(np.arange(half, side - half), np.arange(half, side - half), indexing="ij")
    pick = rng.choice(rr.size, size=min(args.oracle, rr.size), replace=False)
    orc = oracle_phase(scene.slc, rr.ravel()[pick], cc.ravel()[pick], half, case.method)
    t_pick = truth[:, pick]
    rmse_all = per_date_rmse(wrap(orc.T - t_pick))
    rmse_same = per_date_rmse(wrap(est[:, pick] - t_pick))
    crlb = float(crlb_std(scene.gammas[0], case.window**2)[1:].mean())
    shp = res.shp_count[inner].astype(float)
    est_code = res.estimator[inner]
    return {
        "rmse": rmse,
        "crlb": crlb,
        "ratio_crlb": rmse / crlb if case.looks == 1 and cls.gamma0 > 0 else np.nan,
        "ratio_all": rmse_same / rmse_all,
        "kept": float(np.mean(shp / case.window**2)),
        "kept_p5": float(np.percentile(shp / case.window**2, 5)),
        "ps": float(np.mean(est_code == PS_CODE)),
        "tcoh": float(np.mean(res.temporal_coherence[1][inner])),
        "px_s": side * side / dt,
    }


def edge(cls: CoherenceClass, ratio: float, case: Case, args, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    half = case.window // 2
    h, w = args.size + 2 * half, 2 * args.size
    labels = np.zeros((h, w), int)
    labels[:, w // 2:] = 1
    a = Region("A", cls, 1.0, velocity=0.0, height=0.0)
    b = Region("B", cls, ratio, velocity=0.006, height=40.0)
    scene = make_scene(labels, (a, b), case.num_dates, rng, case.looks)
    opt = options_for(case, args)
    res = process_patch(scene.slc, (0, h, 0, w), opt)
    masks = select_shp(np.abs(scene.slc), (0, h, 0, w), opt.azimuth_window, opt.range_window,
                       opt.shp_test, opt.shp_alpha).masks
    rows = np.arange(half, h - half)
    step = wrap(scene.phase[:, 0, -1] - scene.phase[:, 0, 0])  # B minus A (all rows alike)
    wrong, kept, errs, steps, err_ok, crlb_ok = [], [], [], [], [], []
    for side_lo, side_hi, sign in ((w // 2 - half, w // 2, 1), (w // 2, w // 2 + half, -1)):
        for c in range(side_lo, side_hi):
            win_lab = labels[0, c - half:c + half + 1]  # same for every row
            own = labels[0, c]
            same_cols = win_lab == own
            n_same = int(same_cols.sum()) * case.window
            n_other = case.window**2 - n_same
            m = masks[rows, c]  # (rows, az, rg)
            acc_other = m[:, :, ~same_cols].sum(axis=(1, 2))
            acc_same = m[:, :, same_cols].sum(axis=(1, 2))
            wrong.append(acc_other / n_other)
            kept.append(acc_same / n_same)
            truth = scene.phase[:, rows, c]
            err = wrap(res.phase[:, rows, c] - truth)
            errs.append(err)
            steps.append(np.repeat((sign * step)[:, None], len(rows), axis=1))
            if n_same >= 2 * case.num_dates and res.estimator[rows, c].max() != PS_CODE:
                err_ok.append(err)
                g = scene.gammas[own]
                crlb_ok.append(float(crlb_std(g, n_same)[1:].mean()))
    e = np.concatenate([x.ravel() for x in errs])
    s = np.concatenate([x.ravel() for x in steps])
    leak = float(np.sum(e * s) / np.sum(s * s))
    eo = np.concatenate(err_ok, axis=1) if err_ok else np.zeros((case.num_dates, 1))
    return {
        "wrong": float(np.mean(np.concatenate(wrong))),
        "kept": float(np.mean(np.concatenate(kept))),
        "leak": leak,
        "ratio_crlb": per_date_rmse(eo) / float(np.mean(crlb_ok)) if (
            crlb_ok and case.looks == 1) else np.nan,
    }


def ps_scene(cls: CoherenceClass, case: Case, args, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    half = case.window // 2
    side = args.size + 2 * half
    scr = np.zeros((side, side))
    levels = (2.0, 5.0, 10.0, 20.0)
    k = 0
    for r in range(half, side - half, 9):
        for c in range(half, side - half, 9):
            scr[r, c] = levels[k % len(levels)]
            k += 1
    region = Region(cls.name, cls, 1.0, velocity=0.004)
    scene = make_scene(np.zeros((side, side), int), (region,), case.num_dates, rng, case.looks,
                       ps_scr=scr)
    res, _ = run_block(scene.slc, half, options_for(case, args))
    is_ps = res.ps_mask
    out = {f"det{int(v)}": float(np.mean(is_ps[scr == v])) for v in levels}
    clutter = scr == 0
    out["false"] = float(np.mean(is_ps[clutter]))
    ps_err = wrap(res.phase[:, scr >= 10] - scene.phase[:, scr >= 10])
    out["ps_rmse"] = per_date_rmse(ps_err)
    return out


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(x) for h, x in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (x + 2) for x in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(x) for c, x in zip(r, widths, strict=True)) + " |")


def fmt(x: float, p: int = 3) -> str:
    return "–" if not np.isfinite(x) else f"{x:.{p}f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--test", default="ks", help="SHP test (ks, ad, ttest, glrt)")
    ap.add_argument("--ps-rule", default=None, help="PS rule (default: the option's default)")
    ap.add_argument("--size", type=int, default=None, help="interior size of a scene (pixels)")
    ap.add_argument("--oracle", type=int, default=300, help="pixels scored by the oracle")
    ap.add_argument("--only", default="hep", help="which tables: h(omogeneous) e(dge) p(s)")
    args = ap.parse_args(argv)
    args.size = args.size or (24 if args.quick else 40)
    import numba

    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    print(f"SHP test {args.test}, defaults {PhaseLinkOptions()}")
    lookset = (1, 20) if args.quick else (1, 4, 20)
    cases = [Case(30, 15, lk, "EMI") for lk in lookset]
    cases += [Case(60, 11, 1, "EMI"), Case(60, 15, 1, "EMI")]
    if not args.quick:
        cases += [Case(60, 11, lk, "EMI") for lk in (4, 20)]
    cases += [Case(100, 15, lk, "sequential_EMI") for lk in lookset]
    if "h" in args.only:
        rows = []
        ratios = []
        for name, cls in (*CLASSES.items(), ("noise", NOISE)):
            for i, case in enumerate(cases):
                r = homogeneous(cls, case, args, seed=100 + i)
                if name != "noise":
                    ratios.append(r["ratio_crlb"] if case.looks == 1 else r["ratio_all"])
                rows.append([name, str(case.num_dates), f"{case.window}x{case.window}",
                             str(case.looks), case.method, fmt(r["rmse"]), fmt(r["crlb"]),
                             fmt(r["ratio_crlb"]), fmt(r["ratio_all"]), fmt(r["kept"], 2),
                             fmt(r["kept_p5"], 2), fmt(100 * r["ps"], 2), fmt(r["tcoh"]),
                             f"{r['px_s']:.0f}"])
        table("Homogeneous regions (interior pixels)",
              ["class", "N", "window", "looks", "method", "RMSE", "CRLB", "RMSE/CRLB",
               "RMSE/all", "kept", "kept p5", "PS %", "mean tcoh", "px/s"], rows)
        print(f"\nmean ratio over region cases (single-look: RMSE/CRLB, multilooked: RMSE/all): "
              f"{np.nanmean(ratios):.3f}; worst {np.nanmax(ratios):.3f}")
    if "e" in args.only:
        rows = []
        ecases = [Case(30, 15, 1, "EMI"), Case(60, 15, 1, "EMI")]
        if not args.quick:
            ecases += [Case(60, 15, 20, "EMI"), Case(100, 15, 1, "sequential_EMI")]
        for name in ("coherent", "S1-like", "low"):
            for ratio in (1.5, 2.0):
                for i, case in enumerate(ecases):
                    r = edge(CLASSES[name], ratio, case, args, seed=200 + i)
                    rows.append([name, f"{ratio}x", str(case.num_dates), str(case.looks),
                                 fmt(r["wrong"]), fmt(r["kept"]), fmt(r["leak"]),
                                 fmt(r["ratio_crlb"])])
        table("Edges (pixels within half a window of the edge; step: 40 m height + 6 mm/yr)",
              ["class", "power", "N", "looks", "wrong acc.", "same kept", "leakage",
               "RMSE/CRLB in-region"], rows)
    if "p" in args.only:
        rows = []
        for name in ("S1-like", "coherent", "low"):
            for lk in (1, 20):
                case = Case(30, 15, lk, "EMI")
                r = ps_scene(CLASSES[name], case, args, seed=300 + lk)
                rows.append([name, str(lk), fmt(r["det2"], 2), fmt(r["det5"], 2),
                             fmt(r["det10"], 2), fmt(r["det20"], 2), fmt(100 * r["false"], 2),
                             fmt(r["ps_rmse"])])
        table("PS in clutter (N=30, 15x15)",
              ["clutter", "looks", "det SCR2", "det SCR5", "det SCR10", "det SCR20",
               "false PS %", "RMSE of PS (SCR>=10)"], rows)


if __name__ == "__main__":
    main()
