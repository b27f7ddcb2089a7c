"""load_ifgram -> ifgram_correction -> invert_network -> timeseries_correction on a tiny stack."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from steps import _timeseries_synth as synth

from minopy import nodata
from minopy.errors import ConfigError, InputDataError, StepError
from minopy.io.isce import read_raster
from minopy.steps import (
    ifgram_correction,
    invert_network,
    load_ifgram,
    timeseries_correction,
)

LENGTH, WIDTH = synth.LENGTH, synth.WIDTH


def _reliable(shape: tuple[int, int]) -> np.ndarray:
    ok = np.ones(shape, bool)
    ok[-4:, -5:] = False  # low temporal coherence
    ok[:2, -3:] = False  # water
    return ok


def _read(path: Path, name: str) -> tuple[np.ndarray, dict]:
    with h5py.File(path, "r") as f:
        return f[name][()], dict(f.attrs)


def test_load_ifgram_is_mintpy_readable(tmp_path: Path) -> None:
    from mintpy.cli import info
    from mintpy.objects import ifgramStack

    s = synth.build(tmp_path)
    load_ifgram.run(s.ctx)
    path = s.ctx.ifgram_stack_file
    stack = ifgramStack(str(path))
    stack.open(print_msg=False)
    assert stack.get_date12_list(dropIfgram=True) == s.pairs
    assert stack.metadata["FILE_TYPE"] == "ifgramStack"
    pos = {d: i for i, d in enumerate(s.dates)}
    np.testing.assert_allclose(stack.pbaseIfgram, [s.bperp[pos[p[9:]]] - s.bperp[pos[p[:8]]]
                                                   for p in s.pairs], rtol=1e-5)
    unw = stack.read(datasetName="unwrapPhase", print_msg=False)
    np.testing.assert_array_equal(unw[0], read_raster(s.ctx.ifgram_dir / s.pairs[0] /
                                                      "filt_fine.unw", band=2))
    info.main([str(path)])
    geom, attrs = _read(s.ctx.network_geometry_file, "height")
    assert attrs["FILE_TYPE"] == "geometry" and attrs["beam_mode"] == "IW"


def test_load_ifgram_wrapped_phase_and_iono_option(tmp_path: Path) -> None:
    pattern = str(tmp_path / "minopy" / "inverted" / "*" / "*" / "filt_fine.unw")
    s = synth.build(tmp_path, {"minopy.load.intFile": pattern})
    # the .unw files stand in for wrapped interferograms: any raster with the phase in band 1
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r") as f:
        assert f["wrapPhase"].shape == f["unwrapPhase"].shape
        first = read_raster(s.ctx.ifgram_dir / s.pairs[0] / "filt_fine.unw", band=1)
        np.testing.assert_array_equal(f["wrapPhase"][0], first)
    s2 = synth.build(tmp_path / "iono", {"minopy.load.ionoFile": "iono/*.unw"})
    with pytest.raises(ConfigError, match="minopy.load.ionoFile .* not supported"):
        load_ifgram.run(s2.ctx)


def test_chain_recovers_truth_and_writes_mintpy_products(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mintpy.cli import tsview, view
    from mintpy.utils import readfile

    s = synth.build(tmp_path, {"minopy.timeseries.shadowMask": "yes",
                               "mintpy.topographicResidual": "yes", "mintpy.save.hdfEos5": "yes",
                               "mintpy.save.kmz": "yes",
                               "mintpy.geocode.laloStep": "-0.0008,0.001"})
    for step in (load_ifgram, ifgram_correction, invert_network):
        step.run(s.ctx)
    net = s.ctx.network_dir
    ts, attrs = _read(net / "timeseries.h5", "timeseries")
    ref = (int(attrs["REF_Y"]), int(attrs["REF_X"]))
    ok = _reliable(ts.shape[1:])
    ok[10, 10] = False  # shadow
    assert ok[ref]
    np.testing.assert_allclose(ts[:, ok], s.truth(ref)[:, ok], atol=1e-6)
    assert attrs["UNIT"] == "m" and attrs["REF_DATE"] == s.dates[0]
    assert (ts[:, ~ok] == 0).all()
    mask, _ = _read(net / "maskTempCoh.h5", "mask")
    np.testing.assert_array_equal(mask, ok)
    tcoh, _ = _read(net / "temporalCoherence.h5", "temporalCoherence")
    assert np.isnan(tcoh[0, -1]) and np.isnan(tcoh[10, 10]) and tcoh[5, 5] == pytest.approx(0.95)
    num, _ = _read(net / "numInvIfgram.h5", "mask")
    assert (num[ok] == len(s.pairs)).all() and (num[~ok] == 0).all()
    assert readfile.read_attribute(str(net / "timeseries.h5"))["FILE_TYPE"] == "timeseries"

    timeseries_correction.run(s.ctx)
    dem, _ = _read(net / "demErr.h5", "dem")
    np.testing.assert_allclose(dem[ok], (s.dem_error - s.dem_error[ref])[ok], atol=1e-3)
    vel, _ = _read(net / "velocity.h5", "velocity")
    # no-data is NaN in the velocity, not 0 m/year; the reference pixel keeps its value
    assert np.isnan(vel[~ok]).all() and np.isfinite(vel[ok]).all()
    assert abs(vel[ref]) < 1e-6
    geo_vel, _ = _read(net / "geo" / "geo_velocity.h5", "velocity")
    geo_ok, _ = _read(net / "geo" / "geo_maskTempCoh.h5", "mask")
    assert np.isnan(geo_vel[~geo_ok.astype(bool)]).all() and (~geo_ok.astype(bool)).any()
    assert np.isfinite(geo_vel[geo_ok.astype(bool)]).all()
    # why each pixel has no velocity
    codes = nodata.reason_map(net)
    assert (codes[ok] == nodata.RELIABLE).all()
    assert codes[0, -1] == nodata.WATER and codes[10, 10] == nodata.SHADOW
    assert (codes[-4:, -5:] == nodata.LOW_COHERENCE).all()
    assert nodata.explain_pixel(net, LENGTH - 1, WIDTH - 1) == \
        "not inverted: temporal coherence 0.20 < minTempCoh 0.5"
    assert nodata.explain_pixel(net, 0, WIDTH - 1) == "not inverted: water"
    assert nodata.explain_pixel(net, 5, 5) is None
    assert (net / "geo" / "geo_velocity.h5").is_file()
    assert np.corrcoef(vel[ok], (s.velocity - s.velocity[ref])[ok])[0, 1] > 0.999
    png = tmp_path / "vel.png"
    view.main([str(net / "velocity.h5"), "velocity", "--nodisplay", "-o", str(png)])
    assert png.is_file()
    view.main([str(net / "timeseries_demErr.h5"), "--nodisplay", "-o", str(tmp_path / "t.png")])
    assert Path.cwd() != net
    # KMZ of the geocoded velocity (offline: no coastline)
    assert (net / "geo" / "geo_velocity.kmz").stat().st_size > 0
    # HDF-EOS5 through MintPy's save_hdfeos5 (of the geocoded time series, as geocoding is on):
    # name from PLATFORM/beam/track, displacement = its input
    (he5,) = net.glob("*.he5")
    assert he5.name.startswith("S1_IW1_042_")
    geo_ts, geo_attrs = _read(net / "geo" / "geo_timeseries_demErr.h5", "timeseries")
    with h5py.File(he5, "r") as f:
        grid = f["HDFEOS/GRIDS/timeseries"]
        assert {"observation", "quality", "geometry"} <= set(grid)
        np.testing.assert_allclose(grid["observation/displacement"][()], geo_ts)
        assert f.attrs["Y_FIRST"] == geo_attrs["Y_FIRST"]
        assert [d.decode() for d in grid["observation/date"][()]] == s.dates
        assert {"temporalCoherence", "mask"} <= set(grid["quality"])
        assert f.attrs["relative_orbit"] == 42 and f.attrs["beam_mode"] == "IW"
    # tsview, non-interactive: point time series at a pixel saved as text + figures
    monkeypatch.chdir(tmp_path)
    y, x = 5, 7
    demerr_ts, _ = _read(net / "timeseries_demErr.h5", "timeseries")
    tsview.main([str(net / "timeseries_demErr.h5"), "--yx", str(y), str(x), "--nodisplay",
                 "--noverbose"])
    lines = (tmp_path / f"y{y}x{x}_ts.txt").read_text().splitlines()
    saved = np.array([ln.split() for ln in lines if ln.strip() and not ln.startswith("#")])
    np.testing.assert_allclose(saved[:, 1].astype(float), (demerr_ts[:, y, x] - demerr_ts[0, y, x])
                               * 100, atol=1e-3)  # cm
    assert (tmp_path / f"y{y}x{x}_ts.pdf").is_file()
    assert list(tmp_path.glob(f"y{y}x{x}_*.png"))


def test_hdfeos5_names_missing_attributes(tmp_path: Path) -> None:
    s = synth.build(tmp_path, {"mintpy.save.hdfEos5": "yes"})
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
        for key in ("relative_orbit", "PLATFORM", "beam_mode", "POLARIZATION"):
            del f.attrs[key]
        f.attrs["sensor_type"] = "stripmap"
    invert_network.run(s.ctx)
    ts_file = s.ctx.network_dir / "timeseries.h5"
    before = ts_file.read_bytes()
    with pytest.raises(InputDataError, match=r"relative_orbit.*add_attribute") as err:
        timeseries_correction.run(s.ctx)
    # beam_mode and POLARIZATION were derived (into the staged copy), the others are named
    assert "PLATFORM" in str(err.value) and "beam_mode" not in str(err.value)
    assert "POLARIZATION" not in str(err.value)
    assert ts_file.read_bytes() == before  # invert_network's output is never modified
    assert not (s.ctx.network_dir / "velocity.h5").exists()  # failed before MintPy ran


def test_automatic_reference_is_reliable_when_coherence_is_low(tmp_path: Path) -> None:
    s = synth.build(tmp_path, coherence=0.5)  # below mintpy.reference.minCoherence = 0.85
    load_ifgram.run(s.ctx)
    ifgram_correction.run(s.ctx)
    _, attrs = _read(s.ctx.ifgram_stack_file, "date")
    y, x = int(attrs["REF_Y"]), int(attrs["REF_X"])
    assert _reliable((synth.LENGTH, synth.WIDTH))[y, x]
    invert_network.run(s.ctx)


def test_automatic_reference_where_mintpy_would_pick_a_bad_pixel(tmp_path: Path, caplog) -> None:
    """MintPy's rule (a random pixel with average coherence >= 0.85) can only pick a bright area
    that is not unwrapped in 3 pairs or an isolated PS; minopy picks the coherent, unwrapped area
    (its interior), logs why, and writes REF_Y/REF_X where MintPy reads them."""
    import logging

    s = synth.build(tmp_path)
    load_ifgram.run(s.ctx)
    shape = (synth.LENGTH, synth.WIDTH)
    bright = np.zeros(shape, bool)
    bright[12:20, 2:9] = True  # coherence 0.95, connected component 0 in three pairs
    good = np.zeros(shape, bool)
    good[2:12, 11:24] = True  # coherence 0.8, unwrapped everywhere
    ps = (16, 20)  # coherence 1 in a 0.4 background
    coh = np.full(shape, 0.4, np.float32)
    coh[bright], coh[good], coh[ps] = 0.95, 0.8, 1.0
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f["coherence"][...] = coh[None]
        for i in (1, 4, 6):
            comp = f["connectComponent"][i]
            comp[bright] = 0
            f["connectComponent"][i] = comp
    high = np.argwhere(coh >= 0.85)
    assert all(bright[y, x] or (y, x) == ps for y, x in high)  # all MintPy could choose
    with caplog.at_level(logging.INFO, logger="minopy"):
        ifgram_correction.run(s.ctx)
    _, attrs = _read(s.ctx.ifgram_stack_file, "date")
    y, x = int(attrs["REF_Y"]), int(attrs["REF_X"])
    assert good[y - 3:y + 4, x - 3:x + 4].all(), (y, x)  # deep inside the good area
    assert (f"automatic reference point y/x = {y}/{x}: unwrapped (connected component != 0) in "
            f"all {len(s.pairs)} kept interferograms" in caplog.text)
    assert "the most reliable neighbourhood (mean temporal coherence" in caplog.text
    assert "average spatial coherence 0.80)" in caplog.text
    invert_network.run(s.ctx)
    ts, ts_attrs = _read(s.ctx.network_dir / "timeseries.h5", "timeseries")
    assert (int(ts_attrs["REF_Y"]), int(ts_attrs["REF_X"])) == (y, x)
    ok = _reliable(shape) & ~bright
    np.testing.assert_allclose(ts[:, ok], s.truth((y, x))[:, ok], atol=1e-5)


def test_automatic_reference_unwrapped_in_most_pairs(tmp_path: Path, caplog) -> None:
    """An interferogram with no unwrapped pixel: the reference is unwrapped in all others, the
    pair is left out by invert_network with a warning, the time series is still right."""
    import logging

    s = synth.build(tmp_path)
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f["unwrapPhase"][2] = np.nan
    with caplog.at_level(logging.INFO, logger="minopy"):
        ifgram_correction.run(s.ctx)
        invert_network.run(s.ctx)
    n = len(s.pairs)
    assert f"unwrapped in {n - 1} of {n} kept interferograms, the most of any pixel" in caplog.text
    assert f"is not unwrapped in 1 of {n} kept interferograms" in caplog.text
    assert f"those are left out: {s.pairs[2]}" in caplog.text
    assert "leaves out" not in caplog.text  # the other pairs still link every date
    ts, attrs = _read(s.ctx.network_dir / "timeseries.h5", "timeseries")
    ref = (int(attrs["REF_Y"]), int(attrs["REF_X"]))
    ok = _reliable(ts.shape[1:])
    np.testing.assert_allclose(ts[:, ok], s.truth(ref)[:, ok], atol=1e-5)


def test_automatic_reference_leaving_out_a_date(tmp_path: Path, caplog) -> None:
    """The only two pairs of the last date are not unwrapped anywhere: that date leaves the time
    series, with a warning naming it."""
    import logging

    s = synth.build(tmp_path)
    load_ifgram.run(s.ctx)
    last = [i for i, p in enumerate(s.pairs) if p.endswith(s.dates[-1])]
    assert len(last) == 2
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        for i in last:
            f["connectComponent"][i] = 0
    with caplog.at_level(logging.INFO, logger="minopy"):
        ifgram_correction.run(s.ctx)
        invert_network.run(s.ctx)
    assert f"leaves out 1 date(s) that no other kept interferogram links: {s.dates[-1]}" \
        in caplog.text
    ts, attrs = _read(s.ctx.network_dir / "timeseries.h5", "timeseries")
    assert ts.shape[0] == len(s.dates) - 1
    ok = _reliable(ts.shape[1:])
    truth = s.truth((int(attrs["REF_Y"]), int(attrs["REF_X"])))[:-1]
    np.testing.assert_allclose(ts[:, ok], truth[:, ok], atol=1e-5)


def test_reference_point_error_when_nothing_valid(tmp_path: Path) -> None:
    s = synth.build(tmp_path, coherence=0.5)
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f["connectComponent"][...] = 0  # nothing unwrapped anywhere
    with pytest.raises(StepError, match="no pixel on land is unwrapped.*mintpy.reference.yx"):
        ifgram_correction.run(s.ctx)


@pytest.mark.parametrize("opts", [
    {"minopy.timeseries.residualNorm": "L1", "minopy.timeseries.L1smoothingFactor": "0"},
    {"minopy.timeseries.minNormVelocity": "no", "minopy.timeseries.L2weightFunc": "coh"},
])
def test_invert_options_and_rerun_mask(tmp_path: Path, opts: dict[str, str]) -> None:
    s = synth.build(tmp_path, opts)
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
    invert_network.run(s.ctx)
    ts, _ = _read(s.ctx.network_dir / "timeseries.h5", "timeseries")
    ok = _reliable(ts.shape[1:])
    np.testing.assert_allclose(ts[:, ok], s.truth((3, 4))[:, ok], atol=1e-5)
    # a re-run with a lower threshold must not reuse the old mask
    s2 = synth.build(tmp_path / "again", {**opts, "minopy.timeseries.minTempCoh": "0.1"})
    s.ctx.config = s2.ctx.config
    invert_network.run(s.ctx)
    mask, _ = _read(s.ctx.network_dir / "maskTempCoh.h5", "mask")
    assert mask[-1, -1] and not mask[0, -1]


def test_disconnected_network_and_all_masked(tmp_path: Path) -> None:
    s = synth.build(tmp_path)
    load_ifgram.run(s.ctx)
    path = s.ctx.ifgram_stack_file
    with h5py.File(path, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
        drop = f["dropIfgram"][()]
        bridge = [i for i, p in enumerate(s.pairs) if p[:8] <= s.dates[2] < p[9:]]
        drop[bridge] = False
        f["dropIfgram"][...] = drop
    with pytest.raises(StepError, match=f"{s.dates[0]}..{s.dates[2]}") as err:
        invert_network.run(s.ctx)
    assert f"dropped {len(bridge)} of {len(s.pairs)} pairs" in str(err.value)
    assert f"mintpy.network.excludeDate = {','.join(s.dates[3:])}" in str(err.value)
    s2 = synth.build(tmp_path / "b", {"minopy.timeseries.minTempCoh": "0.99"})
    load_ifgram.run(s2.ctx)
    with h5py.File(s2.ctx.ifgram_stack_file, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
    with pytest.raises(InputDataError, match="minTempCoh"):
        invert_network.run(s2.ctx)
    assert not (s2.ctx.network_dir / "timeseries.h5").exists()


def test_unwrap_error_dataset_is_inverted(tmp_path: Path) -> None:
    s = synth.build(tmp_path, {"mintpy.unwrapError.method": "bridging+phase_closure"})
    load_ifgram.run(s.ctx)
    ifgram_correction.run(s.ctx)
    invert_network.run(s.ctx)
    ts, attrs = _read(s.ctx.network_dir / "timeseries.h5", "timeseries")
    assert attrs["mintpy.networkInversion.obsDatasetName"] == "unwrapPhase_bridging_phaseClosure"
    ref = (int(attrs["REF_Y"]), int(attrs["REF_X"]))
    ok = _reliable(ts.shape[1:])
    np.testing.assert_allclose(ts[:, ok], s.truth(ref)[:, ok], atol=1e-6)


def test_mintpy_config_is_offline_safe(tmp_path: Path) -> None:
    from minopy import mintpy_bridge

    s = synth.build(tmp_path, {"mintpy.troposphericDelay.method": "auto",
                               "mintpy.load.unwFile": "x/*.unw", "mintpy.save.kmz": "auto"})
    text = mintpy_bridge.write_mintpy_config(s.ctx).read_text()
    assert "mintpy.troposphericDelay.method = no" in text
    # MintPy's KMZ writer needs ~1.6 GB even for a tiny stack: off unless asked for
    assert "mintpy.save.kmz = no" in text
    assert "mintpy.load.unwFile" not in text and "mintpy.load.processor = isce" in text
    assert "mintpy.networkInversion.minTempCoh = 0.5" in text
    s2 = synth.build(tmp_path / "b", {"mintpy.troposphericDelay.method": "height_correlation",
                                      "mintpy.save.kmz": "yes"})
    text = mintpy_bridge.write_mintpy_config(s2.ctx).read_text()
    assert "mintpy.troposphericDelay.method = height_correlation" in text
    assert "mintpy.save.kmz = yes" in text


def _stack_with_ref(tmp_path: Path, opts: dict[str, str] | None = None) -> synth.Synth:
    s = synth.build(tmp_path, opts)
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
    return s


@pytest.mark.parametrize("min_red", [None, "2"])
def test_min_redundancy(tmp_path: Path, min_red: str | None) -> None:
    opts = {} if min_red is None else {"mintpy.networkInversion.minRedundancy": min_red}
    s = _stack_with_ref(tmp_path, opts)
    date = s.dates[3]
    touching = [i for i, p in enumerate(s.pairs) if date in p]
    assert len(touching) == 4
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        for i in touching[:3]:  # (5, 6): date 3 in one valid pair only
            f["unwrapPhase"][i, 5, 6] = np.nan
        for i in touching:  # (8, 9): date 3 in no valid pair
            f["unwrapPhase"][i, 8, 9] = np.nan
    invert_network.run(s.ctx)
    net = s.ctx.network_dir
    ts, attrs = _read(net / "timeseries.h5", "timeseries")
    num, _ = _read(net / "numInvIfgram.h5", "mask")
    mask, _ = _read(net / "maskTempCoh.h5", "mask")
    truth = s.truth((3, 4))
    assert float(attrs["mintpy.networkInversion.minRedundancy"]) == float(min_red or 1)
    # no valid pair for a date: never inverted (MintPy's default minRedundancy = 1)
    assert (ts[:, 8, 9] == 0).all() and num[8, 9] == 0 and not mask[8, 9]
    if min_red is None:
        np.testing.assert_allclose(ts[:, 5, 6], truth[:, 5, 6], atol=1e-6)
        assert num[5, 6] == len(s.pairs) - 3 and mask[5, 6]
    else:
        assert (ts[:, 5, 6] == 0).all() and num[5, 6] == 0 and not mask[5, 6]
    ok = _reliable(ts.shape[1:])
    ok[5, 6] = ok[8, 9] = False
    np.testing.assert_allclose(ts[:, ok], truth[:, ok], atol=1e-5)


def test_min_redundancy_must_be_a_number(tmp_path: Path) -> None:
    from minopy.errors import ConfigError

    s = _stack_with_ref(tmp_path, {"mintpy.networkInversion.minRedundancy": "many"})
    with pytest.raises(ConfigError, match="minRedundancy"):
        invert_network.run(s.ctx)


def test_user_reference_pixel_must_be_unwrapped(tmp_path: Path) -> None:
    s = _stack_with_ref(tmp_path, {"mintpy.reference.yx": "3,4"})
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f["connectComponent"][2, 3, 4] = 0
    with pytest.raises(InputDataError, match=f"reference.yx/lalo.*not unwrapped.*{s.pairs[2]}"):
        invert_network.run(s.ctx)


def test_reference_lalo_uses_nearest_pixel_of_geometry(tmp_path: Path) -> None:
    from minopy import mintpy_bridge
    from minopy.errors import ConfigError

    with h5py.File(synth.build(tmp_path / "g").ctx.geometry_file, "r") as f:
        lat, lon = f["latitude"][()], f["longitude"][()]
    # 0.3 pixel from the centre of (7, 12), towards (6, 13): MintPy's own lookup floors to row 6
    la = lat[7, 12] + 0.3 * (lat[6, 12] - lat[7, 12])
    lo = lon[7, 12] + 0.3 * (lon[7, 13] - lon[7, 12])
    s = synth.build(tmp_path / "a", {"mintpy.reference.lalo": f"{la:.6f},{lo:.6f}"})
    load_ifgram.run(s.ctx)
    ifgram_correction.run(s.ctx)
    _, attrs = _read(s.ctx.ifgram_stack_file, "date")
    assert (int(attrs["REF_Y"]), int(attrs["REF_X"])) == (7, 12)
    s2 = synth.build(tmp_path / "b", {"mintpy.reference.lalo": "0.5,0.5"})
    load_ifgram.run(s2.ctx)
    with pytest.raises(ConfigError, match="outside the area"):
        mintpy_bridge.reference_yx_from_lalo(s2.ctx)
    s3 = synth.build(tmp_path / "c", {"mintpy.reference.lalo": f"{la},{lo}",
                                      "mintpy.reference.yx": "2,3"})
    load_ifgram.run(s3.ctx)
    assert mintpy_bridge.reference_yx_from_lalo(s3.ctx) is None  # yx wins, as in MintPy
