"""What every step receives: the work directory, the typed configuration and a logger.

The paths of the files that pass between steps are defined here once, so the steps agree on them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from minopy.config import Config


@dataclass
class StepContext:
    """Run-wide state handed to each step's ``run(ctx)``.

    Attributes
    ----------
    work_dir : Path
        The minopy work directory (``--dir``), e.g. ``<project>/minopy``.
    config : Config
        Validated options.
    log : logging.Logger
        Logger that writes to the console and to ``<work_dir>/log``.
    staging_dir : Path or None
        Set while a step runs MintPy in a staging copy of the network folder
        (:func:`minopy.mintpy_bridge.staging`): :attr:`network_dir` is then that copy.
    """

    work_dir: Path
    config: Config
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("minopy"))
    staging_dir: Path | None = None

    @property
    def project_dir(self) -> Path:
        """Folder holding the ISCE stack (``merged/``, ``reference/``, ``baselines/``)."""
        if self.config.template_file is not None:
            return self.config.template_file.parent
        return self.work_dir.parent

    @property
    def inputs_dir(self) -> Path:
        return self.work_dir / "inputs"

    @property
    def slc_stack_file(self) -> Path:
        """``inputs/slcStack.h5``: slc (N, L, W) complex64, date, bperp."""
        return self.inputs_dir / "slcStack.h5"

    @property
    def geometry_file(self) -> Path:
        """``inputs/geometryRadar.h5``: height, latitude, longitude, angles, masks (L, W)."""
        return self.inputs_dir / "geometryRadar.h5"

    @property
    def strides(self) -> tuple[int, int]:
        """Output strides ``(azimuth, range)`` of phase linking (``minopy.inversion.strides``)."""
        from minopy.io.multilook import strides_of

        return strides_of(self.config)

    @property
    def output_geometry_file(self) -> Path:
        """The geometry on the grid of the phase-linking outputs: ``inputs/geometryRadar.h5``, or
        with output strides its multilooked copy ``inverted/geometryRadar.h5`` (written by
        concatenate_patch)."""
        if self.strides == (1, 1):
            return self.geometry_file
        return self.inverted_dir / "geometryRadar.h5"

    @property
    def inverted_dir(self) -> Path:
        return self.work_dir / "inverted"

    @property
    def patches_dir(self) -> Path:
        """Per-patch phase-linking results (resumable)."""
        return self.inverted_dir / "PATCHES"

    @property
    def phase_series_file(self) -> Path:
        """``inverted/phase_series.h5``: phase, amplitude (N, L, W), shp, temporalCoherence."""
        return self.inverted_dir / "phase_series.h5"

    @property
    def ps_mask_file(self) -> Path:
        return self.work_dir / "maskPS.h5"

    def temp_coh_raster(self, kind: str) -> Path:
        """ISCE-format temporal coherence ``inverted/tempCoh_<kind>`` (kind: average or full)."""
        return self.inverted_dir / f"tempCoh_{kind}"

    @property
    def network_name(self) -> str:
        """Name of the interferogram network, e.g. ``single_reference``, ``sequential_3``."""
        cfg = self.config
        if cfg["minopy.interferograms.list"] is not None:
            return "list"
        kind = cfg["minopy.interferograms.type"]
        if kind == "sequential":
            return f"sequential_{cfg['minopy.interferograms.numSequential']}"
        if kind == "delaunay":
            return f"delaunay_{cfg['minopy.interferograms.delaunayBaselineRatio']:g}"
        return kind

    @property
    def ifgram_dir(self) -> Path:
        """``inverted/interferograms_<network>/``, one ``<d1>_<d2>/`` folder per pair."""
        return self.inverted_dir / f"interferograms_{self.network_name}"

    @property
    def network_dir(self) -> Path:
        """``<work_dir>/<network>_network``: the MintPy time-series directory of this network (its
        staging copy while MintPy runs there, see ``staging_dir``)."""
        return self.staging_dir if self.staging_dir is not None else self.final_network_dir

    @property
    def final_network_dir(self) -> Path:
        """``<work_dir>/<network>_network`` itself, also while MintPy runs in a staging copy."""
        return self.work_dir / f"{self.network_name}_network"

    @property
    def pic_dir(self) -> Path:
        return self.work_dir / "pic"

    @property
    def num_workers(self) -> int:
        import os

        from minopy.cluster import cluster_options

        requested = int(self.config["minopy.multiprocessing.numProcessor"])
        spec = cluster_options(self.config)
        if spec.remote:
            return spec.workers or requested
        return max(1, min(requested, os.cpu_count() or 1))
