"""The interferogram network kinds: the one registry of their names, folders and pair rules.

``minopy.interferograms.type`` chooses a kind (its allowed values in ``options.toml`` are the keys
of :data:`NETWORK_KINDS`, which a test checks); ``minopy.interferograms.list`` overrides it with
the pairs of a file. Each kind names the folders of its network (:func:`network_name`:
``inverted/interferograms_<name>``, ``<name>_network``), with the option that tells two networks
of one kind apart, and makes its pairs with a rule of :mod:`minopy.network.pairs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from minopy.config.sections import InterferogramsOptions
from minopy.network import pairs as rules
from minopy.network.pairs import Pair

#: network name of a user pair list (``minopy.interferograms.list``).
LIST_NETWORK = "list"


@dataclass(frozen=True)
class NetworkKind:
    """One kind of network.

    Attributes
    ----------
    folder : callable
        ``folder(options) -> str``: the network's name in folder names.
    pairs : callable
        ``pairs(dates, bperp, options) -> list of (d1, d2)``: the rule.
    """

    folder: Callable[[InterferogramsOptions], str]
    pairs: Callable[[list[str], Sequence[float] | np.ndarray, InterferogramsOptions], list[Pair]]


NETWORK_KINDS: dict[str, NetworkKind] = {
    "single_reference": NetworkKind(
        folder=lambda o: "single_reference",
        pairs=lambda d, b, o: rules.single_reference(d, o.reference_date)),
    "mini_stacks": NetworkKind(
        folder=lambda o: "mini_stacks",
        pairs=lambda d, b, o: rules.mini_stacks(d, b, o.ministack_ref_month)),
    "delaunay": NetworkKind(
        folder=lambda o: f"delaunay_{o.delaunay_baseline_ratio:g}",
        pairs=lambda d, b, o: rules.delaunay(d, b, o.delaunay_baseline_ratio,
                                             o.delaunay_temp_thresh, o.delaunay_perp_thresh)),
    "sequential": NetworkKind(
        folder=lambda o: f"sequential_{o.num_sequential}",
        pairs=lambda d, b, o: rules.sequential(d, o.num_sequential)),
}


def network_name(options: InterferogramsOptions) -> str:
    """Name of the network in folder names, e.g. ``single_reference``, ``sequential_3``,
    ``delaunay_1``, or ``list`` for a user pair list."""
    if options.list is not None:
        return LIST_NETWORK
    return NETWORK_KINDS[options.type].folder(options)


def network_pairs(options: InterferogramsOptions, dates: Sequence[str],
                  bperp: Sequence[float] | np.ndarray, list_file: str | None = None
                  ) -> list[Pair]:
    """Pairs of the network the options describe, with the oneYear pairs added.

    Parameters
    ----------
    options : InterferogramsOptions
        The ``interferograms`` section.
    dates, bperp : sequence
        Sorted unique ``YYYYMMDD`` dates and their perpendicular baselines (m).
    list_file : str, optional
        The pair list of ``options.list``, resolved against the template's folder; it overrides
        the kind.
    """
    checked = rules.check_dates(dates)
    if list_file is not None:
        pairs = rules.read_pair_list(list_file, checked)
    else:
        pairs = NETWORK_KINDS[options.type].pairs(checked, bperp, options)
    if options.one_year:
        pairs = rules.normalize_pairs([*pairs, *rules.one_year(checked)])
    return pairs
