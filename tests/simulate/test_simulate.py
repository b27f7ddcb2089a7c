"""Tests of the synthetic ISCE stack generator (minopy.simulate)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from minopy.config import load_config
from minopy.errors import ConfigError
from minopy.io.isce import open_raster, read_info, read_raster
from minopy.io.isce_metadata import parse_time
from minopy.simulate import PRESETS, demo_template_text, read_truth, resolve_params, write_stack
from minopy.simulate.coherence import coherence_matrix, matrix_sqrt, sample_coherence
from minopy.simulate.geometry import build_geometry, ecef_to_llh, llh_to_ecef, radius_along_heading
from minopy.simulate.params import CoherenceClass
from minopy.simulate.scene import CLASS_PS
from minopy.simulate.signals import day_of_year_times

GEOM_FILES = ("hgt", "lat", "lon", "los", "shadowMask", "waterMask", "incLocal")


@pytest.fixture(scope="module")
def tops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stack(tmp_path_factory.mktemp("sim") / "tops", preset="tiny", seed=3)


@pytest.fixture(scope="module")
def truth(tops: Path) -> dict:
    return read_truth(tops)


@pytest.fixture(scope="module")
def slcs(tops: Path, truth: dict) -> np.ndarray:
    dates = [d.decode() for d in truth["date"]]
    return np.stack([read_raster(tops / "merged/SLC" / d / f"{d}.slc.full") for d in dates])


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, np.ndarray]:
    """A 128 x 128 variant of 'tiny' (more pixels per class for statistical tests)."""
    out = write_stack(tmp_path_factory.mktemp("sim") / "big", preset="tiny", seed=1,
                      length=128, width=128)
    truth = read_truth(out)
    dates = [d.decode() for d in truth["date"]]
    return truth, np.stack([read_raster(out / "merged/SLC" / d / f"{d}.slc.full") for d in dates])


def _phase_free(slcs: np.ndarray, truth: dict) -> np.ndarray:
    """SLCs with the truth signal phase removed, shape (N, L, W)."""
    lam = truth["attrs"]["WAVELENGTH"]
    return slcs * np.exp(-1j * 4 * np.pi / lam * truth["timeseries"])


def test_tops_layout_files_open(tops: Path, truth: dict) -> None:
    L, W = truth["height"].shape
    dates = [d.decode() for d in truth["date"]]
    assert len(dates) == PRESETS["tiny"].n_dates
    for d in dates:
        info = read_info(tops / "merged/SLC" / d / f"{d}.slc.full")
        assert (info.data_type, info.width, info.length, info.image_type) == ("CFLOAT", W, L, "slc")
    expect = {"hgt": ("DOUBLE", 1), "lat": ("DOUBLE", 1), "lon": ("DOUBLE", 1),
              "los": ("FLOAT", 2), "incLocal": ("FLOAT", 2), "shadowMask": ("BYTE", 1),
              "waterMask": ("BYTE", 1)}
    for name in GEOM_FILES:
        info = read_info(tops / "merged/geom_reference" / f"{name}.rdr.full")
        assert (info.data_type, info.bands) == expect[name]
        assert open_raster(info.path).shape == (expect[name][1], L, W)
    assert read_info(tops / "merged/geom_reference/los.rdr.full").scheme == "BIL"
    water = read_raster(tops / "merged/geom_reference/waterMask.rdr.full")
    np.testing.assert_array_equal(water == 0, ~truth["waterMask"])
    assert (water == 0).any()
    shadow = read_raster(tops / "merged/geom_reference/shadowMask.rdr.full")
    np.testing.assert_array_equal(shadow == 1, truth["shadowMask"])
    hgt = read_raster(tops / "merged/geom_reference/hgt.rdr.full")
    np.testing.assert_allclose(hgt, truth["height"], atol=1e-3)
    assert (tops / "reference/IW1.xml").exists()


def test_vrt_opens_with_rasterio(tops: Path, truth: dict) -> None:
    import rasterio
    d = truth["date"][1].decode()
    slc = tops / "merged/SLC" / d / f"{d}.slc.full"
    with rasterio.open(f"{slc}.vrt") as ds:
        np.testing.assert_array_equal(ds.read(1), read_raster(slc))
    los = tops / "merged/geom_reference/los.rdr.full"
    with rasterio.open(f"{los}.vrt") as ds:
        assert ds.count == 2
        np.testing.assert_array_equal(ds.read(2), read_raster(los, band=2))


def _burst_props(xml_file: Path, burst: str = "burst1"
                 ) -> tuple[dict[str, str], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Properties and state vectors of one burst, found by the paths ISCE2 writes."""
    root = ET.parse(xml_file).getroot()
    assert root.tag == "productmanager_name"
    instance = root.find("./component[@name='instance']")
    assert instance.findtext("factoryname") == "TOPSSwathSLCProduct"
    node = instance.find(f"./component[@name='bursts']/component[@name='{burst}']")
    assert node.findtext("factoryname") == "BurstSLC"
    props = {p.get("name"): p.findtext("value") for p in node.findall("property")}
    vectors = []
    path = "./component[@name='orbit']/component[@name='state_vectors']/component"
    for sv in node.findall(path):
        assert sv.get("name").startswith("statevector")  # ISCE2's TraitSeq element names
        v = {p.get("name"): p.findtext("value") for p in sv.findall("property")}
        vectors.append((v["time"], np.array(eval(v["position"])), np.array(eval(v["velocity"]))))
    return props, sorted(vectors, key=lambda v: v[0])


def test_tops_reference_xml_orbit_consistent(tops: Path, truth: dict) -> None:
    props, vectors = _burst_props(tops / "reference/IW1.xml")
    for key in ("radarwavelength", "rangepixelsize", "azimuthtimeinterval", "startingrange",
                "pulserepetitionfrequency", "passdirection", "polarization", "tracknumber",
                "sensingstart", "sensingstop", "burststartutc", "burststoputc", "swathnumber",
                "numberoflines", "numberofsamples", "rangesamplingrate", "family", "name"):
        assert key in props, key
    assert props["passdirection"] == "DESCENDING"
    L, W = truth["height"].shape
    bursts = [_burst_props(tops / "reference/IW1.xml", f"burst{k}")[0] for k in (1, 2, 3)]
    assert sum(int(b["numberoflines"]) for b in bursts) == L
    assert int(props["numberofsamples"]) == W
    # str(datetime): state vectors at whole seconds have no fraction, burst times do
    assert all(len(t) == 19 for t, _, _ in vectors)
    assert "." in props["sensingstart"]
    times = [parse_time(t, "IW1.xml") for t, _, _ in vectors]
    start = parse_time(props["sensingstart"], "IW1.xml")
    stop = parse_time(bursts[-1]["sensingstop"], "IW1.xml")
    assert times[0] < start < stop < times[-1]
    steps = np.diff([t.timestamp() for t in times])
    np.testing.assert_allclose(steps, 10.0)
    # altitude, speed and slant range from the state vectors
    mid = len(vectors) // 2
    pos, vel = vectors[mid][1], vectors[mid][2]
    lat, lon, alt = ecef_to_llh(pos)
    assert 680e3 < alt < 710e3
    assert 7400 < np.linalg.norm(vel) < 7700
    # heading from the orbit agrees with the azimuth angle of los.rdr (MintPy relation)
    from minopy.simulate.geometry import enu_basis

    east, north, _ = enu_basis(lat, lon)
    heading = np.degrees(np.arctan2(vel @ east, vel @ north))
    azimuth = read_raster(tops / "merged/geom_reference/los.rdr.full", band=2)
    az_from_heading = -(heading - 90.0)
    az_from_heading -= np.round(az_from_heading / 360.0) * 360.0
    assert abs(az_from_heading - azimuth.mean()) < 4.0
    assert -110 < azimuth.mean() < -95
    # the starting range is the distance from the orbit to the first column's target
    lat_r = read_raster(tops / "merged/geom_reference/lat.rdr.full")
    lon_r = read_raster(tops / "merged/geom_reference/lon.rdr.full")
    hgt = read_raster(tops / "merged/geom_reference/hgt.rdr.full")
    target = llh_to_ecef(lat_r[(L - 1) // 2, 0], lon_r[(L - 1) // 2, 0], hgt[(L - 1) // 2, 0])
    r0 = float(props["startingrange"])
    assert abs(np.linalg.norm(pos - target) - r0) < 200.0  # centre line is ~ at the mid vector


def test_tops_baselines(tops: Path, truth: dict) -> None:
    dates = [d.decode() for d in truth["date"]]
    for k, sec in enumerate(dates[1:], start=1):
        text = (tops / "baselines" / f"{dates[0]}_{sec}" / f"{dates[0]}_{sec}.txt").read_text()
        assert "swath: IW1" in text
        value = float(text.split("Bperp (average):")[1].split()[0])
        assert value == pytest.approx(float(truth["bperp"][k]), abs=1e-4)
    assert truth["bperp"][0] == 0


def test_geometry_conventions() -> None:
    desc = resolve_params("tiny")
    asc = resolve_params("tiny", orbit_direction="ASCENDING", heading=-13.0)
    for params, az_expect in ((desc, -103.0), (asc, 103.0)):
        geom = build_geometry(params)
        res = geom.targets(np.array([(params.length - 1) / 2]), np.array([(params.width - 1) / 2]),
                           np.zeros(1))
        assert res["incidence"][0] == pytest.approx(params.incidence_center, abs=1e-3)
        assert res["azimuth"][0] == pytest.approx(az_expect, abs=0.01)
        assert res["latitude"][0] == pytest.approx(params.center_lat, abs=1e-6)
        # zero Doppler: the line of sight is perpendicular to the velocity
        sat, vel = geom.satellite(np.zeros(1))
        assert abs((res["xyz"][0] - sat[0]) @ vel[0]) / np.linalg.norm(vel) < 1e-3
    assert radius_along_heading(0.0, 90.0) == pytest.approx(6378137.0)


def test_coherence_matrix_and_sqrt() -> None:
    t = np.arange(20) * 12.0
    cls = CoherenceClass("x", 0.8, 0.2, 30.0, seasonal=0.3)
    c = coherence_matrix(t, cls)
    assert np.allclose(np.diag(c), 1.0) and np.allclose(c, c.T)
    assert np.linalg.eigvalsh(c).min() > -1e-12
    assert c[0, 1] < cls.gamma0 + 1e-12
    s = matrix_sqrt(c)
    np.testing.assert_allclose(s @ s.conj().T, c, atol=1e-10)
    singular = coherence_matrix(t, CoherenceClass("one", 1.0, 1.0, 10.0))
    s = matrix_sqrt(singular)
    np.testing.assert_allclose(s @ s.conj().T, singular, atol=1e-8)


def test_sample_coherence_matches_model(larger: tuple[dict, np.ndarray]) -> None:
    truth, slcs = larger
    params = PRESETS["tiny"]
    z = _phase_free(slcs, truth) / truth["amplitude"]
    t = day_of_year_times(params)
    iu = np.triu_indices(params.n_dates, 1)
    for code, cls in enumerate(params.classes, start=1):
        sel = truth["coherence_class"] == code
        assert sel.sum() > 2500
        est = sample_coherence(z[:, sel])[iu]
        model = coherence_matrix(t, cls)[iu]
        # with the signal phase removed the real part is unbiased, sd (1 - g^2) / sqrt(2 n) < 0.014
        err = est.real - model
        assert np.abs(err).mean() < 0.015, cls.name
        assert np.abs(err).max() < 0.05, cls.name
        assert np.abs(est.imag).mean() < 0.015, cls.name


def test_ps_and_water_statistics(slcs: np.ndarray, truth: dict) -> None:
    amp = np.abs(slcs)
    disp = amp.std(axis=0) / amp.mean(axis=0)
    ps = truth["psMask"]
    assert ps.sum() == PRESETS["tiny"].n_ps
    assert (truth["coherence_class"][ps] == CLASS_PS).all()
    assert disp[ps].max() < 0.25
    ds = truth["coherence_class"] == 1
    low = truth["coherence_class"] == len(PRESETS["tiny"].classes)
    assert np.median(disp[low]) > 0.45       # decorrelating speckle: D_A near 0.52
    water = ~truth["waterMask"]
    z = _phase_free(slcs, truth)[:, water]
    coh = np.abs(sample_coherence(z))
    off = coh[np.triu_indices(coh.shape[0], 1)]
    assert off.max() < 4.0 / np.sqrt(water.sum()) + 0.02
    assert amp[:, water].mean() < 0.3 * amp[:, ds].mean()


def test_interferogram_phase_equals_truth(slcs: np.ndarray, truth: dict) -> None:
    lam = truth["attrs"]["WAVELENGTH"]
    ts = truth["timeseries"]
    ps = truth["psMask"]
    n = slcs.shape[0]
    for k in range(1, n):
        ifg = slcs[0] * np.conj(slcs[k])                 # ISCE: reference * conj(secondary)
        expect = -4 * np.pi / lam * (ts[k] - ts[0])
        resid = np.angle(ifg * np.exp(-1j * expect))
        assert np.abs(resid[ps]).max() < 0.6             # PS: high SCR, small phase noise
        good = truth["coherence_class"] == 1
        mean_resid = np.angle(np.sum(ifg[good] * np.exp(-1j * expect[good])))
        assert abs(mean_resid) < 0.15                     # DS: unbiased around the truth
    # the sign matters: MintPy displacement = -lambda/(4 pi) * unwrapped(ref*conj(sec))
    k = n - 1
    ifg = slcs[0] * np.conj(slcs[k])
    wrong = np.angle(ifg[ps] * np.exp(-1j * 4 * np.pi / lam * (ts[k][ps] - ts[0][ps])))
    assert np.abs(wrong).max() > 0.6


def test_truth_contents(truth: dict) -> None:
    params = PRESETS["tiny"]
    n, L, W = truth["displacement"].shape
    assert (n, L, W) == (params.n_dates, params.length, params.width)
    for name in ("displacement", "tropo", "timeseries"):
        np.testing.assert_array_equal(truth[name][0], 0.0)
    dem_term = (truth["bperp"][:, None, None] * truth["dem_error"]
                / (truth["slantRangeDistance"] * np.sin(np.radians(truth["incidenceAngle"]))))
    np.testing.assert_allclose(truth["timeseries"],
                               truth["displacement"] + truth["tropo"] + dem_term, atol=1e-6)
    years = np.arange(n) * params.interval_days / 365.25
    seasonal = truth["displacement"] - truth["velocity"] * years[:, None, None]
    assert np.abs(seasonal).max() <= 2 * np.abs(truth["seasonal_amplitude"]).max() + 1e-6
    assert truth["velocity"].min() == pytest.approx(params.bowl_rate, rel=0.05)
    # tropo correlates with height on each date
    dh = truth["height"] - truth["height"].mean()
    k = int(np.argmax(np.abs(truth["tropo_coefficient"] - truth["tropo_coefficient"][0])))
    assert abs(np.corrcoef(dh.ravel(), truth["tropo"][k].ravel())[0, 1]) > 0.5
    assert np.abs(truth["dem_error"][truth["psMask"]]).std() > 2.0
    attrs = truth["attrs"]
    assert attrs["reference_date"] == truth["date"][0].decode()
    assert "towards the satellite" in attrs["sign_convention"]
    y, x = attrs["reference_yx"]
    assert truth["coherence_class"][y, x] == 1
    assert attrs["class_names"]["0"] == "water"


def test_seed_determinism(tmp_path: Path) -> None:
    kw = {"preset": "tiny", "n_dates": 4, "length": 24, "width": 32, "n_ps": 3}
    a = write_stack(tmp_path / "a", seed=5, **kw)
    b = write_stack(tmp_path / "b", seed=5, **kw)
    c = write_stack(tmp_path / "c", seed=6, **kw)
    rel = Path("merged/SLC/20200117/20200117.slc.full")
    assert (a / rel).read_bytes() == (b / rel).read_bytes()
    assert (a / rel).read_bytes() != (c / rel).read_bytes()
    np.testing.assert_array_equal(read_truth(a)["timeseries"], read_truth(b)["timeseries"])


def test_stripmap_layout(tmp_path: Path) -> None:
    out = write_stack(tmp_path / "sm", preset="tiny", layout="stripmap", n_dates=4)
    truth = read_truth(out)
    dates = [d.decode() for d in truth["date"]]
    for d in dates:
        assert read_info(out / "merged/SLC" / d / f"{d}.slc").data_type == "CFLOAT"
    for name in GEOM_FILES:
        assert read_info(out / "merged/geom_reference" / f"{name}.rdr").length == 48
    assert not (out / "reference").exists()
    text = (out / "baselines" / f"{dates[0]}_{dates[2]}.txt").read_text()
    vals = dict(line.split() for line in text.splitlines())
    assert float(vals["PERP_BASELINE_TOP"]) == pytest.approx(float(truth["bperp"][2]), abs=1e-4)
    assert "PERP_BASELINE_BOTTOM" in vals
    rsc = out / "merged/SLC" / dates[0] / "referenceShelve/data.rsc"
    meta = dict(line.split(None, 1) for line in rsc.read_text().splitlines())
    for key in ("WAVELENGTH", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "STARTING_RANGE", "PRF",
                "HEADING", "HEIGHT", "EARTH_RADIUS", "ORBIT_DIRECTION", "CENTER_LINE_UTC",
                "PLATFORM"):
        assert key in meta, key
    assert 680e3 < float(meta["HEIGHT"]) < 710e3
    assert 6.30e6 < float(meta["EARTH_RADIUS"]) < 6.40e6
    assert -172 < float(meta["HEADING"]) < -160
    assert meta["ORBIT_DIRECTION"].strip() == "DESCENDING"


def test_demo_template_is_valid_config(tops: Path, truth: dict) -> None:
    template = tops / "tiny.txt"
    template.write_text(demo_template_text(tops))
    cfg = load_config(template)
    assert cfg.load.auto_path is True
    y, x = truth["attrs"]["reference_yx"]
    assert cfg.mintpy["mintpy.reference.yx"] == f"{y},{x}"
    assert cfg.mintpy["mintpy.troposphericDelay.method"] == "no"
    assert cfg.mintpy["mintpy.timeFunc.periodic"] == "1.0"
    assert cfg.inversion.patch_size >= 40
    assert "mintpy.reference.yx" in demo_template_text(None)


def test_resolve_params_errors() -> None:
    with pytest.raises(ConfigError, match="preset"):
        resolve_params("nope")
    with pytest.raises(ConfigError, match="unknown simulation parameter"):
        resolve_params("tiny", bogus=1)
    with pytest.raises(ConfigError, match="gamma"):
        resolve_params("tiny", classes=[CoherenceClass("bad", 0.2, 0.5, 10.0)])
    with pytest.raises(ConfigError, match="layout"):
        write_stack(Path("/nonexistent"), "tiny", layout="snap")
