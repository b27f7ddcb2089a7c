"""A complete minopy template for a simulated dataset."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from minopy.errors import ConfigError
from minopy.simulate.params import PRESETS
from minopy.simulate.truth import TRUTH_FILE, read_truth, reference_pixel


def _demo_reference() -> tuple[tuple[int, int], tuple[int, int]]:
    """Image size and suggested reference pixel of the ``demo`` preset with seed 0."""
    from minopy.simulate.geometry import build_geometry
    from minopy.simulate.scene import make_scene
    from minopy.simulate.signals import deformation_maps
    from minopy.simulate.stack import pixel_geometry

    params = PRESETS["demo"]
    geom = build_geometry(params)
    flat = pixel_geometry(params, geom, None)
    rg_step = params.range_pixel_size / np.sin(np.radians(params.incidence_center))
    scene = make_scene(params, 0, flat["incidence"], rg_step)
    velocity, _ = deformation_maps(params)
    return (params.length, params.width), reference_pixel(scene.coherence_class, velocity)


#: simulator layout -> minopy.load.processor.
LAYOUT_PROCESSOR = {"tops": "isce", "stripmap": "isce", "gdal": "gdal", "geo": "gdal",
                    "gamma": "gamma", "opera": "opera"}

#: tropospheric methods a demo template can use.
TROPO_METHODS = ("pyaps", "gacos", "height_correlation", "no")


def _tropo_lines(method: str) -> list[str]:
    if method == "pyaps":
        return ["# ERA5 through PyAPS from the GRIB files the simulator wrote (no network needed)",
                "mintpy.troposphericDelay.method       = pyaps",
                "mintpy.troposphericDelay.weatherModel = ERA5",
                "mintpy.troposphericDelay.weatherDir   = ./weather   # holds ERA5/ERA5_*.grb"]
    if method == "gacos":
        return ["# GACOS products the simulator wrote (YYYYMMDD.ztd + .rsc)",
                "mintpy.troposphericDelay.method   = gacos",
                "mintpy.troposphericDelay.gacosDir = ./GACOS"]
    if method == "height_correlation":
        return ["mintpy.troposphericDelay.method = height_correlation"]
    return ["# The simulated delay is proportional to height; over two years it averages out",
            "# to about 0.5 mm/yr, less than the error MintPy's empirical height_correlation",
            "# estimate adds next to the deformation bowl, so the demo leaves it off.",
            "mintpy.troposphericDelay.method = no"]


def demo_template_text(project_dir: Path | None = None, tropo: str | None = None) -> str:
    """Template text for processing a simulated stack with ``minopyApp.py``.

    Parameters
    ----------
    project_dir : Path or None
        A folder written by :func:`minopy.simulate.write_stack`; its ``truth.h5`` gives the image
        size and a coherent reference pixel. None: the ``demo`` preset with seed 0.
    tropo : {"pyaps", "gacos", "height_correlation", "no"} or None
        Tropospheric correction. None: ``pyaps`` when the stack has simulated weather files
        (``tropo_model = "weather"``, as the demo preset), else ``no``. ``pyaps`` and ``gacos``
        need those files.

    Returns
    -------
    str
        Template text (``minopy.*`` and ``mintpy.*`` keys); save it inside the project folder,
        because ``minopy.load.autoPath = yes`` finds the ISCE files relative to the template.
    """
    truth_file = None if project_dir is None else Path(project_dir) / TRUTH_FILE
    if truth_file is not None and truth_file.exists():
        truth = read_truth(truth_file, ("coherence_class",))
        size = truth["coherence_class"].shape
        ref_y, ref_x = (int(v) for v in truth["attrs"]["reference_yx"])
        name = str(truth["attrs"].get("preset", "demo"))
        layout = str(truth["attrs"].get("layout", "tops"))
        has_weather = (Path(project_dir) / "weather" / "ERA5").is_dir()
    else:
        size, (ref_y, ref_x) = _demo_reference()
        name, layout = "demo", "tops"
        has_weather = PRESETS["demo"].tropo_model == "weather"
    if tropo is None:
        tropo = "pyaps" if has_weather else "no"
    if tropo not in TROPO_METHODS:
        raise ConfigError(f"tropospheric method {tropo!r} for the demo template: choose one of "
                          f"{', '.join(TROPO_METHODS)}")
    patch = max(40, int(math.ceil(max(size) / 2 / 10.0)) * 10)
    lines = [
        f"## minopy template for the simulated '{name}' stack ({layout} layout, "
        f"{size[0]} x {size[1]} pixels)",
        "## truth (displacement, velocity, DEM error, masks) is in truth.h5 beside this file",
        "minopy.multiprocessing.numProcessor = 2",
        f"minopy.load.processor       = {LAYOUT_PROCESSOR.get(layout, 'isce')}",
        "minopy.load.autoPath        = yes",
        "minopy.load.updateMode      = yes",
        "minopy.load.compression     = no",
        "minopy.subset.yx            = no",
        "",
        f"minopy.inversion.patchSize          = {patch}",
        "minopy.inversion.ministackSize      = 10",
        "minopy.inversion.rangeWindow        = 15",
        "minopy.inversion.azimuthWindow      = 15",
        "minopy.inversion.shpTest            = ks",
        "minopy.inversion.phaseLinkingMethod = sequential_EMI",
        "",
        "minopy.interferograms.type          = sequential",
        "minopy.interferograms.numSequential = 3",
        "minopy.interferograms.filterStrength = 0",
        "",
        "minopy.unwrap.method        = snaphu",
        "minopy.unwrap.two-stage     = yes",
        "minopy.unwrap.maskWater     = yes",
        "",
        "minopy.timeseries.tempCohType = full",
        "minopy.timeseries.minTempCoh  = 0.55",
        "minopy.timeseries.residualNorm = L2",
        "",
        "mintpy.compute.maxMemory    = 4",
        f"mintpy.reference.yx         = {ref_y},{ref_x}",
        "mintpy.unwrapError.method   = no",
        "mintpy.solidEarthTides      = no",
        *_tropo_lines(tropo),
        "mintpy.deramp               = no",
        "mintpy.topographicResidual  = yes",
        "mintpy.topographicResidual.polyOrder = 2",
        "mintpy.timeFunc.periodic    = 1.0   # the bowl has an annual term",
        "mintpy.timeFunc.excludeDate = no    # keep every date in the velocity fit",
        "mintpy.geocode              = yes",
        "mintpy.geocode.laloStep     = 0.0002,0.0002",
        "mintpy.save.kmz             = no    # MintPy's KMZ writer needs ~1.6 GB even here",
        "mintpy.save.hdfEos5         = no",
        "mintpy.plot                 = no",
    ]
    return "\n".join(lines) + "\n"
