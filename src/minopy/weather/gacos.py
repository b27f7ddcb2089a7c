"""GACOS zenith total delay products: which files, reading them, the line-of-sight delay.

GACOS (Yu et al. 2018, http://www.gacos.net) delivers one product per date, named
``YYYYMMDD.ztd`` (float32 little-endian raster, metres, rows from north to south) with a ROI_PAC
header ``YYYYMMDD.ztd.rsc`` (``WIDTH``, ``FILE_LENGTH``, ``X_FIRST``, ``Y_FIRST``, ``X_STEP``,
``Y_STEP``), or as a GeoTIFF ``YYYYMMDD.ztd.tif``. As in MintPy, ``X_FIRST``/``Y_FIRST`` are the
outer corner of the first pixel, so pixel ``(i, j)`` is centred at
``Y_FIRST + (i + 0.5) Y_STEP``, ``X_FIRST + (j + 0.5) X_STEP``. GeoTIFFs are read with
``tifffile`` (no GDAL): the tie point and pixel scale, with the raster type (area or point).

The delay at each pixel is the product interpolated bilinearly at the pixel's latitude and
longitude, divided by the cosine of the incidence angle; with MintPy's sign (minus the delay).
A pixel outside the product, or next to a NaN of the product, is NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from minopy.errors import InputDataError
from minopy.weather.stack_info import StackWeatherInfo

EXTENSIONS = (".ztd", ".ztd.tif")
_RSC_KEYS = ("WIDTH", "FILE_LENGTH", "X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP")


def ztd_name(date: str) -> str:
    return f"{date}.ztd"


@dataclass
class GacosInventory:
    """The GACOS products of a stack in a folder.

    Attributes
    ----------
    info : StackWeatherInfo
    gacos_dir : Path
    files : dict
        Date -> product file (``.ztd`` with its ``.rsc``, or ``.ztd.tif``).
    missing : list of Path
        ``<gacosDir>/YYYYMMDD.ztd`` of the dates without a product.
    problems : list of str
        ``.ztd`` files without their ``.rsc`` header.
    """

    info: StackWeatherInfo
    gacos_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    missing: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.problems


def inventory(info: StackWeatherInfo, gacos_dir: Path) -> GacosInventory:
    """Find ``YYYYMMDD.ztd`` (+ ``.rsc``) or ``YYYYMMDD.ztd.tif`` for every date; read nothing."""
    inv = GacosInventory(info, Path(gacos_dir))
    for d in info.dates:
        ztd = inv.gacos_dir / ztd_name(d)
        tif = inv.gacos_dir / f"{ztd_name(d)}.tif"
        if ztd.is_file():
            if ztd.with_name(ztd.name + ".rsc").is_file():
                inv.files[d] = ztd
            else:
                inv.problems.append(f"{ztd} has no header {ztd.name}.rsc")
        elif tif.is_file():
            inv.files[d] = tif
        else:
            inv.missing.append(ztd)
    return inv


@dataclass(frozen=True)
class ZtdProduct:
    """A GACOS product: data (rows north to south) and pixel-centre coordinates."""

    data: np.ndarray
    lats: np.ndarray
    lons: np.ndarray

    def covers(self, south: float, north: float, west: float, east: float) -> bool:
        return bool(self.lats.min() <= south and self.lats.max() >= north
                    and self.lons.min() <= west and self.lons.max() >= east)

    def describe(self) -> str:
        return (f"latitude {self.lats.min():.4f}..{self.lats.max():.4f}, longitude "
                f"{self.lons.min():.4f}..{self.lons.max():.4f} (pixel centres)")


def read_rsc(path: Path) -> dict[str, str]:
    """Keys of a ROI_PAC ``.rsc`` header."""
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            out[parts[0]] = parts[1]
    return out


def _read_ztd(path: Path) -> ZtdProduct:
    rsc_path = path.with_name(path.name + ".rsc")
    rsc = read_rsc(rsc_path)
    lacking = [k for k in _RSC_KEYS if k not in rsc]
    if lacking:
        raise InputDataError(f"{rsc_path} lacks {', '.join(lacking)}")
    try:
        width, length = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
        x0, y0 = float(rsc["X_FIRST"]), float(rsc["Y_FIRST"])
        dx, dy = float(rsc["X_STEP"]), float(rsc["Y_STEP"])
    except ValueError as err:
        raise InputDataError(f"{rsc_path}: a value is not a number ({err})") from None
    expected = width * length * 4
    if path.stat().st_size != expected:
        raise InputDataError(f"{path} has {path.stat().st_size} bytes; its header {rsc_path} "
                             f"says {length} x {width} float32 = {expected} bytes")
    data = np.fromfile(path, dtype="<f4").reshape(length, width)
    return _oriented(data, y0 + dy * (np.arange(length) + 0.5), x0 + dx * (np.arange(width) + 0.5))


def _read_tif(path: Path) -> ZtdProduct:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            # the first page is always read as a TiffPage (later ones may be TiffFrames)
            page = cast("tifffile.TiffPage", tif.pages[0])
            data = page.asarray().astype(np.float32)
            tags = page.tags
            scale = tags["ModelPixelScaleTag"].value if "ModelPixelScaleTag" in tags else None
            tie = tags["ModelTiepointTag"].value if "ModelTiepointTag" in tags else None
            keys = tags["GeoKeyDirectoryTag"].value if "GeoKeyDirectoryTag" in tags else ()
    except (OSError, ValueError, tifffile.TiffFileError) as err:
        raise InputDataError(f"{path} is not a readable GeoTIFF: {err}") from None
    if scale is None or tie is None:
        raise InputDataError(f"{path} has no GeoTIFF pixel scale / tie point: it is not "
                             "georeferenced")
    if data.ndim != 2:
        raise InputDataError(f"{path} has {data.ndim} dimensions; a GACOS product has one band")
    # GeoKeyDirectory: header of 4 values, then (key, location, count, value) entries;
    # key 1025 GTRasterTypeGeoKey: 1 = pixel is area (tie point at the corner), 2 = point
    entries: np.ndarray | list[np.ndarray] = (
        np.asarray(keys, dtype=np.int64)[4:].reshape(-1, 4) if len(keys) >= 8 else [])
    point = any(int(k[0]) == 1025 and int(k[3]) == 2 for k in entries)
    i0, j0, x_tie, y_tie = float(tie[0]), float(tie[1]), float(tie[3]), float(tie[4])
    dx, dy = float(scale[0]), -float(scale[1])
    shift = 0.0 if point else 0.5
    rows, cols = np.arange(data.shape[0]), np.arange(data.shape[1])
    return _oriented(data, y_tie + dy * (rows - j0 + shift), x_tie + dx * (cols - i0 + shift))


def _oriented(data: np.ndarray, lats: np.ndarray, lons: np.ndarray) -> ZtdProduct:
    if lats.size > 1 and lats[1] > lats[0]:
        data, lats = data[::-1], lats[::-1]
    if lons.size > 1 and lons[1] < lons[0]:
        data, lons = data[:, ::-1], lons[::-1]
    return ZtdProduct(np.ascontiguousarray(data), lats, lons)


def read_product(path: Path) -> ZtdProduct:
    """Read a ``.ztd`` (+ ``.rsc``) or ``.ztd.tif`` product.

    Raises
    ------
    InputDataError
        If the header is missing or incomplete or the file size does not match it.
    """
    path = Path(path)
    if path.name.endswith(".tif"):
        return _read_tif(path)
    return _read_ztd(path)


def check_files(inv: GacosInventory) -> None:
    """Read every product's header and check it covers the stack's pixels.

    Raises
    ------
    InputDataError
        Naming the first bad product.
    """
    s, n, w, e = inv.info.bbox
    for path in inv.files.values():
        product = read_product(path)
        if not product.covers(s, n, w, e):
            raise InputDataError(
                f"{path} covers {product.describe()}, not the stack's pixels (latitude "
                f"{s:.4f}..{n:.4f}, longitude {w:.4f}..{e:.4f}); request a larger area")


def los_delay(product_file: Path, inc: np.ndarray, lat: np.ndarray, lon: np.ndarray
              ) -> np.ndarray:
    """Line-of-sight delay (m) of one date, MintPy's sign (minus the delay), (L, W) float32."""
    from scipy.interpolate import RegularGridInterpolator

    product = read_product(product_file)
    lon = np.where(lon > 180.0, lon - 360.0, lon)
    interp = RegularGridInterpolator((product.lats[::-1], product.lons), product.data[::-1],
                                     method="linear", bounds_error=False, fill_value=np.nan)
    ztd = interp(np.stack([lat.ravel(), lon.ravel()], axis=-1)).reshape(lat.shape)
    cos_inc = np.cos(np.deg2rad(inc))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = -ztd / cos_inc
    out[~((inc != 0) & np.isfinite(inc))] = np.nan
    return out.astype(np.float32)
