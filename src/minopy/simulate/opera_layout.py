"""The simulated stack as OPERA CSLC-S1 products of one burst (``--layout opera``)::

    cslc/OPERA_L2_CSLC-S1_T143-304956-IW1_<date>T<hhmmss>Z_20240101T000000Z_S1A_VV_v1.0.h5
    static/OPERA_L2_CSLC-S1-STATIC_T143-304956-IW1_20140403_S1A_v1.0.h5
    baselines.txt                                  YYYYMMDD bperp_metres

in the products' layout (see :mod:`minopy.io.readers.opera`): ``/data/VV`` complex64 on the
``geo`` layout's UTM grid, ``/data/x_coordinates``/``y_coordinates`` (pixel centres),
``x_spacing``/``y_spacing``, ``/data/projection`` (EPSG, with ``epsg_code`` and ``spatial_ref``
attributes), ``/identification`` (``burst_id``, ``zero_doppler_start_time``/``end_time``,
``orbit_pass_direction``, ``look_direction``, ``product_version``),
``/metadata/processing_information/input_burst_metadata`` (``wavelength``,
``range_pixel_spacing``, ``starting_range``, ``platform_id``, ``polarization``) and
``/metadata/orbit`` (``time``, ``position_x/y/z``, ``velocity_x/y/z``, ``reference_epoch``). The
static file holds ``los_east``, ``los_north`` (ground-to-satellite unit vector),
``layover_shadow_mask`` (int8, 0 none, 1 shadow, 127 no data) and ``local_incidence_angle``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.io.atomic import atomic_path, write_text_atomic
from minopy.io.isce import read_raster
from minopy.simulate.gdal_layout import utm_grid

BURST = "t143_304956_iw1"
_NAME_BURST = "T143-304956-IW1"


def _grid_datasets(f: h5py.File, epsg: int, gt: tuple[float, ...], length: int,
                   width: int) -> None:
    from pyproj import CRS

    x0, dx, _, y0, _, dy = gt
    f["/data/x_coordinates"] = x0 + dx * (np.arange(width) + 0.5)
    f["/data/y_coordinates"] = y0 + dy * (np.arange(length) + 0.5)
    f["/data/x_spacing"] = float(dx)
    f["/data/y_spacing"] = float(dy)
    proj = f.create_dataset("/data/projection", data=np.int32(epsg))
    proj.attrs["epsg_code"] = np.int32(epsg)
    proj.attrs["spatial_ref"] = np.bytes_(CRS.from_epsg(epsg).to_wkt("WKT1_GDAL"))
    proj.attrs["grid_mapping_name"] = np.bytes_("universal_transverse_mercator")


def _identification(f: h5py.File, start: datetime, stop: datetime, direction: str) -> None:
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    ident = f.create_group("identification")
    ident["burst_id"] = np.bytes_(BURST)
    ident["zero_doppler_start_time"] = np.bytes_(start.strftime(fmt))
    ident["zero_doppler_end_time"] = np.bytes_(stop.strftime(fmt))
    ident["orbit_pass_direction"] = np.bytes_(direction.lower())
    ident["look_direction"] = np.bytes_("right")
    ident["product_version"] = np.bytes_("1.0")
    ident["mission_id"] = np.bytes_("S1A")


def _write_h5(path: Path, fill: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        fill(f)


def write_opera_layout(out_dir: Path, slcs: dict[str, Path], geometry: dict[str, np.ndarray],
                       bperp: np.ndarray, rsc: dict[str, str],
                       center_latlon: tuple[float, float]) -> None:
    """Write the OPERA layout (see the module doc)."""
    length, width = geometry["height"].shape
    epsg, gt = utm_grid(*center_latlon, length, width)
    t_mid = float(rsc["CENTER_LINE_UTC"])
    half = (length - 1) / 2.0 / float(rsc["PRF"])
    radius = float(rsc["EARTH_RADIUS"]) + float(rsc["HEIGHT"])
    for date, raster in slcs.items():
        day = datetime.strptime(date, "%Y%m%d")
        start = day + timedelta(seconds=t_mid - half)
        stop = day + timedelta(seconds=t_mid + half)
        name = (f"OPERA_L2_CSLC-S1_{_NAME_BURST}_{start:%Y%m%dT%H%M%S}Z_20240101T000000Z_S1A_VV"
                "_v1.0.h5")

        def fill(f: h5py.File, raster: Path = raster, start: datetime = start,
                 stop: datetime = stop) -> None:
            vv = f.create_dataset("/data/VV", data=read_raster(raster).astype(np.complex64),
                                  chunks=(min(length, 128), min(width, 128)))
            _grid_datasets(f, epsg, gt, length, width)
            # CF grid mapping, as COMPASS writes it: x/y dimension scales and the projection
            vv.attrs["grid_mapping"] = np.bytes_("projection")
            vv.attrs["description"] = np.bytes_("Geocoded SLC image (VV)")
            for axis, name in ((0, "y_coordinates"), (1, "x_coordinates")):
                f[f"/data/{name}"].make_scale(name)
                vv.dims[axis].attach_scale(f[f"/data/{name}"])
            _identification(f, start, stop, rsc["ORBIT_DIRECTION"])
            meta = f.create_group("metadata/processing_information/input_burst_metadata")
            meta["wavelength"] = float(rsc["WAVELENGTH"])
            meta["range_pixel_spacing"] = float(rsc["RANGE_PIXEL_SIZE"])
            meta["starting_range"] = float(rsc["STARTING_RANGE"])
            meta["platform_id"] = np.bytes_("S1A")
            meta["polarization"] = np.bytes_("VV")
            orbit = f.create_group("metadata/orbit")
            t = np.arange(-30.0, 31.0, 10.0)
            orbit["time"] = t + (start - start.replace(hour=0, minute=0, second=0,
                                                       microsecond=0)).total_seconds()
            orbit["reference_epoch"] = np.bytes_(f"{start:%Y-%m-%d} 00:00:00.000000")
            angle = t * 7500.0 / radius
            for comp, values in (("x", radius * np.cos(angle)), ("y", radius * np.sin(angle)),
                                 ("z", np.zeros_like(t))):
                orbit[f"position_{comp}"] = values
                orbit[f"velocity_{comp}"] = np.gradient(values, t)

        _write_h5(out_dir / "cslc" / name, fill)

    inc = np.radians(geometry["incidenceAngle"])
    az = np.radians(geometry["azimuthAngle"])  # ISCE: anticlockwise from north

    def static(f: h5py.File) -> None:
        f["/data/los_east"] = (-np.sin(az) * np.sin(inc)).astype(np.float32)
        f["/data/los_north"] = (np.cos(az) * np.sin(inc)).astype(np.float32)
        f["/data/layover_shadow_mask"] = geometry["shadowMask"].astype(np.int8)
        f["/data/local_incidence_angle"] = geometry["incidenceAngle"].astype(np.float32)
        _grid_datasets(f, epsg, gt, length, width)
        first = datetime.strptime(next(iter(slcs)), "%Y%m%d") + timedelta(seconds=t_mid)
        _identification(f, first, first, rsc["ORBIT_DIRECTION"])

    _write_h5(out_dir / "static" / f"OPERA_L2_CSLC-S1-STATIC_{_NAME_BURST}_20140403_S1A_v1.0.h5",
              static)
    lines = ["# perpendicular baseline of each date (m), relative to the first"]
    lines += [f"{d} {b:.6f}" for d, b in zip(slcs, bperp, strict=True)]
    write_text_atomic(out_dir / "baselines.txt", "\n".join(lines) + "\n")
