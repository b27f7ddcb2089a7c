"""Parameters of a synthetic InSAR stack and the named presets.

A :class:`SimulationParams` fully determines a simulated dataset together with the random seed.
Radar constants default to Sentinel-1 IW (C band, full-resolution TOPS pixel spacing); the scene is
a small crop whose coherence, deformation, DEM error and troposphere are set by the fields below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from minopy.errors import ConfigError


@dataclass(frozen=True)
class CoherenceClass:
    """Temporal coherence model of a distributed-scatterer region.

    ``gamma(dt) = (gamma0 - gamma_inf) * exp(-|dt| / tau_days) + gamma_inf`` between two dates
    ``dt`` days apart. With ``seasonal > 0`` each acquisition ``i`` also gets a factor
    ``s_i = 1 - seasonal * (1 + cos(2 pi (t_i - peak_doy) / 365.25)) / 2`` (lowest at the day of
    year ``peak_doy``) and the off-diagonal coherence becomes ``gamma(dt) * s_i * s_j``.

    Attributes
    ----------
    name : str
        Label stored in truth.h5.
    gamma0 : float
        Short-term coherence (limit for dt -> 0, dates distinct), 0..1.
    gamma_inf : float
        Long-term coherence, 0..gamma0.
    tau_days : float
        Decorrelation time constant in days.
    fraction : float
        Share of the land area covered by this class (fractions are normalised).
    seasonal : float
        Depth of the seasonal coherence loss, 0..1.
    peak_doy : float
        Day of year of the strongest seasonal loss.
    amplitude : float
        Mean backscatter amplitude (linear, relative units).
    """

    name: str
    gamma0: float
    gamma_inf: float
    tau_days: float
    fraction: float = 1.0
    seasonal: float = 0.0
    peak_doy: float = 200.0
    amplitude: float = 1.0


DEFAULT_CLASSES: tuple[CoherenceClass, ...] = (
    CoherenceClass("urban_ds", 0.92, 0.55, 60.0, fraction=0.40, amplitude=1.6),
    CoherenceClass("grassland", 0.80, 0.30, 36.0, fraction=0.35, seasonal=0.25, amplitude=1.0),
    CoherenceClass("vegetation", 0.60, 0.08, 18.0, fraction=0.25, seasonal=0.3, amplitude=0.7),
)


#: ISCE file layouts of a simulated stack.
ISCE_LAYOUTS = ("tops", "stripmap")
#: every file layout ``minopy simulate --layout`` writes.
LAYOUTS = (*ISCE_LAYOUTS, "gdal", "geo", "gamma", "opera")

#: values of :attr:`SimulationParams.tropo_model`.
TROPO_MODELS = ("height", "weather")


@dataclass(frozen=True)
class SimulationParams:
    """Everything that defines a synthetic stack (with a seed, the dataset is reproducible).

    Attributes
    ----------
    name : str
        Preset name.
    n_dates, interval_days : int
        Number of acquisitions and their spacing in days.
    start_date : str
        First acquisition, YYYYMMDD (the reference date of baselines and truth).
    length, width : int
        Rows (azimuth lines) and columns (range samples).
    wavelength : float
        Radar wavelength in metres.
    range_pixel_size : float
        Slant-range pixel spacing in metres.
    azimuth_time_interval : float
        Time between azimuth lines in seconds.
    prf : float
        Pulse repetition frequency of the TOPS burst in Hz.
    range_sampling_rate : float
        Range sampling rate in Hz.
    altitude : float
        Satellite altitude above the local sphere in metres.
    incidence_center : float
        Incidence angle at the scene centre in degrees.
    orbit_direction : str
        ``"DESCENDING"`` or ``"ASCENDING"``.
    heading : float
        Flight direction at the scene centre, degrees clockwise from north (ISCE/MintPy HEADING).
    center_lat, center_lon : float
        Geodetic coordinates of the scene centre in degrees.
    acquisition_time : str
        UTC time of day of the scene centre, ``HH:MM:SS``.
    platform, polarization : str
        Mission name (``S1A``) and polarisation (``VV``).
    track, swath : int
        Relative orbit number and TOPS swath number.
    bperp_std : float
        Standard deviation of the perpendicular baselines in metres.
    classes : tuple of CoherenceClass
        Distributed-scatterer regions.
    class_smoothness : float
        Gaussian smoothing (pixels) of the random field that partitions the land into classes.
    n_ps : int
        Number of persistent scatterers.
    ps_scr : float
        Signal-to-clutter power ratio of the persistent scatterers.
    water_fraction_yx : tuple of four floats
        Water body ellipse: centre row, centre column, radius rows, radius columns (fractions of
        the image size); radius 0 disables it.
    dem_relief : float
        Peak-to-peak amplitude of the hill in metres.
    cliff_height : float
        Height of an escarpment facing away from the radar (creates radar shadow); 0 disables.
    dem_error_std : float
        Standard deviation of the smooth DEM error in metres.
    dem_error_smoothness : float
        Correlation length of the DEM error field in pixels.
    ps_dem_error_std : float
        Standard deviation of the DEM error of persistent scatterers (building heights) in metres.
    bowl_rate : float
        Peak linear LOS velocity of the subsidence bowl in m/yr (negative: away from the satellite).
    bowl_seasonal : float
        Peak seasonal LOS amplitude in the bowl in metres.
    bowl_center_yx, bowl_radius : tuple of float, float
        Bowl centre (fractions of length, width) and Gaussian radius (fraction of the diagonal).
    seasonal_peak_doy : float
        Day of year of the maximum of the seasonal displacement.
    tropo_model : str
        ``"height"``: the stratified delay is a per-date coefficient times the height
        (``tropo_gradient_std``); ``"weather"``: it is the delay of a synthetic stratified
        atmosphere per date (``simulate/atmosphere.py``), and ERA5-like GRIB files and GACOS
        products of that atmosphere are written beside the stack (``weather/ERA5``, ``GACOS``).
    tropo_gradient_std : float
        Standard deviation of the per-date height-correlated LOS delay coefficient in m/m
        (``tropo_model = "height"``).
    turbulence_std : float
        Standard deviation of the per-date turbulent LOS delay in metres.
    turbulence_smoothness : float
        Gaussian smoothing (pixels) of the turbulence.
    amplitude_scale : float
        Scale of the SLC amplitudes (digital numbers).
    block_rows : int
        Rows generated at once (bounds memory; part of the random realisation).
    """

    name: str = "custom"
    n_dates: int = 30
    interval_days: int = 12
    start_date: str = "20200105"
    length: int = 120
    width: int = 160
    wavelength: float = 0.05546576
    range_pixel_size: float = 2.329562
    azimuth_time_interval: float = 0.002055556
    prf: float = 1717.128973
    range_sampling_rate: float = 64345238.0957
    altitude: float = 693_000.0
    incidence_center: float = 37.0
    orbit_direction: str = "DESCENDING"
    heading: float = -167.0
    center_lat: float = 29.75
    center_lon: float = -95.37
    acquisition_time: str = "00:25:30"
    platform: str = "S1A"
    polarization: str = "VV"
    track: int = 143
    swath: int = 1
    bperp_std: float = 80.0
    classes: tuple[CoherenceClass, ...] = field(default=DEFAULT_CLASSES)
    class_smoothness: float = 10.0
    n_ps: int = 40
    ps_scr: float = 100.0
    water_fraction_yx: tuple[float, float, float, float] = (0.82, 0.18, 0.14, 0.12)
    dem_relief: float = 250.0
    cliff_height: float = 90.0
    dem_error_std: float = 15.0
    dem_error_smoothness: float = 20.0
    ps_dem_error_std: float = 20.0
    bowl_rate: float = -0.04
    bowl_seasonal: float = 0.006
    bowl_center_yx: tuple[float, float] = (0.62, 0.74)
    bowl_radius: float = 0.15
    seasonal_peak_doy: float = 250.0
    tropo_model: str = "height"
    tropo_gradient_std: float = 2.0e-5
    turbulence_std: float = 0.002
    turbulence_smoothness: float = 25.0
    amplitude_scale: float = 80.0
    block_rows: int = 64

    def validate(self) -> SimulationParams:
        """Check value ranges; return ``self`` or raise ConfigError naming the field."""
        checks = {
            "n_dates": self.n_dates >= 2,
            "interval_days": self.interval_days >= 1,
            "length": self.length >= 8,
            "width": self.width >= 8,
            "orbit_direction": self.orbit_direction in ("ASCENDING", "DESCENDING"),
            "incidence_center": 10.0 < self.incidence_center < 60.0,
            "classes": len(self.classes) >= 1,
            "n_ps": self.n_ps >= 0,
            "block_rows": self.block_rows >= 1,
            "ps_scr": self.ps_scr > 0,
            "tropo_model": self.tropo_model in TROPO_MODELS,
        }
        for key, ok in checks.items():
            if not ok:
                raise ConfigError(f"simulation parameter {key}={getattr(self, key)!r} is invalid")
        for cls in self.classes:
            if not (0.0 <= cls.gamma_inf <= cls.gamma0 <= 1.0 and cls.tau_days > 0
                    and 0.0 <= cls.seasonal <= 1.0):
                raise ConfigError(
                    f"coherence class {cls.name!r}: need 0 <= gamma_inf <= gamma0 <= 1, "
                    "tau_days > 0 and 0 <= seasonal <= 1"
                )
        return self


PRESETS: dict[str, SimulationParams] = {
    # all nine steps in a few minutes on two cores
    "demo": SimulationParams(name="demo", n_dates=60, tropo_model="weather"),
    # fast unit tests
    "tiny": SimulationParams(
        name="tiny", n_dates=12, length=48, width=64, n_ps=12, class_smoothness=6.0,
        turbulence_smoothness=12.0, dem_relief=100.0, cliff_height=30.0, block_rows=16,
    ),
    # a larger, Houston-like subsidence scene (about 1.5 GB of SLCs)
    "houston_like": SimulationParams(
        name="houston_like", n_dates=60, interval_days=12, length=1000, width=3000, n_ps=600,
        class_smoothness=40.0, turbulence_smoothness=150.0, bowl_rate=-0.03, bowl_radius=0.2,
        dem_relief=40.0, cliff_height=0.0, block_rows=32,
    ),
}


def resolve_params(preset: str | SimulationParams = "demo", **overrides: Any) -> SimulationParams:
    """Return a preset with ``overrides`` applied and validated.

    Parameters
    ----------
    preset : str or SimulationParams
        Name in :data:`PRESETS`, or a parameter set.
    **overrides
        Field values to replace (names of :class:`SimulationParams` fields).

    Raises
    ------
    ConfigError
        For an unknown preset or field, or an invalid value.
    """
    if isinstance(preset, SimulationParams):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ConfigError(f"unknown simulation preset {preset!r}; choose one of {sorted(PRESETS)}")
    names = {f.name for f in fields(SimulationParams)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ConfigError(f"unknown simulation parameter(s) {unknown}; valid: {sorted(names)}")
    if "classes" in overrides:
        overrides["classes"] = tuple(overrides["classes"])
    return replace(base, **overrides).validate()
