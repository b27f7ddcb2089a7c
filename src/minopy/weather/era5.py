"""ERA5 through PyAPS from a local weather directory: which files, are they there, the delay.

File names and folder are MintPy's: ``<weatherDir>/ERA5/ERA5_<S>_<N>_<W>_<E>_<YYYYMMDD>_<HH>.grb``
with the area of :attr:`StackWeatherInfo.era5_snwe`, e.g.
``ERA5_N20_N40_W100_W90_20200105_00.grb``.
As MintPy does, files of a larger area that contains it are used instead when more dates are
present in that area, and world-wide files ``ERA5_<YYYYMMDD>_<HH>.grb`` when they are complete.
Nothing is downloaded here: :func:`inventory` says which files are missing, and
:mod:`minopy.weather.download` fetches them where a network exists.

The delay of each date is computed with PyAPS (``pyaps3.PyAPS``: pressure-level profiles
interpolated to heights, delay function, interpolation to each pixel's latitude, longitude and
height, projection on the line of sight) with two differences from calling it plainly:

- the GRIB fields are read with ecCodes by name and level (:mod:`minopy.weather.grib`), not by
  message position, so files of any message order are read correctly and much faster;
- the wet delay at each height is the refractivity integral from that height up. PyAPS 0.3.7
  integrates from the next height of its grid (about 160 m higher), which makes the wet delay
  and its variation with height about ``1 - exp(-160 m / H)`` (5-10 %) too small for a humidity
  scale height ``H`` of 1.5-3 km. The hydrostatic part is PyAPS's.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import InputDataError
from minopy.weather.grib import ERA5_LEVELS_HPA, read_era5_fields, scan_era5_grib
from minopy.weather.stack_info import StackWeatherInfo

MODEL = "ERA5"
#: PyAPS widens the pixel area by this much (degrees) when it selects weather-model nodes.
PYAPS_BUFFER_DEG = 1.2
_NAME = re.compile(r"^ERA5_([NS]\d+)_([NS]\d+)_([WE]\d+)_([WE]\d+)_(\d{8})_(\d{2})\.grb$")


def snwe_to_str(snwe: tuple[int, int, int, int]) -> str:
    """``(20, 40, -100, -90)`` -> ``_N20_N40_W100_W90`` (MintPy's and PyAPS's spelling)."""
    s, n, w, e = snwe
    return (f"_{'S' if s < 0 else 'N'}{abs(s)}_{'S' if n < 0 else 'N'}{abs(n)}"
            f"_{'W' if w < 0 else 'E'}{abs(w)}_{'W' if e < 0 else 'E'}{abs(e)}")


def _str_to_snwe(parts: Sequence[str]) -> tuple[int, int, int, int]:
    sign = {"N": 1, "S": -1, "E": 1, "W": -1}
    s, n, w, e = (sign[p[0]] * int(p[1:]) for p in parts)
    return (s, n, w, e)


def grib_name(date: str, hour: str, snwe: tuple[int, int, int, int] | None) -> str:
    """MintPy's ERA5 file name for a date, an hour and an area (None: world-wide)."""
    return f"ERA5{snwe_to_str(snwe) if snwe else ''}_{date}_{hour}.grb"


def grib_dir(weather_dir: Path) -> Path:
    """The folder of the ERA5 files: ``<weatherDir>/ERA5``."""
    return Path(weather_dir) / MODEL


def _contains(big: tuple[int, int, int, int], small: tuple[int, int, int, int]) -> bool:
    return big[0] <= small[0] and big[1] >= small[1] and big[2] <= small[2] and big[3] >= small[3]


@dataclass
class Era5Inventory:
    """The ERA5 files of a stack in a weather directory.

    Attributes
    ----------
    info : StackWeatherInfo
    weather_dir : Path
    snwe : tuple of int or None
        Area of the file set used (the stack's area, a larger one, or None for world-wide files).
    files : dict
        Date -> existing file, for the dates that have one.
    missing : list of Path
        Files (named with ``snwe``) that are needed and absent.
    """

    info: StackWeatherInfo
    weather_dir: Path
    snwe: tuple[int, int, int, int] | None
    files: dict[str, Path] = field(default_factory=dict)
    missing: list[Path] = field(default_factory=list)

    @property
    def hour(self) -> str:
        return self.info.era5_hour

    @property
    def complete(self) -> bool:
        return not self.missing

    def expected(self) -> list[Path]:
        """Every file of the stack, in date order, as named in this inventory's area."""
        return [grib_dir(self.weather_dir) / grib_name(d, self.hour, self.snwe)
                for d in self.info.dates]


def inventory(info: StackWeatherInfo, weather_dir: Path) -> Era5Inventory:
    """Find the ERA5 files of the stack (see the module docstring for the rule); read nothing."""
    folder = grib_dir(weather_dir)
    hour, want = info.era5_hour, info.era5_snwe

    def present(snwe: tuple[int, int, int, int] | None) -> dict[str, Path]:
        out = {}
        for d in info.dates:
            p = folder / grib_name(d, hour, snwe)
            if p.is_file() and p.stat().st_size > 0:
                out[d] = p
        return out

    best_snwe: tuple[int, int, int, int] | None = want
    best = present(want)
    if folder.is_dir() and len(best) < len(info.dates):
        larger = set()
        for p in folder.glob(f"ERA5_*_{hour}.grb"):
            m = _NAME.match(p.name)
            if m and m.group(5) in info.dates:
                snwe = _str_to_snwe(m.groups()[:4])
                if snwe != want and _contains(snwe, want):
                    larger.add(snwe)
        for snwe in sorted(larger, key=lambda a: ((a[1] - a[0]) * (a[3] - a[2]), a)):
            found = present(snwe)
            if len(found) > len(best):
                best_snwe, best = snwe, found
        world = present(None)
        if len(world) == len(info.dates):
            best_snwe, best = None, world
    missing = [folder / grib_name(d, hour, best_snwe) for d in info.dates if d not in best]
    return Era5Inventory(info, Path(weather_dir), best_snwe, best, missing)


def check_files(inv: Era5Inventory) -> None:
    """Read the headers of every file: fields present, grid covering the pixels.

    Raises
    ------
    InputDataError
        Naming the first bad file and what is wrong with it.
    """
    s, n, w, e = inv.info.bbox
    for path in inv.files.values():
        grid = scan_era5_grib(path)
        if not grid.covers(s, n, w, e):
            raise InputDataError(
                f"{path} covers {grid.describe()}, not the stack's pixels (latitude "
                f"{s:.3f}..{n:.3f}, longitude {w:.3f}..{e:.3f}); download the area "
                f"{snwe_to_str(inv.info.era5_snwe)[1:]}")


def _reader(model: str, fname: str, minlat: float, maxlat: float, minlon: float, maxlon: float,
            cdic: dict, humidity: str = "Q", verbose: bool = False
            ) -> tuple[np.ndarray, ...]:
    """Drop-in for ``pyaps3.era.get_ecmwf``: the same arrays, fields found by name and level."""
    if humidity != "Q":
        raise InputDataError("only specific humidity (q) is supported for ERA5")
    grid, f = read_era5_fields(Path(fname))
    lat2, lon2 = np.meshgrid(grid.lats, grid.lons, indexing="ij")
    mask = (lat2 > minlat) & (lat2 < maxlat) & (lon2 > minlon) & (lon2 < maxlon)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size < 2 or cols.size < 2:
        raise InputDataError(f"{fname} has fewer than 2 x 2 grid nodes within {minlat:.2f}.."
                             f"{maxlat:.2f} N, {minlon:.2f}..{maxlon:.2f} E")
    sel = np.ix_(rows, cols)
    levels_sel: tuple[slice | np.ndarray, ...] = (slice(None), *sel)
    lvls = 100.0 * np.asarray(ERA5_LEVELS_HPA, dtype=np.float64)
    alpha = cdic["Rv"] / cdic["Rd"]
    gph = f["z"][levels_sel] / cdic["g"]
    tmp = f["t"][levels_sel]
    q = f["q"][levels_sel]
    vpr = q * lvls[:, None, None] * alpha / (1.0 + (alpha - 1.0) * q)
    return lvls, lat2[sel], lon2[sel], gph, tmp, vpr


@contextlib.contextmanager
def _pyaps_reading_by_name() -> Iterator[None]:
    """Make PyAPS read ERA5 files with :func:`_reader` (restored afterwards)."""
    from pyaps3 import era

    original = era.get_ecmwf
    era.get_ecmwf = _reader
    try:
        yield
    finally:
        era.get_ecmwf = original


def _wet_from_each_height(aps: Any) -> None:
    """Replace PyAPS's delay function by hydrostatic + the wet integral from each height up.

    ``aps`` is a ``pyaps3.PyAPS`` object (pyaps3 has no type information).
    """
    from pyaps3 import processor
    from scipy.integrate import cumulative_trapezoid

    c = processor.initconst()
    p, t, v, hgt = aps.Pi, aps.Ti, aps.Vi, aps.hgt
    dry = c["k1"] * c["Rd"] * (p - p[:, :, -1:]) * 1.0e-6 / c["g"]
    s1 = cumulative_trapezoid(v / t, x=hgt, axis=-1, initial=0.0)
    s2 = cumulative_trapezoid(v / t**2, x=hgt, axis=-1, initial=0.0)
    wet = 1.0e-6 * ((c["k2"] - c["k1"] * c["Rd"] / c["Rv"]) * (s1[:, :, -1:] - s1)
                    + c["k3"] * (s2[:, :, -1:] - s2))
    aps.Delfn = dry + wet


def los_delay(grib_file: Path, dem: np.ndarray, inc: np.ndarray, lat: np.ndarray,
              lon: np.ndarray) -> np.ndarray:
    """Line-of-sight tropospheric delay (m) of one date, MintPy's sign (minus the delay).

    Parameters
    ----------
    grib_file : Path
    dem, inc, lat, lon : (L, W) arrays
        Height (m), incidence angle (degrees), latitude and longitude (degrees) of the pixels.

    Returns
    -------
    (L, W) float32
        Pixels without an incidence angle (0 or NaN) are NaN.
    """
    import pyaps3

    mask = (inc != 0) & np.isfinite(inc)
    with _pyaps_reading_by_name(), contextlib.redirect_stdout(io.StringIO()):
        aps = pyaps3.PyAPS(str(grib_file), grib="ERA5", Del="comb",
                           dem=np.array(dem, dtype=np.float64), inc=np.array(inc, np.float64),
                           lat=np.array(lat, np.float64), lon=np.array(lon, np.float64),
                           mask=mask.astype(np.float64), verb=False)
        _wet_from_each_height(aps)
        out = np.zeros(dem.shape, dtype=np.float32)
        aps.getdelay(out)
    out *= -1.0
    out[~mask] = np.nan
    return out
