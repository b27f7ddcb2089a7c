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
    sequential_phase_linking,
)
from minopy.phaselink_options import default_phase_link_options
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
    base = default_phase_link_options(
        method=case.method,
        shp_test=args.test,
        azimuth_window=case.window,
        range_window=case.window,
    )
    if args.ps_rule:
        base = replace(base, ps_rule=args.ps_rule)
    if args.no_refine:
        base = replace(base, shp_refine=False)
    return base


def centre_results(slc: np.ndarray, window: int, opt: PhaseLinkOptions):
    """process_patch on each window-sized tile of a row of tiles, for its centre pixel only.

    Returns per tile ``(phase (N,), estimator code, SHP count, full temporal coherence, PS
    flag)``, the final SHP masks (w, w) of the centres, and the centres per second.
    """
    half = window // 2
    out, masks = [], []
    t0 = time.perf_counter()
    for k in range(slc.shape[2] // window):
        tile = slc[:, :, k * window:(k + 1) * window]
        res = process_patch(tile, (half, half + 1, half, half + 1), opt, keep_masks=True)
        out.append((res.phase[:, 0, 0], int(res.estimator[0, 0]), int(res.shp_count[0, 0]),
                    float(res.temporal_coherence[1, 0, 0]), bool(res.ps_mask[0, 0])))
        masks.append(res.shp_masks[0, 0])
    rate = len(out) / (time.perf_counter() - t0)
    return out, masks, rate


def per_date_rmse(err: np.ndarray) -> float:
    """``err`` (P, N): mean over the non-reference dates of the RMSE over pixels."""
    return float(np.sqrt(np.mean(err**2, axis=0))[1:].mean())


def oracle_phase(zs: np.ndarray, method: str) -> np.ndarray:
    """The estimator on every given sample: ``zs`` (P, N, L) -> phases (P, N)."""
    if method.startswith("sequential_"):
        x, _, _ = sequential_phase_linking(zs, method, ministack_size=10)
    else:
        x, _ = estimate_phases(sample_coherence(zs), method)
    return np.angle(x)


def homogeneous(cls: CoherenceClass, case: Case, args, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    w = case.window
    region = Region(cls.name, cls, 1.0, velocity=0.01, height=0.0)
    scene = make_scene(np.zeros((w, w * args.trials), int), (region,), case.num_dates, rng,
                       case.looks)
    res, masks, rate = centre_results(scene.slc, w, options_for(case, args))
    half = w // 2
    est = np.array([r[0] for r in res])
    truth = np.array([scene.phase[:, half, k * w + half] for k in range(len(res))])
    zs = np.stack([scene.slc[:, :, k * w:(k + 1) * w].reshape(case.num_dates, -1)
                   for k in range(len(res))])
    orc = oracle_phase(zs, case.method)
    rmse = per_date_rmse(wrap(est - truth))
    rmse_all = per_date_rmse(wrap(orc - truth))
    crlb = float(crlb_std(scene.gammas[0], w * w)[1:].mean())
    shp = np.array([r[2] for r in res], float) / (w * w)
    return {
        "rmse": rmse,
        "crlb": crlb,
        "ratio_crlb": rmse / crlb if case.looks == 1 and cls.gamma0 > 0 else np.nan,
        "ratio_all": rmse / rmse_all,
        "kept": float(np.mean(shp)),
        "kept_p5": float(np.percentile(shp, 5)),
        "ps": float(np.mean([r[1] == PS_CODE for r in res])),
        "tcoh": float(np.mean([r[3] for r in res])),
        "px_s": rate,
    }


def edge(cls: CoherenceClass, ratio: float, case: Case, args, seed: int) -> dict:
    """Tiles cut by a vertical edge at every distance from the centre column; centre on A."""
    rng = np.random.default_rng(seed)
    w = case.window
    half = w // 2
    labels = np.zeros((w, w * args.trials), int)
    dist = np.zeros(args.trials, int)
    for k in range(args.trials):
        d = 1 + k % half  # the edge lies d columns right of the centre (1..half)
        dist[k] = d
        labels[:, k * w + half + d:(k + 1) * w] = 1
    a = Region("A", cls, 1.0, velocity=0.0, height=0.0)
    b = Region("B", cls, ratio, velocity=0.006, height=40.0)
    scene = make_scene(labels, (a, b), case.num_dates, rng, case.looks)
    res, masks, _ = centre_results(scene.slc, w, options_for(case, args))
    step = wrap(scene.phase[:, 0, -1] - scene.phase[:, 0, 0])  # B minus A
    wrong, kept, errs, err_ok, crlb_ok = [], [], [], [], []
    for k, (ph, code, _, _, _) in enumerate(res):
        lab = labels[:, k * w:(k + 1) * w]
        m = masks[k]
        wrong.append(m[lab == 1].mean())
        kept.append(m[lab == 0].mean())
        err = wrap(ph - scene.phase[:, half, k * w + half])
        errs.append(err)
        n_same = int((lab == 0).sum())
        if n_same >= 2 * case.num_dates and code != PS_CODE:
            err_ok.append(err)
            crlb_ok.append(float(crlb_std(scene.gammas[0], n_same)[1:].mean()))
    e = np.array(errs)
    s = np.broadcast_to(step, e.shape)
    leak = float(np.sum(e * s) / np.sum(s * s))
    return {
        "wrong": float(np.mean(wrong)),
        "kept": float(np.mean(kept)),
        "leak": leak,
        "ratio_crlb": per_date_rmse(np.array(err_ok)) / float(np.mean(crlb_ok)) if (
            crlb_ok and case.looks == 1) else np.nan,
    }


def ps_scene(cls: CoherenceClass, case: Case, args, seed: int) -> dict:
    """A PS at the centre of every tile, the SCR levels in turn."""
    rng = np.random.default_rng(seed)
    w = case.window
    half = w // 2
    levels = (2.0, 5.0, 10.0, 20.0)
    scr = np.zeros((w, w * args.trials))
    for k in range(args.trials):
        scr[half, k * w + half] = levels[k % len(levels)]
    region = Region(cls.name, cls, 1.0, velocity=0.004)
    scene = make_scene(np.zeros(scr.shape, int), (region,), case.num_dates, rng, case.looks,
                       ps_scr=scr)
    res, _, _ = centre_results(scene.slc, w, options_for(case, args))
    flags = np.array([r[4] for r in res])
    lv = np.array([levels[k % len(levels)] for k in range(len(res))])
    out = {f"det{int(v)}": float(np.mean(flags[lv == v])) for v in levels}
    ph = np.array([r[0] for r in res])
    truth = np.array([scene.phase[:, half, k * w + half] for k in range(len(res))])
    out["ps_rmse"] = per_date_rmse(wrap(ph - truth)[lv >= 10])
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
    ap.add_argument("--no-refine", action="store_true", help="no covariance-consistency pruning")
    ap.add_argument("--trials", type=int, default=None,
                    help="independent tiles per case (default 300, --quick 100)")
    ap.add_argument("--only", default="hep", help="which tables: h(omogeneous) e(dge) p(s)")
    args = ap.parse_args(argv)
    args.trials = args.trials or (100 if args.quick else 300)
    import numba

    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    print(f"SHP test {args.test}, defaults {default_phase_link_options()}")
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
               "RMSE/all", "kept", "kept p5", "PS %", "mean tcoh", "centres/s"], rows)
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
        table("Edges (centres 1..half-window from the edge; step: 40 m height + 6 mm/yr)",
              ["class", "power", "N", "looks", "wrong acc.", "same kept", "leakage",
               "RMSE/CRLB in-region"], rows)
    if "p" in args.only:
        rows = []
        for name in ("S1-like", "coherent", "low"):
            for lk in (1, 20):
                case = Case(30, 15, lk, "EMI")
                r = ps_scene(CLASSES[name], case, args, seed=300 + lk)
                rows.append([name, str(lk), fmt(r["det2"], 2), fmt(r["det5"], 2),
                             fmt(r["det10"], 2), fmt(r["det20"], 2), fmt(r["ps_rmse"])])
        table("PS at the centre of clutter tiles (N=30, 15x15); false PS: 'PS %' of the "
              "homogeneous table", ["clutter", "looks", "det SCR2", "det SCR5", "det SCR10",
                                    "det SCR20", "RMSE of PS (SCR>=10)"], rows)


if __name__ == "__main__":
    main()
