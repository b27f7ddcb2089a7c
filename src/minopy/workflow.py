"""The workflow: the nine steps by name, in the order they run, and the records of a run.

Every layer that names steps (the runner, the command line, the summary, the report) takes them
from here; the step modules themselves are ``minopy.steps.<name>``.
"""

from __future__ import annotations

STEP_NAMES: tuple[str, ...] = (
    "load_data",
    "phase_linking",
    "concatenate_patch",
    "generate_ifgram",
    "unwrap_ifgram",
    "load_ifgram",
    "ifgram_correction",
    "invert_network",
    "timeseries_correction",
)

#: one line per step, for ``-h``, ``minopy steps`` and the log.
STEP_DESCRIPTIONS: dict[str, str] = {
    "load_data": "read the SLCs and geometry (ISCE, GDAL, GAMMA or OPERA) into "
                 "inputs/slcStack.h5, geometryRadar.h5",
    "phase_linking": "SHP selection and phase linking per patch (inverted/PATCHES)",
    "concatenate_patch": "merge the patches into inverted/phase_series.h5, maskPS.h5, tempCoh_*",
    "generate_ifgram": "form the interferograms of the chosen network from the linked phase",
    "unwrap_ifgram": "unwrap the interferograms (SNAPHU or whirlwind)",
    "load_ifgram": "load the unwrapped pairs into <network>_network/inputs/ifgramStack.h5",
    "ifgram_correction": "MintPy: modify network, reference point, unwrapping error correction",
    "invert_network": "invert the network into timeseries.h5 and temporalCoherence.h5",
    "timeseries_correction": "MintPy: tropospheric, DEM-error corrections, velocity, geocoding",
}

#: ``<work_dir>/.minopy_state.json``: the fingerprint of each completed step.
STATE_FILE = ".minopy_state.json"
#: ``<work_dir>/.minopy_timing.json``: seconds, start, outputs and status of each step.
TIMING_FILE = ".minopy_timing.json"
