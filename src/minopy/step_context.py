"""What every step receives: the work directory, the typed configuration and a logger.

The paths of the files that pass between steps are defined here once, so the steps (and the
modules below them that read or write those files: the MintPy bridge, the figures) agree on them.
The network's name, part of many of those paths, is fixed when the context is made (from the
``interferograms`` options, :func:`minopy.network.kinds.network_name`): a step sees the network
through its paths, which the fingerprints of its inputs hold.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from pathlib import Path

from minopy.config import Config
from minopy.network import kinds
from minopy.parallel import ExecutionPolicy


class StepContext:
    """Run-wide state handed to each step's ``run(ctx)``.

    Parameters
    ----------
    work_dir : path-like
        The minopy work directory (``--dir``), e.g. ``<project>/minopy``.
    config : Config
        Validated options.
    log : logging.Logger, optional
        Logger that writes to the console and to ``<work_dir>/log`` (default ``minopy``).
    staging_dir : Path, optional
        Set while a step runs MintPy in a staging copy of the network folder
        (:func:`minopy.mintpy_staging.staging`, :meth:`staged`): :attr:`network_dir` is then
        that copy.
    execution : ExecutionPolicy, optional
        Where the parallel steps run their tasks; default: the policy of the ``compute``
        options (:meth:`ExecutionPolicy.from_options`).
    force : bool
        The run was started with ``--force``: steps that could update their outputs in place
        (``load_data`` appending new dates) write them anew instead.

    Attributes
    ----------
    network_name : str
        Name of the interferogram network, e.g. ``single_reference``, ``sequential_3``
        (:func:`minopy.network.kinds.network_name` of the options).
    """

    def __init__(self, work_dir: str | os.PathLike, config: Config,
                 log: logging.Logger | None = None, staging_dir: Path | None = None,
                 execution: ExecutionPolicy | None = None, force: bool = False) -> None:
        self.work_dir = Path(work_dir)
        self.force = force
        self.config = config
        self.log = log if log is not None else logging.getLogger("minopy")
        self.staging_dir = staging_dir
        self.execution = (execution if execution is not None
                          else ExecutionPolicy.from_options(config.compute))
        spec = self.execution.cluster
        if spec is not None and spec.workers and spec.log_directory is None:
            # batch jobs write their output into the work directory
            self.execution = dataclasses.replace(self.execution, cluster=dataclasses.replace(
                spec, log_directory=str(self.work_dir / "dask_jobs")))
        self.network_name = kinds.network_name(config.interferograms)

    def staged(self, staging_dir: Path) -> StepContext:
        """The same context with :attr:`network_dir` in the staging folder ``staging_dir``."""
        staged = copy.copy(self)
        staged.staging_dir = staging_dir
        return staged

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
        from minopy.io.multilook import parse_strides

        return parse_strides(self.config.inversion.strides)

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
    def pair_list_file(self) -> Path:
        """``<net>_network/interferograms_list.txt``: the pairs of the network, one a line."""
        return self.network_dir / "interferograms_list.txt"

    @property
    def network_plot_file(self) -> Path:
        """``<net>_network/network.png``: the network of pairs over time and baseline."""
        return self.network_dir / "network.png"

    @property
    def unwrap_mask_file(self) -> Path:
        """``inverted/mask_unwrap``: the unwrap mask (BYTE, 1 = unwrap)."""
        return self.inverted_dir / "mask_unwrap"

    @property
    def ifgram_stack_file(self) -> Path:
        """``<net>_network/inputs/ifgramStack.h5``: the unwrapped pairs in MintPy's layout."""
        return self.network_dir / "inputs" / "ifgramStack.h5"

    @property
    def network_geometry_file(self) -> Path:
        """``<net>_network/inputs/geometryRadar.h5``: the copy of the geometry MintPy uses."""
        return self.network_dir / "inputs" / "geometryRadar.h5"

    def inversion_files(self) -> dict[str, Path]:
        """The network inversion's products in ``<net>_network/``, by MintPy name
        (``timeseriesDecorCov`` only with ``minopy.timeseries.calcCov``)."""
        net = self.network_dir
        files = {"timeseries": net / "timeseries.h5",
                 "temporalCoherence": net / "temporalCoherence.h5",
                 "numInvIfgram": net / "numInvIfgram.h5", "maskTempCoh": net / "maskTempCoh.h5"}
        if self.config.timeseries.calc_cov:
            files["timeseriesDecorCov"] = net / "timeseriesDecorCov.h5"
        return files

    @property
    def pic_dir(self) -> Path:
        return self.work_dir / "pic"
