"""Step ``load_ifgram``: unwrapped pairs -> ``<net>_network/inputs/ifgramStack.h5`` (MintPy layout).

Reads every pair ``<d1>_<d2>`` of the network (``<net>_network/interferograms_list.txt``, or the
``minopy.load.unwFile/corFile/connCompFile`` globs when set): ``filt_fine.unw`` band 2 (unwrapped
phase, copied verbatim: it follows MintPy's ISCE convention), ``filt_fine.cor`` and
``filt_fine.unw.conncomp``. Writes, pair by pair and atomically:

- ``ifgramStack.h5``: ``date`` (M, 2) S8, ``bperp`` (M,) float32 = bperp(d2) - bperp(d1) from
  ``phase_series.h5``, ``dropIfgram`` (M,) bool (all True), ``unwrapPhase``/``coherence`` (M, L, W)
  float32, ``connectComponent`` (M, L, W) int16, and ``wrapPhase`` (M, L, W) float32 from the
  ``minopy.load.intFile`` glob when it is set; the stack attributes plus
  ``FILE_TYPE='ifgramStack'``, ``UNIT='radian'``;
- ``geometryRadar.h5``: a copy of ``inputs/geometryRadar.h5`` without the 3-D ``bperp``, with the
  stack attributes and the ones MintPy's ``save_hdfeos5`` needs where they can be derived
  (:func:`hdfeos5_defaults`).
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.config import option_key
from minopy.errors import ConfigError, InputDataError
from minopy.io.atomic import atomic_path
from minopy.io.isce import read_info, read_raster
from minopy.step_context import StepContext
from minopy.steps.outputs import H5Output, Output

READS: tuple[str, ...] = ("load.unw_file", "load.cor_file", "load.conn_comp_file",
                          "load.int_file", "interferograms", "inversion.strides")
#: refused when set (never a different output).
VALIDATES: tuple[str, ...] = ("load.iono_file",)
PAIR_RE = re.compile(r"^(\d{8})_(\d{8})$")
#: attributes of the phase series that do not describe an interferogram stack.
DROP_ATTRS = ("FILE_TYPE", "UNIT", "DATA_TYPE", "data_type", "description", "file_name",
              "family", "REF_DATE", "REF_Y", "REF_X", "REF_LAT", "REF_LON", "codes")
#: attributes MintPy's save_hdfeos5 needs (HDF-EOS5/UNAVCO metadata); see :func:`hdfeos5_defaults`.
HDFEOS5_ATTRS = ("PLATFORM", "beam_mode", "beam_swath", "relative_orbit", "POLARIZATION")


def hdfeos5_defaults(attrs: dict[str, Any]) -> dict[str, str]:
    """Values for the HDF-EOS5 attributes ``attrs`` lacks, where they follow from what it holds.

    ``beam_mode`` from ``sensor_type`` (tops: IW, stripmap: SM) or a Sentinel-1 ``PLATFORM``;
    ``beam_swath`` ``0`` and ``POLARIZATION`` ``Unknown`` (MintPy's own defaults);
    ``PROJECT_NAME`` ``minopy``. ``PLATFORM`` and ``relative_orbit`` are never invented: the
    timeseries_correction step names them when ``mintpy.save.hdfEos5`` is on and they are missing.
    """
    out: dict[str, str] = {}
    if not str(attrs.get("beam_mode", "")).strip():
        sensor = str(attrs.get("sensor_type", "")).lower()
        platform = str(attrs.get("PLATFORM", "")).lower()
        if sensor == "tops" or platform.startswith(("sen", "s1")):
            out["beam_mode"] = "IW"
        elif sensor == "stripmap":
            out["beam_mode"] = "SM"
    for key, value in (("beam_swath", "0"), ("POLARIZATION", "Unknown"),
                       ("PROJECT_NAME", "minopy")):
        if not str(attrs.get(key, "")).strip():
            out[key] = value
    return out


@dataclass(frozen=True)
class PairFiles:
    """Files of one interferogram ``name`` = ``YYYYMMDD_YYYYMMDD``."""

    name: str
    unw: Path
    cor: Path | None
    conncomp: Path | None
    wrapped: Path | None = None


def _pair_name(path: Path) -> str | None:
    for part in reversed(path.parts[:-1]):
        if PAIR_RE.match(part):
            return part
    return None


def _glob_by_pair(ctx: StepContext, option: str) -> dict[str, Path] | None:
    """``{pair name: file}`` of the glob of the ``load`` option ``option``; None when unset."""
    pattern = ctx.config.resolve_path(getattr(ctx.config.load, option))
    key = option_key("load", option)
    if pattern is None:
        return None
    found: dict[str, Path] = {}
    for name in sorted(glob.glob(pattern)):
        pair = _pair_name(Path(name))
        if pair is not None:
            found[pair] = Path(name)
    if not found:
        raise InputDataError(f"{key} = {pattern} matches no file inside a YYYYMMDD_YYYYMMDD folder")
    return found


def _listed_pairs(ctx: StepContext) -> list[str]:
    listing = ctx.pair_list_file
    if listing.is_file():
        names = [ln.split()[0] for ln in listing.read_text().splitlines() if ln.strip()]
        bad = [n for n in names if not PAIR_RE.match(n)]
        if bad:
            raise InputDataError(f"{listing}: lines {bad[:3]} are not YYYYMMDD_YYYYMMDD")
        return names
    names = sorted(p.parent.name for p in ctx.ifgram_dir.glob("*/filt_fine.unw"))
    if not names:
        raise InputDataError(
            f"no pair list {listing} and no {ctx.ifgram_dir}/<d1>_<d2>/filt_fine.unw; run the "
            f"generate_ifgram and unwrap_ifgram steps, or set {option_key('load', 'unw_file')}"
        )
    return names


def find_pairs(ctx: StepContext) -> list[PairFiles]:
    """The pairs to load, sorted, each with its unwrapped, coherence and component files."""
    unw = _glob_by_pair(ctx, "unw_file")
    cor = _glob_by_pair(ctx, "cor_file")
    comp = _glob_by_pair(ctx, "conn_comp_file")
    if unw is None:
        unw = {n: ctx.ifgram_dir / n / "filt_fine.unw" for n in _listed_pairs(ctx)}
        missing = [n for n, p in unw.items() if not p.is_file()]
        if missing:
            raise InputDataError(
                f"{len(missing)} pair(s) are not unwrapped, e.g. {unw[missing[0]]}; run the "
                "unwrap_ifgram step first"
            )
    wrapped = _glob_by_pair(ctx, "int_file")
    if wrapped is not None:
        lacking = sorted(set(unw) - set(wrapped))
        if lacking:
            raise InputDataError(f"{option_key('load', 'int_file')} matches no file for "
                                 f"{len(lacking)} pair(s), e.g. {lacking[0]}")
    pairs = []
    for name in sorted(unw):
        c = cor.get(name) if cor is not None else unw[name].parent / "filt_fine.cor"
        k = (comp.get(name) if comp is not None
             else unw[name].with_name(unw[name].name + ".conncomp"))
        pairs.append(PairFiles(name, unw[name], c if c and c.is_file() else None,
                               k if k and k.is_file() else None,
                               wrapped.get(name) if wrapped is not None else None))
    return pairs


def inputs(ctx: StepContext) -> list[Path]:
    files = [ctx.phase_series_file, ctx.output_geometry_file]
    try:
        for pair in find_pairs(ctx):
            files += [p for p in (pair.unw, pair.cor, pair.conncomp, pair.wrapped)
                      if p is not None]
    except InputDataError:
        pass
    return files


def outputs(ctx: StepContext) -> list[Output]:
    """``ifgramStack.h5`` and the geometry copy, in MintPy's layout."""
    cube = ("M", "L", "W")
    return [H5Output(ctx.ifgram_stack_file, {"date": ("M", 2), "bperp": ("M",),
                                             "dropIfgram": ("M",), "unwrapPhase": cube,
                                             "coherence": cube, "connectComponent": cube}),
            H5Output(ctx.network_geometry_file, {"height": ("L", "W")})]


def stack_attributes(ctx: StepContext) -> tuple[dict[str, Any], list[str], np.ndarray]:
    """Attributes, dates and per-date bperp of the phase series (or the SLC stack)."""
    source = ctx.phase_series_file if ctx.phase_series_file.is_file() else ctx.slc_stack_file
    if not source.is_file():
        raise InputDataError(f"{ctx.phase_series_file} does not exist; run concatenate_patch")
    with h5py.File(source, "r") as f:
        attrs = {k: v for k, v in f.attrs.items() if k not in DROP_ATTRS}
        dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
        bperp = np.asarray(f["bperp"][()], dtype=np.float64) if "bperp" in f else np.zeros(
            len(dates))
    attrs.update(hdfeos5_defaults(attrs))
    attrs.setdefault("PROCESSOR", "isce")
    return attrs, dates, bperp


def _check_shape(path: Path, length: int, width: int) -> None:
    info = read_info(path)
    if (info.length, info.width) != (length, width):
        raise InputDataError(
            f"{path} is {info.length}x{info.width} (lines x samples) but the stack is "
            f"{length}x{width}"
        )


def _read_pair(pair: PairFiles, length: int, width: int) -> tuple[np.ndarray, ...]:
    _check_shape(pair.unw, length, width)
    if read_info(pair.unw).bands < 2:
        raise InputDataError(f"{pair.unw} has 1 band; expected 2 (amplitude, unwrapped phase)")
    phase = read_raster(pair.unw, band=2).astype(np.float32)
    if pair.cor is None:
        raise InputDataError(f"pair {pair.name}: no coherence file next to {pair.unw} "
                             "(filt_fine.cor) and no minopy.load.corFile match")
    _check_shape(pair.cor, length, width)
    coh = read_raster(pair.cor, band=read_info(pair.cor).bands).astype(np.float32)
    if pair.conncomp is not None:
        _check_shape(pair.conncomp, length, width)
        comp = read_raster(pair.conncomp, band=1).astype(np.int16)
    else:
        comp = (np.isfinite(phase) & (phase != 0)).astype(np.int16)
    return phase, coh, comp


def _wrapped_phase(path: Path, length: int, width: int) -> np.ndarray:
    """Wrapped phase (rad) of a complex interferogram, or of a real phase raster, as float32."""
    _check_shape(path, length, width)
    data = read_raster(path, band=1)
    return (np.angle(data) if np.iscomplexobj(data) else data).astype(np.float32)


def write_stack(ctx: StepContext, pairs: list[PairFiles]) -> Path:
    """Write ``ifgramStack.h5`` pair by pair (atomically) and return its path."""
    attrs, dates, bperp = stack_attributes(ctx)
    length, width = int(attrs["LENGTH"]), int(attrs["WIDTH"])
    pos = {d: i for i, d in enumerate(dates)}
    absent = sorted({d for p in pairs for d in p.name.split("_") if d not in pos})
    if absent:
        raise InputDataError(f"pair dates {absent} are not in {ctx.phase_series_file}")
    num = len(pairs)
    chunks = (1, min(length, 256), min(width, 256))
    out = ctx.ifgram_stack_file
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
        f["date"] = np.array([p.name.split("_") for p in pairs], dtype="S8")
        f["bperp"] = np.array([bperp[pos[p.name[9:]]] - bperp[pos[p.name[:8]]] for p in pairs],
                              dtype=np.float32)
        f["dropIfgram"] = np.ones(num, dtype=bool)
        dsets = {
            "unwrapPhase": f.create_dataset("unwrapPhase", (num, length, width), np.float32,
                                            chunks=chunks),
            "coherence": f.create_dataset("coherence", (num, length, width), np.float32,
                                          chunks=chunks),
            "connectComponent": f.create_dataset("connectComponent", (num, length, width),
                                                 np.int16, chunks=chunks, compression="lzf"),
        }
        if pairs and pairs[0].wrapped is not None:
            dsets["wrapPhase"] = f.create_dataset("wrapPhase", (num, length, width), np.float32,
                                                  chunks=chunks)
        for i, pair in enumerate(pairs):
            data = _read_pair(pair, length, width)
            if pair.wrapped is not None:
                data = (*data, _wrapped_phase(pair.wrapped, length, width))
            for dset, values in zip(dsets.values(), data, strict=True):
                dset[i] = values
            ctx.log.debug("loaded %s", pair.name)
        f.attrs.update(attrs)
        f.attrs.update({"FILE_TYPE": "ifgramStack", "UNIT": "radian", "DATA_TYPE": "float32",
                        "LENGTH": str(length), "WIDTH": str(width)})
    return out


def copy_geometry(ctx: StepContext, stack_attrs: dict[str, Any]) -> Path:
    """Copy ``inputs/geometryRadar.h5`` for MintPy (no 3-D bperp; hdfeos5 attributes added);
    with output strides its multilooked copy ``inverted/geometryRadar.h5``."""
    src = ctx.output_geometry_file
    if not src.is_file():
        step = "load_data" if src == ctx.geometry_file else "concatenate_patch"
        raise InputDataError(f"{src} does not exist; run the {step} step")
    out = ctx.network_geometry_file
    with h5py.File(src, "r") as fin, atomic_path(out) as tmp, h5py.File(tmp, "w") as fout:
        if "height" not in fin:
            raise InputDataError(f"{src} lacks the 'height' dataset MintPy needs")
        for name, obj in fin.items():
            if isinstance(obj, h5py.Dataset) and obj.ndim == 2:
                fin.copy(obj, fout, name=name)
        attrs = dict(stack_attrs)
        attrs.update(fin.attrs)
        attrs.update(hdfeos5_defaults(attrs))
        attrs.pop("geolocation_corrected", None)
        attrs["FILE_TYPE"] = "geometry"
        fout.attrs.update(attrs)
    return out


def run(ctx: StepContext) -> None:
    """Load the unwrapped network into MintPy's ``ifgramStack.h5`` and copy the geometry."""
    iono = ctx.config.load.iono_file
    if iono is not None:
        raise ConfigError(
            f"{option_key('load', 'iono_file')} = {iono}: loading ionospheric phase stacks is not "
            "supported in this version; remove the key (or set it to no)")
    pairs = find_pairs(ctx)
    ctx.log.info("load_ifgram: %d pairs -> %s", len(pairs), ctx.ifgram_stack_file)
    no_comp = [p.name for p in pairs if p.conncomp is None]
    if no_comp:
        ctx.log.warning("no connected components for %d pair(s) (e.g. %s): using 1 where the "
                        "phase is non-zero", len(no_comp), no_comp[0])
    write_stack(ctx, pairs)
    copy_geometry(ctx, stack_attributes(ctx)[0])
