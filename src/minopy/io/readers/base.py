"""What every stack reader hands to ``load_data``: :class:`StackInputs`.

A reader (one module per processor in this package) finds and checks the input files of one
processor's stack and opens them as 2-D *bands*: objects with ``shape == (length, width)`` whose
``band[rows, cols]`` slicing returns a numpy array (a memory map for raw rasters, an h5py dataset,
or :class:`minopy.io.gdal_raster.GdalBand`). ``load_data`` then only applies the template's values,
chooses the subset box and copies the bands into ``slcStack.h5`` and ``geometryRadar.h5``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from minopy.io.geogrid import GeoGrid


class Band(Protocol):
    """A 2-D raster band: ``shape`` ``(length, width)`` and ``band[r0:r1, c0:c1] -> ndarray``."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, key: Any) -> np.ndarray: ...


@dataclass
class StackInputs:
    """The opened input stack of one processor.

    Attributes
    ----------
    processor : str
        ``isce``, ``gdal``, ``gamma`` or ``opera`` (stored as MintPy's ``PROCESSOR``).
    description : str
        Layout in words for the log, e.g. ``topsStack layout``.
    dates : list of str
        YYYYMMDD, sorted, after the startDate/endDate filter.
    slc : list of Band
        One complex band per date, all ``(length, width)``.
    slc_names : list of str
        The file (or file and layer) of each date, for messages.
    geometry : dict
        ``{geometryRadar.h5 dataset name: Band}`` (``height``, ``latitude``, ``longitude``,
        ``incidenceAngle``, ``azimuthAngle``, ``slantRangeDistance``, ``shadowMask``,
        ``waterMask``); masks follow ISCE's values (shadow != 0, water == 0).
    meta : dict
        Radar attributes (MintPy names) found in the product's metadata.
    meta_source : str
        Where ``meta`` came from, for messages.
    bperp : numpy.ndarray
        (N,) float32 perpendicular baselines in metres relative to the first date.
    files : list of Path
        Every file read (their size and time go into the step's fingerprint).
    grid : GeoGrid or None
        Map grid of a geocoded stack (CRS and geotransform), None in radar coordinates.
    required : tuple of str
        Attributes that must be known after the template's values are applied.
    defaults : dict
        Attribute values used, with a warning, when neither the product nor the template gives
        them.
    missing_hint : str
        Appended to the error for a missing required attribute (where such values live).
    azimuth_is_heading_source : bool
        Whether ``geometry['azimuthAngle']`` is ISCE's LOS azimuth (heading derived from it).
    warnings : list of str
        Things the reader assumed (logged as warnings by load_data).
    closers : list of callable
        Called when load_data is done with the bands (close files).
    slc_sources : list of Path or None
        The file holding each date's SLC (its path, size and mtime tell ``load_data`` whether an
        already loaded date changed, :mod:`minopy.io.stack_append`); None for a date no single
        file holds. Empty (the default): unknown for every date, so the stack is always written
        anew.
    """

    processor: str
    description: str
    dates: list[str]
    slc: list[Band]
    slc_names: list[str]
    geometry: dict[str, Band]
    meta: dict[str, Any]
    meta_source: str
    bperp: np.ndarray
    files: list[Path]
    grid: GeoGrid | None = None
    required: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    missing_hint: str = ""
    azimuth_is_heading_source: bool = True
    warnings: list[str] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    slc_sources: list[Path | None] = field(default_factory=list)

    @property
    def length(self) -> int:
        return int(self.slc[0].shape[-2])

    @property
    def width(self) -> int:
        return int(self.slc[0].shape[-1])

    def date_sources(self) -> list[Path | None]:
        """:attr:`slc_sources`, or None for every date when the reader gave none."""
        if len(self.slc_sources) == len(self.dates):
            return list(self.slc_sources)
        return [None] * len(self.dates)

    def close(self) -> None:
        """Close every file the reader opened."""
        for close in self.closers:
            close()
        self.closers.clear()
