"""Output strides: each output pixel is the full-resolution result at its cell's centre."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_patch import OPTS, _coherent_stack

from minopy.phaselink import process_patch
from minopy.phaselink.centres import centre_grid
from minopy.phaselink_options import default_phase_link_options


def test_centre_grid():
    g = centre_grid((4, 17, 3, 21), (3, 6))
    assert (g.r0, g.h, g.sa, g.c0, g.w, g.sr) == (5, 4, 3, 6, 3, 6)
    assert g.span == (5, 15, 6, 19)
    assert centre_grid((2, 9, 0, 5)) == centre_grid((2, 9, 0, 5), (1, 1))
    assert centre_grid((2, 9, 0, 5)).span == (2, 9, 0, 5)
    with pytest.raises(ValueError, match="strides"):
        centre_grid((0, 4, 0, 4), (0, 1))


@pytest.mark.parametrize("ps_rule", ["scr", "minopy"])
def test_strided_patch_equals_full_resolution_at_the_centres(ps_rule):
    slc, _ = _coherent_stack(10, 30, 36, seed=4)
    slc[:, 12:20, 8:30] *= 3.0  # a second population
    slc[:, 16, 19] *= 30.0  # a bright pixel on a centre
    core = (3, 27, 4, 32)
    full = process_patch(slc, core, dataclasses.replace(OPTS, ps_rule=ps_rule))
    strided = process_patch(slc, core, dataclasses.replace(OPTS, ps_rule=ps_rule,
                                                           strides=(3, 4)))
    g = centre_grid(core, (3, 4))
    assert strided.phase.shape == (10, 8, 7)
    rows = slice(g.r0 - core[0], g.r0 - core[0] + g.h * g.sa, g.sa)
    cols = slice(g.c0 - core[2], g.c0 - core[2] + g.w * g.sr, g.sr)
    for name in ("phase", "amplitude", "temporal_coherence", "crlb_std", "top_eigenvalues"):
        np.testing.assert_array_equal(getattr(strided, name), getattr(full, name)[:, rows, cols],
                                      err_msg=name)
    for name in ("shp_count", "ps_mask", "estimator", "amp_dispersion"):
        np.testing.assert_array_equal(getattr(strided, name), getattr(full, name)[rows, cols],
                                      err_msg=name)


@pytest.mark.parametrize("strides", [(0, 1), (2, 1.5), (60, 1)])
def test_bad_strides_name_the_option(strides):
    with pytest.raises(ValueError, match="strides"):
        default_phase_link_options(strides=strides).validate(10, 50, 50)
