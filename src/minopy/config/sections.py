"""Typed configuration: one frozen dataclass per section of the options (``config.<section>``).

GENERATED from ``options.toml`` by ``python -m minopy.config.generate``: do not edit by hand
(``tests/config/test_sections.py`` fails while this file is not current). The template key of each
field is in its docstring; :func:`minopy.config.schema.option_key` gives it to messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class ComputeOptions:
    """The ``compute`` section: computing resources."""

    num_processor: int = 4
    """``minopy.multiprocessing.numProcessor``: Number of parallel workers (dask local cluster
    processes); capped at the CPU count.
    """
    scheduler: str | None = None
    """``minopy.compute.scheduler``: Address of an existing dask scheduler (e.g. tcp://host:8786) to
    spread work over many machines; none = start a local cluster with numProcessor workers.
    """
    cluster: str = "local"
    """``minopy.compute.cluster``: Where the dask workers run: local (this machine), slurm, pbs, sge
    or lsf (dask-jobqueue submits minopy.compute.jobs worker jobs; the work directory must be on
    a file system they share), or tcp://host:port (a dask scheduler started by hand).
    """
    queue: str | None = None
    """``minopy.compute.queue``: Batch queue (partition) of the worker jobs (slurm/pbs/sge/lsf)."""
    account: str | None = None
    """``minopy.compute.account``: Account (allocation/project) charged for the jobs (slurm/pbs -A,
    sge -P, lsf -P).
    """
    walltime: str = "02:00:00"
    """``minopy.compute.walltime``: Wall-clock limit of each job, HH:MM:SS (worker jobs and the
    --jobfiles driver job).
    """
    cores: int = 4
    """``minopy.compute.cores``: Cores of one worker job; it runs cores / threadsPerWorker worker
    processes.
    """
    memory: str = "16GB"
    """``minopy.compute.memory``: Memory of one worker job (e.g. 96GB), shared by its worker
    processes: each gets memory / processes as its dask memory limit.
    """
    jobs: int = 2
    """``minopy.compute.jobs``: Number of worker jobs submitted (slurm/pbs/sge/lsf)."""
    job_directives: str | None = None
    """``minopy.compute.jobDirectives``: Extra job header directives, ';'-separated, without the
    #SBATCH/#PBS prefix (e.g. --constraint=skx; --exclusive).
    """
    setup_commands: str | None = None
    """``minopy.compute.setupCommands``: Shell lines run at the start of every job before minopy or
    the worker starts, ';'-separated (e.g. module load python; source ~/minopy/bin/activate).
    """
    local_directory: str | None = None
    """``minopy.compute.localDirectory``: Node-local scratch folder of the workers (dask spill
    files; MiNoPy's --tmp), e.g. /tmp or $SCRATCH_LOCAL; none = dask's default.
    """
    threads_per_worker: int = 1
    """``minopy.compute.threadsPerWorker``: numba/BLAS threads per worker; workers x threads should
    not exceed the cores.
    """
    dashboard: str | None = None
    """``minopy.compute.dashboard``: Address for the dask dashboard of the local cluster, e.g. :8787
    or localhost:8787 (needs bokeh); none = no dashboard, and dask's HTTP server takes a free
    local port, so runs that share a machine never compete for 8787.
    """


@dataclass(frozen=True)
class GeneralOptions:
    """The ``general`` section: general."""

    text_cmd: str | None = None
    """``minopy.textCmd``: Kept for compatibility with MiNoPy templates. minopy runs steps
    in-process, so a command prefix is not used; setting it logs a warning.
    """
    plot: bool = True
    """``minopy.plot``: Write figures to <workdir>/pic and the HTML report <workdir>/report.html."""


@dataclass(frozen=True)
class LoadOptions:
    """The ``load`` section: load_data / load_ifgram: input files."""

    processor: Literal["auto", "isce", "gdal", "gamma", "opera"] = "auto"
    """``minopy.load.processor``: Processor of the coregistered stack: isce
    (topsStack/stripmapStack), gdal (any single-band complex rasters GDAL reads: GeoTIFF, VRT,
    ENVI, ...; geocoded when they carry a CRS), gamma (*.rslc + *.par), opera (OPERA CSLC-S1
    HDF5); auto = detected from the folder with autoPath, else from the slcFile names (isce
    otherwise).
    """
    update_mode: bool = True
    """``minopy.load.updateMode``: Skip steps whose outputs are complete and whose inputs and
    options have not changed.
    """
    compression: Literal["no", "lzf", "gzip"] = "no"
    """``minopy.load.compression``: HDF5 compression of slcStack.h5."""
    auto_path: bool = False
    """``minopy.load.autoPath``: Find SLC, geometry, metadata and baseline files from the
    processor's layout under the project directory (ISCE topsStack/stripmapStack, gdal slc/ +
    geometry/, gamma rslc/ + geometry/, opera cslc/ + static/).
    """
    slc_file: str | None = None
    """``minopy.load.slcFile``: Glob of the SLC files, or a .txt file listing one per line, e.g.
    ../merged/SLC/*/*.slc.full or slc/*.tif (relative paths are relative to the template's
    folder). gdal/gamma/opera: the date of each file is the first YYYYMMDD in its name.
    """
    start_date: str | None = None
    """``minopy.load.startDate``: First date (YYYYMMDD) of the SLCs to load."""
    end_date: str | None = None
    """``minopy.load.endDate``: Last date (YYYYMMDD) of the SLCs to load."""
    meta_file: str | None = None
    """``minopy.load.metaFile``: Metadata: topsStack reference/IW*.xml, or stripmapStack reference
    XML / data.rsc; gamma: the .par files (default: each *.rslc's .rslc.par or .par); opera: the
    CSLC-STATIC HDF5 file of the burst.
    """
    baseline_dir: str | None = None
    """``minopy.load.baselineDir``: ISCE baselines directory."""
    baseline_file: str | None = None
    """``minopy.load.baselineFile``: Per-date perpendicular baselines: a text file of 'YYYYMMDD
    bperp_metres' lines (gdal, gamma, opera stacks; relative to the first date). Without it and
    without baselineDir, bperp is 0 (with a warning).
    """
    dem_file: str | None = None
    """``minopy.load.demFile``: Height in radar coordinates (hgt.rdr[.full])."""
    lookup_y_file: str | None = None
    """``minopy.load.lookupYFile``: Latitude lookup in radar coordinates (lat.rdr[.full])."""
    lookup_x_file: str | None = None
    """``minopy.load.lookupXFile``: Longitude lookup in radar coordinates (lon.rdr[.full])."""
    inc_angle_file: str | None = None
    """``minopy.load.incAngleFile``: Incidence angle: los.rdr[.full] band 1."""
    az_angle_file: str | None = None
    """``minopy.load.azAngleFile``: Azimuth angle: los.rdr[.full] band 2."""
    shadow_mask_file: str | None = None
    """``minopy.load.shadowMaskFile``: Shadow/layover mask (shadowMask.rdr[.full])."""
    water_mask_file: str | None = None
    """``minopy.load.waterMaskFile``: Water mask (waterMask.rdr[.full]); 1 = land."""
    bperp_file: str | None = None
    """``minopy.load.bperpFile``: Per-pixel perpendicular baseline files: not supported yet (setting
    it is an error); the per-date average baselines of baselineDir are used.
    """
    unw_file: str | None = None
    """``minopy.load.unwFile``: Unwrapped interferograms for load_ifgram; auto:
    <workdir>/inverted/interferograms_<network>/*/filt_fine.unw.
    """
    cor_file: str | None = None
    """``minopy.load.corFile``: Coherence of each pair for load_ifgram; auto: .../filt_fine.cor."""
    conn_comp_file: str | None = None
    """``minopy.load.connCompFile``: Connected components for load_ifgram; auto:
    .../filt_fine.unw.conncomp.
    """
    int_file: str | None = None
    """``minopy.load.intFile``: Wrapped interferograms (complex, or phase in band 1) for
    load_ifgram; stored as wrapPhase in ifgramStack.h5.
    """
    iono_file: str | None = None
    """``minopy.load.ionoFile``: Ionospheric phase per pair: not supported yet (setting it is an
    error).
    """
    wavelength: float | None = None
    """``minopy.load.wavelength``: Radar wavelength in metres; overrides/supplies WAVELENGTH when
    the metadata file lacks it (e.g. an ISCE shelve data.dat).
    """
    range_pixel_size: float | None = None
    """``minopy.load.rangePixelSize``: Slant-range pixel size in metres (RANGE_PIXEL_SIZE);
    overrides the metadata file.
    """
    azimuth_pixel_size: float | None = None
    """``minopy.load.azimuthPixelSize``: Azimuth pixel size in metres along the orbit
    (AZIMUTH_PIXEL_SIZE, MintPy convention); overrides the metadata file.
    """
    starting_range: float | None = None
    """``minopy.load.startingRange``: Slant range of the first column in metres (STARTING_RANGE);
    overrides the metadata file.
    """
    prf: float | None = None
    """``minopy.load.prf``: Pulse repetition frequency in Hz (PRF); overrides the metadata file."""
    earth_radius: float | None = None
    """``minopy.load.earthRadius``: Local Earth radius of curvature in metres (EARTH_RADIUS);
    overrides the value computed from the orbit.
    """
    satellite_height: float | None = None
    """``minopy.load.satelliteHeight``: Satellite altitude above the ellipsoid in metres (HEIGHT);
    overrides the value computed from the orbit.
    """
    heading: float | None = None
    """``minopy.load.heading``: Satellite heading in degrees clockwise from north (HEADING);
    overrides the orbit / los.rdr value.
    """
    center_line_utc: float | None = None
    """``minopy.load.centerLineUTC``: Acquisition time of the centre line, seconds of day
    (CENTER_LINE_UTC); overrides the metadata file.
    """
    orbit_direction: str | None = None
    """``minopy.load.orbitDirection``: ASCENDING or DESCENDING (ORBIT_DIRECTION); overrides the
    metadata file.
    """


@dataclass(frozen=True)
class SubsetOptions:
    """The ``subset`` section: load_data: subset of the radar grid."""

    yx: tuple[tuple[int, int], tuple[int, int]] | None = None
    """``minopy.subset.yx``: Radar-coordinate subset y0:y1,x0:x1 (rows, columns); falls back to
    mintpy.subset.yx.
    """
    lalo: tuple[tuple[float, float], tuple[float, float]] | None = None
    """``minopy.subset.lalo``: Geographic subset S:N,W:E through the lat/lon lookup; has priority
    over yx; falls back to mintpy.subset.lalo.
    """


@dataclass(frozen=True)
class InversionOptions:
    """The ``inversion`` section: phase_linking: SHP selection, phase linking, persistent
    scatterers.
    """

    patch_size: int = 200
    """``minopy.inversion.patchSize``: Edge of the square patches processed in parallel, in pixels;
    bounds memory.
    """
    strides: str = "1,1"
    """``minopy.inversion.strides``: Output strides azimuth,range (e.g. 3,6): one output pixel per
    cell of that many full-resolution pixels, its SHP window centred on the cell; SHPs and
    coherence use the full-resolution data, the outputs and every later step (interferograms,
    unwrapping, MintPy) are on the coarse grid, with the geometry and metadata (ALOOKS/RLOOKS,
    pixel sizes) multilooked; time and storage drop by about the product. 1,1 = full resolution.
    """
    ministack_size: int = 10
    """``minopy.inversion.ministackSize``: Images per mini-stack for the sequential_* estimators;
    with fewer than twice as many dates they use one mini-stack, i.e. the full-stack estimator.
    """
    sequential_mode: Literal["stack", "streaming"] = "stack"
    """``minopy.inversion.sequentialMode``: How the sequential_* estimators treat the stack. stack:
    SHPs from all dates and a datum connection over all mini-stacks (every date of a grown stack
    is estimated again). streaming: each mini-stack is linked on its own dates plus the
    compressed SLCs of the earlier ones (SHPs, PS and estimator on that small stack, referenced
    to the first compressed SLC, no later datum connection), as in dolphin; the mini-stacks are
    kept in inverted/ministacks, so a re-run on a grown stack links only the mini-stacks holding
    new dates and the earlier dates' phases never change (updates cost one mini-stack, and only
    the new interferogram pairs are formed and unwrapped). Needs strides 1,1.
    """
    range_window: int = 15
    """``minopy.inversion.rangeWindow``: SHP search window in range (columns); an even size becomes
    odd.
    """
    azimuth_window: int = 15
    """``minopy.inversion.azimuthWindow``: SHP search window in azimuth (rows); an even size becomes
    odd.
    """
    shp_test: Literal["ks", "ad", "ttest", "glrt"] = "ks"
    """``minopy.inversion.shpTest``: Statistical test for statistically homogeneous pixels:
    Kolmogorov-Smirnov, Anderson-Darling, Welch t-test, or the generalized likelihood-ratio test
    for equal scale.
    """
    shp_significance: float = 0.01
    """``minopy.inversion.shpSignificance``: Significance level of the SHP test (calibrated for the
    temporal correlation of the dates: 1/s independent dates, s = sum |gamma_ij|^2 / N^2
    estimated from the window).
    """
    shp_margin: float = 0.2
    """``minopy.inversion.shpMargin``: Equivalence margin of the SHP tests: differences of mean
    power up to this fraction are never rejected (long and multilooked stacks otherwise split on
    a few percent).
    """
    shp_refine: bool = True
    """``minopy.inversion.shpRefine``: Prune each SHP set by its covariance consistency where the
    SHPs' mean powers vary more than one population allows: drop samples whose whitened power
    under the set's own coherence matrix is outside the two-sided shpSignificance interval (power
    and phase-history edges that amplitude tests miss in coherent areas).
    """
    phase_linking_method: Literal["EVD", "EMI", "PTA", "sequential_EVD", "sequential_EMI",
                                  "sequential_PTA", "StBAS"] = "sequential_EMI"
    """``minopy.inversion.phaseLinkingMethod``: Phase-linking estimator."""
    stbas_num_con: int = 10
    """``minopy.inversion.stbas_numCon``: Band half-width (number of connections) of the coherence
    matrix for StBAS.
    """
    ps_rule: Literal["scr", "minopy"] = "scr"
    """``minopy.inversion.psRule``: Persistent-scatterer rule: scr = signal-to-clutter ratio against
    the window's clutter, calibrated for the number of dates, their coherence and the looks
    (single-look and multilooked stacks); minopy = MiNoPy's rule (PsNumShp, psTopEigenPercent,
    psAmpDispersion), for parity.
    """
    ps_min_scr: float = 4.0
    """``minopy.inversion.psMinScr``: scr rule: smallest signal-to-clutter ratio called PS (the
    brightness must also exceed what clutter reaches with probability 0.001).
    """
    ps_num_shp: int = 10
    """``minopy.inversion.PsNumShp``: minopy rule: pixels with at most this many SHPs are tested as
    persistent-scatterer candidates.
    """
    ps_amp_dispersion: float = 0.42
    """``minopy.inversion.psAmpDispersion``: minopy rule: a PS candidate must have amplitude
    dispersion below this value.
    """
    ps_top_eigen_percent: float = 95.0
    """``minopy.inversion.psTopEigenPercent``: minopy rule: a PS candidate's top eigenvalue must
    hold more than this percent of the eigenvalue norm.
    """
    min_num_shp: int = 10
    """``minopy.inversion.minNumShp``: Pixels (not PS) with fewer SHPs are linked by EVD of their
    small sample, flagged (estimator code 7) and get a debiased temporal coherence, near 0 for a
    handful of samples.
    """
    emi_regularization: float = 0.0
    """``minopy.inversion.emiRegularization``: Shrinkage beta of |Gamma| toward identity for EMI,
    (1-beta)|Gamma| + beta I; more is added per pixel when |Gamma| is not positive definite.
    """
    mask: str | None = None
    """``minopy.inversion.mask``: HDF5 mask (dataset 'mask' or the first 2-D dataset) in slcStack
    geometry; 0 = skip phase linking.
    """


@dataclass(frozen=True)
class InterferogramsOptions:
    """The ``interferograms`` section: generate_ifgram: interferogram network."""

    type: Literal["single_reference", "mini_stacks", "delaunay", "sequential"] = "single_reference"
    """``minopy.interferograms.type``: Network of interferograms to unwrap."""
    list: str | None = None
    """``minopy.interferograms.list``: Text file with one YYYYMMDD_YYYYMMDD pair per line; overrides
    the type.
    """
    reference_date: str | None = None
    """``minopy.interferograms.referenceDate``: Reference date of the single_reference network; none
    = the middle date.
    """
    filter_strength: float = 0.0
    """``minopy.interferograms.filterStrength``: Goldstein-Werner filter exponent alpha; 0 = no
    filtering.
    """
    ministack_ref_month: int = 6
    """``minopy.interferograms.ministackRefMonth``: Month of the reference acquisition of each
    yearly mini-stack.
    """
    num_sequential: int = 3
    """``minopy.interferograms.numSequential``: Connections per date of the sequential network."""
    delaunay_baseline_ratio: float = 1.0
    """``minopy.interferograms.delaunayBaselineRatio``: Scaling of perpendicular baseline (m)
    against temporal baseline (days) for the Delaunay triangulation.
    """
    delaunay_temp_thresh: float = 120.0
    """``minopy.interferograms.delaunayTempThresh``: Maximum temporal baseline of Delaunay pairs,
    days.
    """
    delaunay_perp_thresh: float = 200.0
    """``minopy.interferograms.delaunayPerpThresh``: Maximum perpendicular baseline of Delaunay
    pairs, metres.
    """
    one_year: bool = False
    """``minopy.interferograms.oneYear``: Add pairs about one year apart to the network."""


@dataclass(frozen=True)
class UnwrapOptions:
    """The ``unwrap`` section: unwrap_ifgram."""

    method: Literal["snaphu", "whirlwind"] = "snaphu"
    """``minopy.unwrap.method``: Phase unwrapper: SNAPHU (snaphu package) or whirlwind
    (whirlwind-insar, faster).
    """
    two_stage: bool = True
    """``minopy.unwrap.two-stage``: Join connected components by the integer-cycle offsets that
    minimise phase jumps across their borders.
    """
    remove_filter: bool = True
    """``minopy.unwrap.removeFilter``: After unwrapping a filtered interferogram, put the unfiltered
    phase back (only if filterStrength > 0).
    """
    snaphu_max_discontinuity: float = 1.2
    """``minopy.unwrap.snaphu.maxDiscontinuity``: SNAPHU DEFOMAX_CYCLE: largest expected
    discontinuity, cycles.
    """
    snaphu_init_method: Literal["MCF", "MST"] = "MCF"
    """``minopy.unwrap.snaphu.initMethod``: SNAPHU initialisation."""
    snaphu_tile_num_pixels: float = 10000000.0
    """``minopy.unwrap.snaphu.tileNumPixels``: Images with more pixels than this are unwrapped in
    tiles of about this many pixels.
    """
    snaphu_tile_overlap: int = 400
    """``minopy.unwrap.snaphu.tileOverlap``: Overlap between SNAPHU tiles, pixels."""
    snaphu_num_looks: float = 23.8
    """``minopy.unwrap.snaphu.numLooks``: Equivalent number of looks of the coherence given to
    SNAPHU (NCORRLOOKS); the phase-linking coherence comes from many samples, and with 1 look
    SNAPHU's DEFO cost marks no pixel as reliable. 23.8 is SNAPHU's own default.
    """
    coherence: Literal["tempCoh_average", "tempCoh_full", "pair"] = "tempCoh_average"
    """``minopy.unwrap.coherence``: Coherence given to the unwrapper: phase-linking temporal
    coherence (average or full) or each pair's own coherence.
    """
    mask: str | None = None
    """``minopy.unwrap.mask``: Custom HDF5 mask (dataset 'mask') for unwrapping; 0 = do not unwrap.
    """
    mask_water: bool = True
    """``minopy.unwrap.maskWater``: Exclude water (waterMask of geometryRadar.h5) from unwrapping.
    """
    mask_shadow: bool = True
    """``minopy.unwrap.maskShadow``: Exclude shadow/layover (shadowMask of geometryRadar.h5) from
    unwrapping.
    """
    ps_dem_correction: bool = True
    """``minopy.unwrap.psDemCorrection``: Before unwrapping, remove from each persistent scatterer
    (maskPS.h5) the phase of its DEM error relative to its neighbourhood, estimated from the
    wrapped phase series, and add it back after, so the PS is not put on its neighbourhood's
    cycle.
    """


@dataclass(frozen=True)
class TimeseriesOptions:
    """The ``timeseries`` section: invert_network."""

    temp_coh_type: Literal["full", "average"] = "full"
    """``minopy.timeseries.tempCohType``: Phase-linking temporal coherence that masks the inversion
    and becomes temporalCoherence.h5.
    """
    min_temp_coh: float = 0.5
    """``minopy.timeseries.minTempCoh``: Pixels below this temporal coherence are not inverted; also
    the maskTempCoh threshold.
    """
    water_mask: str | None = None
    """``minopy.timeseries.waterMask``: HDF5 water mask (dataset waterMask or mask, 1 = land)
    applied to the inversion.
    """
    shadow_mask: bool = False
    """``minopy.timeseries.shadowMask``: Exclude shadow pixels (geometryRadar.h5 shadowMask) from
    the inversion.
    """
    calc_cov: bool = False
    """``minopy.timeseries.calcCov``: MiNoPy's --calc-cov: propagate the interferograms'
    decorrelation variance (Cramer-Rao, from coherence and looks) through the inversion into
    timeseriesDecorCov.h5 (N x N x L x W, m^2, MintPy's layout); MintPy's velocity step then
    gives the velocity uncertainty from it (mintpy.timeFunc.uncertaintyQuantification =
    covariance, unless set).
    """
    correct_geolocation: bool = False
    """``minopy.timeseries.correctGeolocation``: Correct the latitude/longitude of
    <net>_network/inputs/geometryRadar.h5 for the DEM error (demErr.h5) after correct_topography,
    before geocoding.
    """
    residual_norm: Literal["L2", "L1"] = "L2"
    """``minopy.timeseries.residualNorm``: Norm of the network inversion residual."""
    l1_smoothing_factor: float = 0.01
    """``minopy.timeseries.L1smoothingFactor``: Smoothing (first-difference regularisation) weight
    of the L1 inversion.
    """
    l2_weight_func: Literal["var", "fim", "coh", "no"] = "var"
    """``minopy.timeseries.L2weightFunc``: Weights of the L2 inversion from the pair coherence:
    variance, Fisher information, coherence, or none.
    """
    min_norm_velocity: bool = True
    """``minopy.timeseries.minNormVelocity``: yes: minimum-norm velocity (SBAS); no: minimum-norm
    phase.
    """


@dataclass(frozen=True)
class Sections:
    """Every section of the options (the base of :class:`minopy.config.Config`)."""

    compute: ComputeOptions = field(default_factory=ComputeOptions)
    general: GeneralOptions = field(default_factory=GeneralOptions)
    load: LoadOptions = field(default_factory=LoadOptions)
    subset: SubsetOptions = field(default_factory=SubsetOptions)
    inversion: InversionOptions = field(default_factory=InversionOptions)
    interferograms: InterferogramsOptions = field(default_factory=InterferogramsOptions)
    unwrap: UnwrapOptions = field(default_factory=UnwrapOptions)
    timeseries: TimeseriesOptions = field(default_factory=TimeseriesOptions)


#: section name -> its class.
SECTION_CLASSES: dict[str, type] = {
    "compute": ComputeOptions,
    "general": GeneralOptions,
    "load": LoadOptions,
    "subset": SubsetOptions,
    "inversion": InversionOptions,
    "interferograms": InterferogramsOptions,
    "unwrap": UnwrapOptions,
    "timeseries": TimeseriesOptions,
}
