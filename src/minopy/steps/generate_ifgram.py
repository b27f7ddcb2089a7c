"""Step ``generate_ifgram``: the network's interferograms from ``inverted/phase_series.h5``.

1. The pairs of the network (``minopy.interferograms.*``, see :mod:`minopy.network.pairs`) are
   chosen from the dates and baselines of the phase series; the pair list
   ``<net>_network/interferograms_list.txt`` and the plot ``<net>_network/network.png`` are written.
   Unconnected dates and a network split into groups are reported as warnings.
2. Each pair ``<d1>_<d2>`` (``d1`` earlier) gets, in ``inverted/interferograms_<net>/<d1>_<d2>/``,
   ``fine.int`` = ``s_d1 * conj(s_d2)`` (ISCE convention, see :mod:`minopy.interferogram.form`),
   ``filt_fine.int`` (Goldstein-Werner, only when ``filterStrength > 0``) and ``filt_fine.cor``.
   Pairs run in parallel, each in row blocks of bounded memory. A re-run skips, without writing
   anything, each complete pair whose stamp records the same options and the same content of its
   two dates (digests of their ``phase`` and ``amplitude``, computed once per run for all dates,
   :mod:`minopy.interferogram.series_digest`): a phase series rewritten with a new date redoes
   only the pairs of dates whose values changed, and the new pairs.
"""

from __future__ import annotations

from pathlib import Path

from minopy.errors import InputDataError
from minopy.interferogram.form import (
    generate_pair,
    pair_is_current,
    pair_outputs,
    read_dates_bperp,
    series_header,
)
from minopy.interferogram.pair_runner import run_pairs
from minopy.interferogram.series_digest import series_digests
from minopy.io.atomic import write_text_atomic
from minopy.network.kinds import network_pairs as configured_pairs
from minopy.network.pairs import Pair, check_network, format_pair_list, pair_name
from minopy.network.plot import plot_network
from minopy.step_context import StepContext
from minopy.steps.outputs import Output, RasterOutput

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = ("interferograms",)


def network_pairs(ctx: StepContext) -> tuple[list[str], list[float], list[Pair]]:
    """Dates, baselines and pairs of the configured network."""
    dates, bperp = read_dates_bperp(ctx.phase_series_file)
    options = ctx.config.interferograms
    return dates, list(bperp), configured_pairs(options, dates, bperp,
                                                ctx.config.resolve_path(options.list))


def inputs(ctx: StepContext) -> list[Path]:
    files = [ctx.phase_series_file]
    listed = ctx.config.interferograms.list
    if listed:
        files.append(Path(ctx.config.resolve_path(listed)))
    return files


def outputs(ctx: StepContext) -> list[Path | Output]:
    """The pair list, the network plot and each pair's rasters."""
    files: list[Path | Output] = [ctx.pair_list_file, ctx.network_plot_file]
    try:
        _, _, pairs = network_pairs(ctx)
    except InputDataError:
        return files
    filtered = ctx.config.interferograms.filter_strength > 0
    for pair in pairs:
        files += [RasterOutput(p) for p in pair_outputs(ctx.ifgram_dir / pair_name(pair),
                                                         filtered)]
    return files


def run(ctx: StepContext) -> None:
    dates, bperp, pairs = network_pairs(ctx)
    name = ctx.network_name
    check_network(dates, pairs, name, ctx.log)
    ctx.network_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(ctx.pair_list_file, format_pair_list(pairs))
    plot_network(ctx.network_plot_file, dates, bperp, pairs, title=name)
    alpha = float(ctx.config.interferograms.filter_strength)
    options = ctx.config.interferograms
    if options.type == "single_reference" and not options.reference_date and pairs:
        ctx.log.info("generate_ifgram: single_reference network around the middle date %s "
                     "(minopy.interferograms.referenceDate is not set): it moves as dates are "
                     "added, and with it every pair; set referenceDate (or use a sequential "
                     "network) to keep the pairs of an update", dates[len(dates) // 2])
    ctx.log.info("generate_ifgram: %d pairs of network %s (%d dates), filterStrength %g -> %s",
                 len(pairs), name, len(dates), alpha, ctx.ifgram_dir)
    digests = series_digests(ctx.phase_series_file, sorted({d for p in pairs for d in p}))
    # generate_pair(phase_series_file, d1, d2, pair_dir, filter_strength, block_rows,
    #               skip_complete, digests)
    header = series_header(ctx.phase_series_file)
    todo = [p for p in pairs if not pair_is_current(
        ctx.phase_series_file, p[0], p[1], ctx.ifgram_dir / pair_name(p), alpha,
        {d: digests[d] for d in p}, header)]
    jobs = [(pair_name(p), (str(ctx.phase_series_file), p[0], p[1],
                            str(ctx.ifgram_dir / pair_name(p)), alpha, None, True,
                            {d: digests[d] for d in p})) for p in todo]
    done = run_pairs(ctx, generate_pair, jobs, "generate_ifgram")
    skipped = len(pairs) - sum(bool(d) for d in done)
    if skipped:
        ctx.log.info("generate_ifgram: %d of %d pairs were complete and skipped; incremental: "
                     "%d pairs added or redone", skipped, len(pairs), len(pairs) - skipped)
