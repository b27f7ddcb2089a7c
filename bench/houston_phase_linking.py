"""Phase linking on the real Houston Sentinel-1 crop, scored against the psps authors' maps.

Run by hand (not a test)::

    python bench/houston_phase_linking.py                   # default options, whole crop
    python bench/houston_phase_linking.py --ps-rule minopy  # MiNoPy's PS rule
    python bench/houston_phase_linking.py --streaming       # sequentialMode = streaming

The stack is the 93-date pseudo-SLC of ``../shared/data/houston_s1/README.md`` (multilooked
amplitudes and single-reference multilooked interferograms; ``tests/builders.py`` reads it). It is
phase-linked by :func:`minopy.phaselink.process_patch` over the whole 256 x 256 crop (what the
``phase_linking`` step computes: its patches are seamless), with the defaults of
:class:`~minopy.phaselink.PhaseLinkOptions` unless a flag says otherwise, and scored against the
authors' ``correlation/avg_correlation`` and ``ps_data/max_sim`` (maximum phase similarity). The
targets are those of the phase-linking calibration issue.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr, spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import builders  # noqa: E402

from minopy.phaselink import ESTIMATOR_CODES, process_patch  # noqa: E402
from minopy.phaselink.sequential import ministack_bounds  # noqa: E402
from minopy.phaselink.streaming import RunningStats, link_ministack  # noqa: E402
from minopy.phaselink_options import default_phase_link_options  # noqa: E402

PS = next(k for k, v in ESTIMATOR_CODES.items() if v.startswith("PS"))


def crop_map(rel: str) -> np.ndarray:
    return np.fromfile(builders.HOUSTON_CROP / rel, dtype="<f4").reshape(256, 256)


def streaming(slc: np.ndarray, opt: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """The streaming definition on the whole crop: the last mini-stack's products, the mean
    mini-stack coherence and PS-in-every-mini-stack."""
    base = replace(opt, method=opt.method.removeprefix("sequential_"))
    bounds = ministack_bounds(slc.shape[0], opt.ministack_size)
    comp = np.empty((0, *slc.shape[1:]), dtype=np.complex64)
    stats = RunningStats.empty(slc.shape[1:])
    for k in range(len(bounds) - 1):
        part = slc[bounds[k]:bounds[k + 1]]
        linked = link_ministack(part, comp, (0, 256, 0, 256), base)
        stats = stats.add(linked.result.temporal_coherence[0], part, linked.result.ps_mask)
        comp = np.concatenate([comp, linked.compressed[None]])
    return linked.result, stats.average_coherence(), stats.ps_always


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test", default=None)
    ap.add_argument("--ps-rule", default=None)
    ap.add_argument("--no-refine", action="store_true")
    ap.add_argument("--method", default=None)
    ap.add_argument("--streaming", action="store_true",
                    help="link by streaming mini-stacks (sequentialMode = streaming); tcoh is "
                         "the mean of the mini-stack coherences, PS = PS in every mini-stack")
    args = ap.parse_args(argv)
    dates = builders.houston_dates()
    slc = np.stack([builders.houston_pseudo_slc(d) for d in dates])
    opt = default_phase_link_options()
    if args.test:
        opt = replace(opt, shp_test=args.test)
    if args.ps_rule:
        opt = replace(opt, ps_rule=args.ps_rule)
    if args.no_refine:
        opt = replace(opt, shp_refine=False)
    if args.method:
        opt = replace(opt, method=args.method)
    print(opt)
    t0 = time.perf_counter()
    if args.streaming:
        res, tcoh, ps = streaming(slc, opt)
    else:
        res = process_patch(slc, (0, 256, 0, 256), opt)
        tcoh, ps = res.temporal_coherence[1], res.ps_mask
    dt = time.perf_counter() - t0
    avg = crop_map("correlation/avg_correlation")
    sim = crop_map("ps_data/max_sim")
    codes, counts = np.unique(res.estimator, return_counts=True)
    good = tcoh >= 0.7
    rows = [
        ("time (s)", f"{dt:.1f}"),
        ("median #SHP (of 225)", f"{np.median(res.shp_count):.0f}"),
        ("estimators", ", ".join(f"{ESTIMATOR_CODES[c].split(' ')[0]}: {n / tcoh.size:.1%}"
                                 for c, n in zip(codes, counts, strict=True))),
        ("PS share", f"{ps.mean():.1%}"),
        ("Pearson r(tcoh, avg_correlation) [target >= 0.6]",
         f"{pearsonr(tcoh.ravel(), avg.ravel())[0]:.3f}"),
        ("Spearman rho(tcoh, avg_correlation)", f"{spearmanr(tcoh.ravel(), avg.ravel())[0]:.3f}"),
        ("max_sim > 0.7: PS or tcoh >= 0.7 [target >= 85 %]",
         f"{np.mean((ps | good)[sim > 0.7]):.1%} of {(sim > 0.7).sum()}"),
        ("PS with max_sim < 0.4 [target <= 25 %]",
         f"{np.mean(sim[ps] < 0.4):.1%} of {ps.sum()}" if ps.any() else "no PS"),
        ("max_sim < 0.3 with tcoh >= 0.7 [target <= 3 %]",
         f"{np.mean(good[sim < 0.3]):.1%} of {(sim < 0.3).sum()}"),
    ]
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a.ljust(width)}  {b}")


if __name__ == "__main__":
    main()
