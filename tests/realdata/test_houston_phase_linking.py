"""Real data: the Houston Sentinel-1 stack (93 dates) through load_data, phase_linking and
concatenate_patch, checked against the psps authors' own products.

Data and recipes: ``../shared/data/houston_s1/README.md`` (beside the repository). Fixtures:
``conftest.py`` here. The default run phase-links all 93 dates on the 72 x 112 ``SUBSET`` of the
crop; the same checks run on the full 256 x 256 crop under ``-m slow``.
"""

from __future__ import annotations

import csv

import builders
import h5py
import numpy as np
from scipy.ndimage import uniform_filter
from scipy.stats import spearmanr

from minopy.io.isce import read_raster
from minopy.phaselink import ESTIMATOR_CODES, amplitude_dispersion

EMI = next(k for k, v in ESTIMATOR_CODES.items() if v == "EMI")
PS = next(k for k, v in ESTIMATOR_CODES.items() if v.startswith("PS"))


def read_crop_map(relpath: str) -> np.ndarray:
    """A 256 x 256 float32 map of the crop (e.g. ``ps_data/amp_disp``)."""
    return np.fromfile(builders.HOUSTON_CROP / relpath, dtype="<f4").reshape(256, 256)


def full_image_means() -> dict[str, float]:
    """Per-date mean of the FULL 600 x 600 amplitude image (``amp_image_means_full600.csv``)."""
    with open(builders.HOUSTON / "amp_image_means_full600.csv", newline="") as f:
        return {row["date"]: float(row["mean_amplitude_of_full_600x600_image_float32"])
                for row in csv.DictReader(f)}


def wrap(x: np.ndarray) -> np.ndarray:
    """Wrap radians to (-pi, pi]."""
    return np.angle(np.exp(1j * x))


def built_up_and_fields(run) -> tuple[np.ndarray, np.ndarray]:
    """The two classes, from data independent of minopy's phase linking.

    - built-up: mean amplitude of the authors' 93 amplitude files above its 97th percentile over
      the whole crop, AND the authors' ``avg_correlation`` > 0.4 (the crop's 95th percentile is
      ~0.19, so these are the bright, coherent built-up patches).
    - fields: mean amplitude below its crop median AND ``avg_correlation`` < 0.13 (about the crop
      median, 0.124): dark, incoherent ground (fields, vegetation, the river).
    """
    amp_full = run.mean_amp_full_crop
    built = (run.mean_amp > np.percentile(amp_full, 97)) & (run.avg_correlation > 0.4)
    fields = (run.mean_amp < np.percentile(amp_full, 50)) & (run.avg_correlation < 0.13)
    return built, fields


def test_amplitude_dispersion_reproduces_authors_amp_disp(houston_loaded):
    """README recipe on the loaded SLCs reproduces ``ps_data/amp_disp`` to 1e-5 (seen: 1.8e-7).

    The authors divide each amplitude image by its own FULL 600 x 600 image mean before
    ``std (ddof=0) / mean`` over time; the normalised amplitudes are fed to minopy's
    ``amplitude_dispersion``. minopy's own ``amp_dispersion_index`` raster is the un-normalised
    ``std/mean`` (capped at 1), which differs from the authors' map by up to ~0.11, so the
    normalisation is not optional.
    """
    with h5py.File(houston_loaded.slc_stack_file, "r") as f:
        slc = f["slc"][()]
        dates = [d.decode() for d in f["date"][()]]
    means = full_image_means()
    assert dates == builders.houston_dates() == list(means)
    assert slc.shape == (93, 256, 256)
    amp = np.abs(slc)
    scale = np.array([means[d] for d in dates], dtype=np.float64)[:, None, None]
    ours = amplitude_dispersion(amp / scale)
    authors = read_crop_map("ps_data/amp_disp")
    assert np.all(np.isfinite(ours))
    assert np.max(np.abs(ours - authors)) < 1e-5
    # the per-date normalisation matters on this stack (guards against a vacuous comparison)
    assert np.max(np.abs(amplitude_dispersion(amp) - authors)) > 1e-2


def test_amp_dispersion_index_raster_is_unnormalised_std_over_mean(houston_linked):
    """``inverted/amp_dispersion_index`` = min(std/mean of |slc|, 1) of the loaded stack."""
    run = houston_linked
    raster = read_raster(run.ctx.inverted_dir / "amp_dispersion_index")
    expected = amplitude_dispersion(np.abs(run.slc), cap=1.0)
    np.testing.assert_allclose(raster, expected, rtol=0, atol=1e-6)


def test_temporal_coherence_high_on_built_up_low_on_fields(houston_linked):
    """Median ``tempCoh_full``: built-up > 0.8, fields < 0.5, and a gap of at least 0.4.

    Seen (all 93 dates): built-up median 1.0 on both the subset (220 pixels) and the full crop
    (574 pixels); fields median 0.38 (subset, 1919 pixels) and 0.28 (full crop, 18905 pixels);
    fields pixels estimated by EMI (distributed scatterers): 0.27 / 0.24. Average band: built-up
    1.0, fields 0.56 / 0.53.

    Note on the built-up value: these interferograms are multilooked (README), so the KS test at
    15 x 15 finds almost no SHPs for the bright built-up pixels (median #SHP = 1). They are PS
    candidates; most pass the PS test (temporal coherence 1 by definition) and the rest get the EVD
    of their small-sample Γ (γ ~ 1, stored as 0.95). The high value there is therefore the PS
    path's, which is why the fields side is also checked on EMI pixels alone, where the temporal
    coherence is a real fit measure, and the Spearman test below uses every pixel.
    """
    run = houston_linked
    built, fields = built_up_and_fields(run)
    assert built.sum() >= 150 and fields.sum() >= 1000
    tcoh = run.tcoh_full
    assert np.all((tcoh >= 0) & (tcoh <= 1))
    med_built = float(np.median(tcoh[built]))
    med_fields = float(np.median(tcoh[fields]))
    assert med_built > 0.8, med_built
    assert med_fields < 0.5, med_fields
    assert med_built - med_fields > 0.4
    fields_ds = fields & (run.estimator == EMI)
    assert fields_ds.sum() >= 500
    assert np.median(tcoh[fields_ds]) < 0.4
    # the average (mini-stack) band orders the classes the same way
    assert np.median(run.tcoh_average[built]) > np.median(run.tcoh_average[fields]) + 0.2


def test_temporal_coherence_rank_correlates_with_authors_correlation(houston_linked):
    """Spearman(tempCoh_full, authors' avg_correlation) > 0.15 over all pixels and over EMI pixels.

    Seen (subset / full crop): 0.34 / 0.27 over all pixels, 0.38 / 0.37 over EMI pixels, and
    0.40 / 0.36 for the average band over all pixels. Two independent coherence estimates (psps
    multilooked correlation vs minopy phase-linking fit) agree in rank, though loosely on this
    mostly incoherent scene.
    """
    run = houston_linked
    rho_all = spearmanr(run.tcoh_full.ravel(), run.avg_correlation.ravel())[0]
    ds = run.estimator == EMI
    rho_ds = spearmanr(run.tcoh_full[ds], run.avg_correlation[ds])[0]
    rho_avg = spearmanr(run.tcoh_average.ravel(), run.avg_correlation.ravel())[0]
    assert rho_all > 0.15, rho_all
    assert rho_ds > 0.15, rho_ds
    assert rho_avg > 0.15, rho_avg


def test_linked_phase_of_coherent_pixels_agrees_with_input_interferograms(houston_linked):
    """load + phase linking + concatenation keep the interferometric signal.

    1. Pixels that keep their own phase (PS, and pixels whose only SHP is themselves) carry the
       phase of the authors' interferogram files, re-referenced to the first date
       (wrap(φ_d - φ_0), with the README sign convention), to 1e-5 rad (seen 4.8e-7). This also
       pins the date order, sign convention and patch placement through the steps.
    2. Coherent distributed scatterers (EMI pixels with tempCoh_full >= 0.8; 63 in the subset,
       155 in the full crop): the linked phase agrees with the 5 x 5 boxcar-multilooked input
       interferogram s_d s_0*: median |wrapped difference| over pixels and dates < 0.6 rad
       (seen 0.35 / 0.40), while for incoherent EMI pixels (tempCoh_full < 0.2) it is > 1.0 rad
       (seen 1.45 / 1.44; pure noise gives pi/2). The comparison is with a multilook, not the
       pixel's own phase, because a DS phase is estimated from its SHPs.
    """
    run = houston_linked
    y0, y1, x0, x1 = run.box
    ps = (run.estimator == PS) | (run.shp == 1)
    assert ps.sum() >= 30
    ref = builders.houston_phase(run.dates[0])[y0:y1, x0:x1]
    max_err = 0.0
    for i, d in enumerate(run.dates):
        expected = wrap(builders.houston_phase(d)[y0:y1, x0:x1] - ref)
        max_err = max(max_err, float(np.abs(wrap(run.phase[i] - expected))[ps].max()))
    assert max_err < 1e-5, max_err
    assert np.all(run.phase[0] == 0)

    ifg = run.slc * np.conj(run.slc[0])
    ml = uniform_filter(ifg.real, (1, 5, 5)) + 1j * uniform_filter(ifg.imag, (1, 5, 5))
    diff = np.abs(np.angle(np.exp(1j * run.phase) * np.conj(ml)))[1:]
    ds = run.estimator == EMI
    tcoh = run.tcoh_full
    top = ds & (tcoh >= 0.8)
    low = ds & (tcoh < 0.2)
    assert top.sum() >= 30 and low.sum() >= 100
    med_top = float(np.median(diff[:, top]))
    med_low = float(np.median(diff[:, low]))
    assert med_top < 0.6, med_top
    assert med_low > 1.0, med_low


def test_calibrated_chain_agrees_with_the_authors_phase_similarity(houston_linked):
    """The whole phase-linking chain against the psps authors' maps (calibration issue targets).

    Measured on the full crop with the defaults (before the SHP/PS calibration in brackets):
    median #SHP 113 of 225 [11]; PS 0.1 % [12.3 %]; Pearson r(tempCoh_full, avg_correlation)
    0.37 [0.34]; pixels with max_sim > 0.7 that are PS or have tempCoh_full >= 0.7: 63 % [80 %];
    PS with max_sim < 0.4: 0 % [66 %]; pixels with max_sim < 0.3 and tempCoh_full >= 0.7: 3.3 %
    [10.8 %] (12 % on the 72 x 112 subset, which is mostly the built-up patches' surroundings).
    The issue's targets r >= 0.6, >= 85 % and <= 3 % are not reached (see the closing
    note); the bounds below guard what was gained.
    """
    run = houston_linked
    y0, y1, x0, x1 = run.box
    sim = read_crop_map("ps_data/max_sim")[y0:y1, x0:x1]
    tcoh = run.tcoh_full
    ps = run.estimator == PS
    good = tcoh >= 0.7
    assert np.median(run.shp) >= 60  # the tests no longer reject most of a homogeneous window
    assert ps.mean() < 0.02
    if ps.any():
        assert np.mean(sim[ps] < 0.4) <= 0.25
    r = np.corrcoef(tcoh.ravel(), run.avg_correlation.ravel())[0, 1]
    assert r >= 0.3, r
    false_high = np.mean(good[sim < 0.3])
    if run.box == (0, 256, 0, 256):
        assert false_high <= 0.045, false_high
        assert r >= 0.35, r
        assert np.mean((ps | good)[sim > 0.7]) >= 0.6
    else:  # the subset is mostly the built-up patches' surroundings (seen 12 %)
        assert false_high <= 0.15, false_high
