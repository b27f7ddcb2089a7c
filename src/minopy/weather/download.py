"""Download ERA5 files where a network and Climate Data Store credentials exist.

Used only by ``minopy weather --download`` (never by the processing steps, never in tests). The
request is the one PyAPS makes (``reanalysis-era5-pressure-levels``: geopotential, temperature and
specific humidity on the 37 levels, one hour, the area ``[N, W, S, E]``, GRIB), sent with
``cdsapi`` with a bounded number of retries (cdsapi's default is 500 retries up to 120 s apart,
which looks like a hang without a network). Each file is downloaded to a temporary name, checked
(fields and levels) and renamed into place.

GACOS products cannot be downloaded by a program: they are requested on http://www.gacos.net
(area, dates, time) and arrive by e-mail; :func:`gacos_request_text` prints what to enter.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path
from minopy.weather.grib import ERA5_LEVELS_HPA, scan_era5_grib
from minopy.weather.stack_info import StackWeatherInfo

DATASET = "reanalysis-era5-pressure-levels"


def cds_credentials_present() -> bool:
    """Whether cdsapi will find credentials (``~/.cdsapirc`` or ``CDSAPI_URL``/``CDSAPI_KEY``)."""
    rc = Path(os.environ.get("CDSAPI_RC", "~/.cdsapirc")).expanduser()
    return rc.is_file() or bool(os.environ.get("CDSAPI_KEY") and os.environ.get("CDSAPI_URL"))


def era5_request(date: str, hour: str, snwe: tuple[int, int, int, int] | None) -> dict:
    """The CDS request of one ERA5 file."""
    request: dict[str, object] = {
        "product_type": ["reanalysis"],
        "variable": ["geopotential", "temperature", "specific_humidity"],
        "year": [date[:4]], "month": [date[4:6]], "day": [date[6:8]],
        "time": [f"{hour}:00"],
        "pressure_level": [str(level) for level in ERA5_LEVELS_HPA],
        "data_format": "grib",
    }
    if snwe is not None:
        s, n, w, e = snwe
        request["area"] = [n, w, s, e]
    return request


def download_era5(targets: Mapping[str, Path], hour: str,
                  snwe: tuple[int, int, int, int] | None, retries: int = 3,
                  report: Callable[[str], None] = print) -> list[Path]:
    """Download the ERA5 file of each date in ``targets`` (date -> path) that does not exist.

    Raises
    ------
    InputDataError
        Without credentials (before any request), or when a downloaded file is not usable.
    """
    if not cds_credentials_present():
        raise InputDataError(
            "no Climate Data Store credentials: create ~/.cdsapirc with the lines\n"
            "  url: https://cds.climate.copernicus.eu/api\n  key: <your personal access token>\n"
            "(see https://cds.climate.copernicus.eu/how-to-api) and accept the ERA5 licence on the "
            "dataset page, then run this command again")
    import cdsapi

    client = cdsapi.Client(retry_max=retries, sleep_max=30, quiet=True, progress=False)
    done = []
    todo = {d: Path(p) for d, p in targets.items() if not Path(p).is_file()}
    for i, (date, path) in enumerate(sorted(todo.items()), start=1):
        report(f"[{i}/{len(todo)}] downloading {path.name} ...")
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            client.retrieve(DATASET, era5_request(date, hour, snwe), str(tmp))
            scan_era5_grib(tmp)
        done.append(path)
    return done


def gacos_request_text(info: StackWeatherInfo, margin: float = 0.1) -> str:
    """What to enter in the GACOS request form for the stack (area, time, dates)."""
    s, n, w, e = info.bbox
    return "\n".join([
        "GACOS products are requested at http://www.gacos.net (they arrive by e-mail):",
        f"  area  : lat {s - margin:.2f} to {n + margin:.2f}, "
        f"lon {w - margin:.2f} to {e + margin:.2f}",
        f"  time  : {info.utc_hhmm} UTC",
        f"  dates : {len(info.dates)} ({info.dates[0]} .. {info.dates[-1]}), one per line:",
        *(f"    {d}" for d in info.dates),
        "Unpack the YYYYMMDD.ztd and YYYYMMDD.ztd.rsc files (or YYYYMMDD.ztd.tif) into the "
        "folder named by mintpy.troposphericDelay.gacosDir.",
    ])
