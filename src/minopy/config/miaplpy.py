"""MiaplPy template keys and how they map onto minopy options.

MiaplPy (``insarlab/MiaplPy``, the successor of MiNoPy) names its options ``miaplpy.*``. Its
default template ``defaults/miaplpyApp.cfg`` (read in insarlab/MiaplPy at commits 1d8be788 and
42881892, and in mirzaees/MiaplPy ``src/miaplpy`` at 218f3e5c) and ``miaplpyApp_auto.cfg``
(insarlab/MiaplPy 1d8be788, 981d029c) hold the keys listed in :data:`MIAPLPY_KEYS`. All but one
have a minopy option of the same meaning: ``miaplpy.<rest>`` is ``minopy.<rest>`` except for the
renames in :data:`RENAMED_KEYS` (MiaplPy renamed some options between versions) and the value
renames in :data:`RENAMED_VALUES`. ``auto`` means minopy's default (MiaplPy versions disagree on
some defaults, e.g. ``delaunayBaselineRatio`` 1 or 4).

Keys without a minopy equivalent (:data:`UNSUPPORTED_KEYS`): a value that changes nothing (e.g.
``auto``) is a warning, any other value an error. A ``miaplpy.*`` key that is not listed at all and
has no ``minopy.*`` namesake is an error (like an unknown ``minopy.*`` key): the user asked for a
setting that would otherwise silently not be applied. MiaplPy's ``real_time`` phase-linking method
has no minopy equivalent either; ``phaseLinkingMethod = real_time`` is refused with the methods
minopy offers.
"""

from __future__ import annotations

#: the prefix of MiaplPy's options.
PREFIX = "miaplpy."

#: every key of MiaplPy's default templates (all versions read, see the module docstring).
MIAPLPY_KEYS: tuple[str, ...] = (
    "miaplpy.textCmd",
    "miaplpy.multiprocessing.numProcessor",
    "miaplpy.load.processor", "miaplpy.load.updateMode", "miaplpy.load.compression",
    "miaplpy.load.autoPath", "miaplpy.load.slcFile", "miaplpy.load.startDate",
    "miaplpy.load.endDate", "miaplpy.load.metaFile", "miaplpy.load.baselineDir",
    "miaplpy.load.demFile", "miaplpy.load.lookupYFile", "miaplpy.load.lookupXFile",
    "miaplpy.load.incAngleFile", "miaplpy.load.azAngleFile", "miaplpy.load.shadowMaskFile",
    "miaplpy.load.waterMaskFile", "miaplpy.load.bperpFile", "miaplpy.load.unwFile",
    "miaplpy.load.corFile", "miaplpy.load.connCompFile", "miaplpy.load.intFile",
    "miaplpy.load.ionoFile",
    "miaplpy.subset.yx", "miaplpy.subset.lalo",
    "miaplpy.inversion.patchSize", "miaplpy.inversion.ministackSize",
    "miaplpy.inversion.rangeWindow", "miaplpy.inversion.azimuthWindow",
    "miaplpy.inversion.shpTest", "miaplpy.inversion.phaseLinkingMethod",
    "miaplpy.inversion.numArchived",
    "miaplpy.inversion.stbas_numCon", "miaplpy.inversion.sbw_connNum",
    "miaplpy.inversion.PsNumShp", "miaplpy.inversion.mask",
    "miaplpy.interferograms.type", "miaplpy.interferograms.networkType",
    "miaplpy.interferograms.list", "miaplpy.interferograms.referenceDate",
    "miaplpy.interferograms.filterStrength", "miaplpy.interferograms.ministackRefMonth",
    "miaplpy.interferograms.numSequential", "miaplpy.interferograms.connNum",
    "miaplpy.interferograms.delaunayBaselineRatio", "miaplpy.interferograms.delaunayTempThresh",
    "miaplpy.interferograms.delaunayPerpThresh", "miaplpy.interferograms.oneYear",
    "miaplpy.unwrap.two-stage", "miaplpy.unwrap.removeFilter",
    "miaplpy.unwrap.snaphu.maxDiscontinuity", "miaplpy.unwrap.snaphu.initMethod",
    "miaplpy.unwrap.snaphu.tileNumPixels", "miaplpy.unwrap.mask",
    "miaplpy.timeseries.tempCohType", "miaplpy.timeseries.minTempCoh",
    "miaplpy.timeseries.waterMask", "miaplpy.timeseries.shadowMask",
    "miaplpy.timeseries.residualNorm", "miaplpy.timeseries.L1smoothingFactor",
    "miaplpy.timeseries.L2weightFunc", "miaplpy.timeseries.minNormVelocity",
)

#: MiaplPy keys whose minopy option has another name (MiaplPy's later renames).
RENAMED_KEYS: dict[str, str] = {
    "miaplpy.interferograms.networkType": "minopy.interferograms.type",
    "miaplpy.interferograms.connNum": "minopy.interferograms.numSequential",
    "miaplpy.inversion.sbw_connNum": "minopy.inversion.stbas_numCon",
}

#: MiaplPy keys without a minopy option: key -> (values that change nothing, what the key does).
UNSUPPORTED_KEYS: dict[str, tuple[frozenset[str], str]] = {
    "miaplpy.inversion.numArchived": (
        frozenset({"", "auto", "0", "no", "none"}),
        "the archived images of MiaplPy's real_time phase linking; minopy has no real-time mode",
    ),
}

#: (minopy key, MiaplPy value in lower case) -> minopy value.
RENAMED_VALUES: dict[tuple[str, str], str] = {
    ("minopy.inversion.phaseLinkingMethod", "sbw"): "StBAS",
}


def is_miaplpy_key(key: str) -> bool:
    """True for a ``miaplpy.*`` key (any case)."""
    return key.lower().startswith(PREFIX)


def minopy_key_for(key: str) -> str:
    """The ``minopy.*`` key of a ``miaplpy.*`` key (case of ``key`` kept where not renamed).

    Parameters
    ----------
    key : str
        A ``miaplpy.*`` template key.

    Returns
    -------
    str
        The minopy key it stands for; not checked against the schema.
    """
    for miaplpy_key, minopy_key in RENAMED_KEYS.items():
        if miaplpy_key.lower() == key.lower():
            return minopy_key
    return "minopy." + key[len(PREFIX):]


def unsupported(key: str) -> tuple[frozenset[str], str] | None:
    """``(harmless values, meaning)`` of a MiaplPy key minopy has no option for, else None."""
    for name, entry in UNSUPPORTED_KEYS.items():
        if name.lower() == key.lower():
            return entry
    return None


def minopy_value_for(minopy_key: str, value: str) -> str:
    """The minopy spelling of a MiaplPy value (``SBW`` -> ``StBAS``); other values unchanged."""
    return RENAMED_VALUES.get((minopy_key, value.strip().strip("'\"").lower()), value)
