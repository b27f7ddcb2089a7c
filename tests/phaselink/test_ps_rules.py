"""PS rules on single-look and multilooked simulated stacks: the ``scr`` rule detects PS of
signal-to-clutter ratio >= 10 and almost never calls clutter PS; MiNoPy's rule, kept for
parity, labels multilooked clutter PS."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.phaselink import process_patch
from minopy.phaselink_options import default_phase_link_options
from minopy.simulate.params import CoherenceClass
from minopy.simulate.phaselink_scenes import Region, make_scene

S1_LIKE = CoherenceClass("S1-like", 0.7, 0.2, 36.0, 1.0)
COHERENT = CoherenceClass("coherent", 0.85, 0.45, 60.0, 1.0)
WIN = 11
HALF = WIN // 2


def tile_centres(cls, looks: int, scr_level: float, tiles: int, seed: int, rule: str = "scr"):
    """PS flags of the centres of ``tiles`` independent window-sized tiles, each with a PS of
    ``scr_level`` at its centre (0: clutter only)."""
    rng = np.random.default_rng(seed)
    scr = np.zeros((WIN, WIN * tiles))
    scr[HALF, HALF::WIN] = scr_level
    scene = make_scene(np.zeros(scr.shape, int), (Region("r", cls),), 30, rng, looks,
                       ps_scr=scr)
    opt = default_phase_link_options(method="EMI", azimuth_window=WIN, range_window=WIN,
                                     ps_rule=rule)
    flags = []
    for k in range(tiles):
        tile = scene.slc[:, :, k * WIN:(k + 1) * WIN]
        res = process_patch(tile, (HALF, HALF + 1, HALF, HALF + 1), opt)
        flags.append(bool(res.ps_mask[0, 0]))
        if scr_level > 0 and flags[-1]:  # a PS keeps its own phase
            truth = scene.phase[:, HALF, k * WIN + HALF]
            err = np.angle(np.exp(1j * (res.phase[:, 0, 0] - truth)))
            assert np.sqrt(np.mean(err**2)) < 0.8  # about 1/sqrt(SCR) with clutter outliers
    return np.array(flags)


@pytest.mark.parametrize("looks", [1, 20], ids=["single-look", "20-looks"])
@pytest.mark.parametrize("cls", [S1_LIKE, COHERENT], ids=["S1-like", "coherent"])
def test_scr_rule_detects_bright_ps(cls, looks):
    flags = tile_centres(cls, looks, 10.0, 60, seed=1)
    assert flags.mean() >= 0.95


@pytest.mark.parametrize("looks", [1, 20], ids=["single-look", "20-looks"])
@pytest.mark.parametrize("cls", [S1_LIKE, COHERENT], ids=["S1-like", "coherent"])
def test_scr_rule_false_ps_rate(cls, looks):
    """Clutter-only pixels: at most 0.5 % are PS (a whole scene, every pixel a centre)."""
    rng = np.random.default_rng(2)
    scene = make_scene(np.zeros((50, 50), int), (Region("r", cls),), 30, rng, looks)
    opt = default_phase_link_options(method="EMI", azimuth_window=WIN, range_window=WIN)
    res = process_patch(scene.slc, (HALF, 50 - HALF, HALF, 50 - HALF), opt)
    assert res.ps_mask.mean() <= 0.005


def test_minopy_rule_kept_for_parity_and_over_detects_multilooked_clutter():
    """MiNoPy's rule (few SHPs, top eigenvalue share, amplitude dispersion) stays selectable;
    on multilooked clutter, where every pixel has a low amplitude dispersion, it calls clutter
    PS as soon as the SHP sets are small, unlike the scr rule."""
    rng = np.random.default_rng(3)
    scene = make_scene(np.zeros((40, 40), int), (Region("r", S1_LIKE),), 30, rng, 20)
    base = dict(method="EMI", azimuth_window=WIN, range_window=WIN, shp_margin=0.0)
    core = (HALF, 40 - HALF, HALF, 40 - HALF)
    # a tiny PsNumShp threshold of 300 makes every pixel a candidate, as tiny SHP sets do
    minopy = process_patch(scene.slc, core, default_phase_link_options(**base, ps_rule="minopy",
                                                             ps_num_shp=300))
    scr = process_patch(scene.slc, core, default_phase_link_options(**base))
    assert minopy.ps_mask.mean() > 0.2
    assert scr.ps_mask.mean() <= 0.005
