"""Write a complete synthetic ISCE stack (topsStack or stripmapStack layout) and its truth.

topsStack layout (``layout="tops"``)::

    <out>/merged/SLC/<YYYYMMDD>/<YYYYMMDD>.slc.full   (+ .xml, .vrt)  complex64
    <out>/merged/geom_reference/hgt.rdr.full          DOUBLE, DEM (m)
    <out>/merged/geom_reference/lat.rdr.full          DOUBLE, latitude (deg)
    <out>/merged/geom_reference/lon.rdr.full          DOUBLE, longitude (deg)
    <out>/merged/geom_reference/los.rdr.full          FLOAT 2-band BIL: incidence, azimuth (deg)
    <out>/merged/geom_reference/incLocal.rdr.full     FLOAT 2-band BIL: local incidence, slope (deg)
    <out>/merged/geom_reference/shadowMask.rdr.full   BYTE, 1 = shadow
    <out>/merged/geom_reference/waterMask.rdr.full    BYTE, 1 = land, 0 = water
    <out>/reference/IW<n>.xml                         TOPS swath product (see metadata.py)
    <out>/baselines/<ref>_<sec>/<ref>_<sec>.txt
    <out>/truth.h5                                    see truth.py
    <out>/weather/ERA5/ERA5_<SNWE>_<date>_<HH>.grb    tropo_model "weather" only: ERA5-like GRIB
    <out>/GACOS/<date>.ztd (+ .rsc)                   tropo_model "weather" only: GACOS products

stripmapStack layout (``layout="stripmap"``): SLCs ``<date>.slc``, geometry ``*.rdr``, baselines
``<out>/baselines/<ref>_<sec>.txt`` and ``merged/SLC/<ref>/referenceShelve/data.rsc``.

Angles follow ISCE ``los.rdr``: incidence from the vertical at the target; azimuth of the
target-to-satellite vector from north, anti-clockwise (see geometry.py). ``incLocal`` band 1 is the
angle between the line of sight and the DEM surface normal, band 2 the terrain slope.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import ConfigError
from minopy.io.atomic import atomic_path, write_text_atomic
from minopy.io.isce import write_raster
from minopy.simulate import metadata, signals
from minopy.simulate.atmosphere import date_atmospheres, los_delay
from minopy.simulate.geometry import SceneGeometry, build_geometry
from minopy.simulate.params import ISCE_LAYOUTS, LAYOUTS, SimulationParams, resolve_params
from minopy.simulate.scene import SceneMaps, make_scene
from minopy.simulate.slc import class_square_roots, write_slcs
from minopy.simulate.truth import TRUTH_FILE, create_truth, reference_pixel
from minopy.simulate.weather_files import write_weather_products


def pixel_geometry(params: SimulationParams, geom: SceneGeometry,
                   height: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per-pixel latitude, longitude, incidence, azimuth and slant range, computed by row blocks.

    Returns
    -------
    dict of (L, W) float64 arrays
    """
    L, W = params.length, params.width
    hgt = np.zeros((L, W)) if height is None else height
    out = {k: np.empty((L, W)) for k in ("latitude", "longitude", "incidence", "azimuth")}
    cols = np.arange(W)[None, :]
    step = max(1, 2_000_000 // max(W, 1) // 8)
    for r0 in range(0, L, step):
        rows = np.arange(r0, min(r0 + step, L))[:, None]
        res = geom.targets(rows, cols, hgt[rows[:, 0]])
        for key in out:
            out[key][rows[:, 0]] = res[key]
    out["slant_range"] = np.broadcast_to(geom.slant_range(np.arange(W))[None, :], (L, W)).copy()
    return out


def local_incidence(height: np.ndarray, incidence: np.ndarray, az_step: float,
                    rg_step: float) -> tuple[np.ndarray, np.ndarray]:
    """Local incidence angle and terrain slope (degrees) from the DEM gradient.

    Parameters
    ----------
    height : (L, W) DEM (m)
    incidence : (L, W) ellipsoid incidence angle (deg)
    az_step, rg_step : ground spacing of rows and columns (m); columns run away from the radar.
    """
    dh_da, dh_dr = np.gradient(height, az_step, rg_step)
    norm = np.sqrt(1.0 + dh_da**2 + dh_dr**2)
    theta = np.radians(incidence)
    cos_loc = (np.sin(theta) * dh_dr + np.cos(theta)) / norm
    loc = np.degrees(np.arccos(np.clip(cos_loc, -1.0, 1.0)))
    slope = np.degrees(np.arctan(np.hypot(dh_da, dh_dr)))
    return loc, slope


def _write_geometry(out_dir: Path, ext: str, scene: SceneMaps, geo: dict[str, np.ndarray],
                    az_step: float, rg_step: float) -> None:
    gdir = out_dir / "merged" / "geom_reference"
    write_raster(gdir / f"hgt.rdr{ext}", scene.height.astype(np.float64), image_type="dem")
    write_raster(gdir / f"lat.rdr{ext}", geo["latitude"].astype(np.float64))
    write_raster(gdir / f"lon.rdr{ext}", geo["longitude"].astype(np.float64))
    los = np.stack([geo["incidence"], geo["azimuth"]]).astype(np.float32)
    write_raster(gdir / f"los.rdr{ext}", los, scheme="BIL")
    loc, slope = local_incidence(scene.height, geo["incidence"], az_step, rg_step)
    write_raster(gdir / f"incLocal.rdr{ext}", np.stack([loc, slope]).astype(np.float32),
                 scheme="BIL")
    write_raster(gdir / f"shadowMask.rdr{ext}", scene.shadow.astype(np.uint8))
    write_raster(gdir / f"waterMask.rdr{ext}", (~scene.water).astype(np.uint8))


def _class_model_maps(params: SimulationParams, scene: SceneMaps) -> dict[str, np.ndarray]:
    names = ("gamma0", "gamma_inf", "tau_days")
    maps = {k: np.zeros(scene.height.shape, np.float32) for k in names}
    for code, cls in enumerate(params.classes, start=1):
        sel = scene.background == code
        maps["gamma0"][sel] = cls.gamma0
        maps["gamma_inf"][sel] = cls.gamma_inf
        maps["tau_days"][sel] = cls.tau_days
    return maps


def _write_other_layout(out_dir: Path, layout: str, params: SimulationParams,
                        geom: SceneGeometry, slcs: dict[str, Path], scene: SceneMaps,
                        geo: dict[str, np.ndarray], bperp: np.ndarray) -> None:
    """Write a non-ISCE layout from the SLC rasters written into a temporary folder."""
    from minopy.simulate.gdal_layout import parse_rsc, write_gdal_layout

    dates = list(slcs)
    rsc = parse_rsc(metadata.stripmap_rsc(params, geom, dates[0]))
    geometry = {"height": scene.height, "latitude": geo["latitude"],
                "longitude": geo["longitude"], "incidenceAngle": geo["incidence"],
                "azimuthAngle": geo["azimuth"], "shadowMask": scene.shadow,
                "waterMask": ~scene.water}
    if layout in ("gdal", "geo"):
        write_gdal_layout(out_dir, layout == "geo", dict(slcs), geometry, bperp, rsc,
                          (params.center_lat, params.center_lon))
    elif layout == "opera":
        from minopy.simulate.opera_layout import write_opera_layout

        write_opera_layout(out_dir, dict(slcs), geometry, bperp, rsc,
                           (params.center_lat, params.center_lon))
    elif layout == "gamma":
        from minopy.simulate.gamma_layout import write_gamma_layout

        write_gamma_layout(out_dir, dict(slcs), geometry, bperp, rsc, geom)
    else:
        raise ConfigError(f"unknown stack layout {layout!r}; choose one of {LAYOUTS}")


def write_stack(out_dir: Path, preset: str = "demo", layout: str = "tops", seed: int = 0,
                **overrides: Any) -> Path:
    """Simulate a stack and write it in an ISCE layout, with ``truth.h5`` beside it.

    Parameters
    ----------
    out_dir : Path
        Project folder to write (created if needed; existing files are replaced).
    preset : str
        Name in :data:`minopy.simulate.PRESETS`.
    layout : {"tops", "stripmap", "gdal", "geo", "gamma", "opera"}
        ISCE topsStack or stripmapStack file layout, GDAL rasters in radar coordinates
        (``gdal``) or on a UTM grid (``geo``), see :mod:`minopy.simulate.gdal_layout`, or a
        GAMMA stack (:mod:`minopy.simulate.gamma_layout`), or OPERA CSLC-S1 products
        (:mod:`minopy.simulate.opera_layout`).
    seed : int
        Random seed; the output is a deterministic function of (parameters, seed).
    **overrides
        :class:`SimulationParams` fields to change, e.g. ``n_dates=20``.

    Returns
    -------
    Path
        ``out_dir``.
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown stack layout {layout!r}; choose one of {LAYOUTS}")
    params = resolve_params(preset, **overrides)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    L, W = params.length, params.width
    geom = build_geometry(params)
    az_step = geom.omega * geom.earth_radius * params.azimuth_time_interval
    rg_step = params.range_pixel_size / np.sin(np.radians(params.incidence_center))

    flat = pixel_geometry(params, geom, None)
    scene = make_scene(params, seed, flat["incidence"], rg_step)
    del flat
    geo = pixel_geometry(params, geom, scene.height)

    dates = signals.acquisition_dates(params)
    t_doy = signals.day_of_year_times(params)
    bperp = signals.perpendicular_baselines(params, seed)
    velocity, seasonal_amp = signals.deformation_maps(params)
    dem_error = signals.dem_error_map(params, seed, scene)
    coeffs = signals.tropo_coefficients(params, seed)
    ref_yx = reference_pixel(scene.coherence_class, velocity)

    maps = {
        "date": np.array(dates, dtype="S8"),
        "bperp": bperp.astype(np.float32),
        "velocity": velocity.astype(np.float32),
        "seasonal_amplitude": seasonal_amp.astype(np.float32),
        "dem_error": dem_error.astype(np.float32),
        "height": scene.height.astype(np.float32),
        "amplitude": scene.amplitude * np.float32(params.amplitude_scale),
        "incidenceAngle": geo["incidence"].astype(np.float32),
        "slantRangeDistance": geo["slant_range"].astype(np.float32),
        "waterMask": ~scene.water,
        "shadowMask": scene.shadow,
        "psMask": scene.ps,
        "coherence_class": scene.coherence_class,
        "tropo_coefficient": coeffs,
        **_class_model_maps(params, scene),
    }
    attrs = {
        "reference_date": dates[0],
        "reference_yx": list(ref_yx),
        "WAVELENGTH": params.wavelength,
        "LENGTH": L,
        "WIDTH": W,
        "preset": params.name,
        "layout": layout,
        "seed": int(seed),
        "class_names": {"0": "water", "254": "shadow", "255": "ps",
                        **{str(i): c.name for i, c in enumerate(params.classes, start=1)}},
        "ps_scr": params.ps_scr,
    }
    weather = params.tropo_model == "weather"
    if weather:
        atmospheres = date_atmospheres(dates, params.center_lat, params.center_lon, seed)
        delay_0 = los_delay(atmospheres[0], scene.height, geo["incidence"])
        attrs["tropo_model"] = ("-[(D_i-D_0) + turbulence_i - turbulence_0], D_i = weather_delay, "
                                "the line-of-sight delay of the synthetic atmosphere of date i")
    truth_path = out_dir / TRUTH_FILE
    with atomic_path(truth_path) as tmp:
        f = create_truth(tmp, params.n_dates, (L, W), maps, attrs)
        try:
            turb0 = signals.turbulence(0, params, seed)
            if weather:
                f.create_dataset("weather_delay", shape=(params.n_dates, L, W), dtype=np.float32,
                                 chunks=f["tropo"].chunks)
            for k in range(params.n_dates):
                disp = signals.displacement_at(k, params, velocity, seasonal_amp)
                if weather:
                    delay_k = los_delay(atmospheres[k], scene.height, geo["incidence"])
                    f["weather_delay"][k] = delay_k
                    tropo = signals.weather_tropo_at(k, params, seed, delay_k, delay_0, turb0)
                else:
                    tropo = signals.tropo_at(k, params, seed, coeffs, scene.height, turb0)
                dem_term = signals.dem_error_term(bperp[k], dem_error, geo["slant_range"],
                                                  geo["incidence"])
                f["displacement"][k] = disp
                f["tropo"][k] = tropo
                f["timeseries"][k] = disp + tropo + dem_term
        finally:
            f.close()

    ext = ".full" if layout == "tops" else ""
    slc_dir = out_dir / "merged" / "SLC"
    if layout not in ISCE_LAYOUTS:
        slc_dir = out_dir / ".simulated_slc"
    slc_paths = [slc_dir / d / f"{d}.slc{ext}" for d in dates]
    roots = class_square_roots(params, t_doy)
    with h5py.File(truth_path, "r") as f:
        ts = f["timeseries"]
        write_slcs(slc_paths, params, seed, scene, roots, lambda rows: ts[:, rows, :])
    if layout not in ISCE_LAYOUTS:
        _write_other_layout(out_dir, layout, params, geom, dict(zip(dates, slc_paths,
                                                                    strict=True)),
                            scene, geo, bperp)
        shutil.rmtree(slc_dir, ignore_errors=True)
        if weather:
            hh, mm, ss = (float(v) for v in params.acquisition_time.split(":"))
            write_weather_products(out_dir, dates, hh * 3600 + mm * 60 + ss, atmospheres,
                                   geo["latitude"], geo["longitude"], scene.height)
        return out_dir

    _write_geometry(out_dir, ext, scene, geo, az_step, rg_step)
    if weather:
        hh, mm, ss = (float(v) for v in params.acquisition_time.split(":"))
        write_weather_products(out_dir, dates, hh * 3600 + mm * 60 + ss, atmospheres,
                               geo["latitude"], geo["longitude"], scene.height)
    metadata.write_baselines(out_dir, layout, dates, bperp, params.swath, seed)
    if layout == "tops":
        write_text_atomic(out_dir / "reference" / f"IW{params.swath}.xml",
                          metadata.tops_reference_xml(params, geom, dates[0]))
    else:
        write_text_atomic(slc_dir / dates[0] / "referenceShelve" / "data.rsc",
                          metadata.stripmap_rsc(params, geom, dates[0]))
    return out_dir
