"""Phase-linking options from the typed ``inversion`` section, in one place.

The numeric core (:mod:`minopy.phaselink`) takes a :class:`~minopy.phaselink.PhaseLinkOptions`
and knows nothing of templates; its options have no defaults of their own. This module makes
them from the ``inversion`` options, whose defaults, allowed values and documentation are the
schema's (``options.toml``): :func:`phase_link_options` for a run,
:func:`default_phase_link_options` for the viewers, tests and benchmarks.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from minopy.config.schema import option_key
from minopy.config.sections import InversionOptions
from minopy.io.multilook import parse_strides
from minopy.phaselink.patch import PhaseLinkOptions

#: PhaseLinkOptions field -> field of the ``inversion`` section it comes from.
FIELDS: dict[str, str] = {
    "method": "phase_linking_method",
    "shp_test": "shp_test",
    "shp_alpha": "shp_significance",
    "shp_margin": "shp_margin",
    "shp_refine": "shp_refine",
    "azimuth_window": "azimuth_window",
    "range_window": "range_window",
    "ministack_size": "ministack_size",
    "stbas_num_con": "stbas_num_con",
    "ps_rule": "ps_rule",
    "ps_min_scr": "ps_min_scr",
    "ps_num_shp": "ps_num_shp",
    "ps_amp_dispersion": "ps_amp_dispersion",
    "ps_top_eigen_percent": "ps_top_eigen_percent",
    "emi_beta": "emi_regularization",
    "min_num_shp": "min_num_shp",
    "strides": "strides",
}


def template_key(name: str) -> str:
    """The template key of the PhaseLinkOptions field ``name`` (for messages)."""
    return option_key("inversion", FIELDS[name])


def _odd(value: int, name: str, log: logging.Logger) -> int:
    if value % 2 == 0:
        log.warning("%s = %d is even; using %d (SHP windows are centred, so odd)",
                    template_key(name), value, value + 1)
        return value + 1
    return value


def phase_link_options(inversion: InversionOptions,
                       log: logging.Logger | None = None) -> PhaseLinkOptions:
    """The PhaseLinkOptions of the ``inversion`` options.

    Even window sizes become the next odd size (with a warning on ``log``).
    """
    log = log or logging.getLogger("minopy")
    i = inversion
    return PhaseLinkOptions(
        method=str(i.phase_linking_method),
        shp_test=str(i.shp_test),
        shp_alpha=float(i.shp_significance),
        shp_margin=float(i.shp_margin),
        shp_refine=bool(i.shp_refine),
        azimuth_window=_odd(int(i.azimuth_window), "azimuth_window", log),
        range_window=_odd(int(i.range_window), "range_window", log),
        ministack_size=int(i.ministack_size),
        stbas_num_con=int(i.stbas_num_con),
        ps_rule=str(i.ps_rule),
        ps_min_scr=float(i.ps_min_scr),
        ps_num_shp=int(i.ps_num_shp),
        ps_amp_dispersion=float(i.ps_amp_dispersion),
        ps_top_eigen_percent=float(i.ps_top_eigen_percent),
        emi_beta=float(i.emi_regularization),
        min_num_shp=int(i.min_num_shp),
        strides=parse_strides(i.strides),
    )


def default_phase_link_options(**changes: Any) -> PhaseLinkOptions:
    """The PhaseLinkOptions of the default ``inversion`` options, with ``changes`` (fields of
    PhaseLinkOptions, e.g. ``method="EMI"``) applied as given."""
    return dataclasses.replace(phase_link_options(InversionOptions()), **changes)
