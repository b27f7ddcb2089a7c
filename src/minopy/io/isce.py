"""ISCE-format rasters without ISCE: raw binary files with ``.xml`` and ``.vrt`` sidecars.

ISCE writes each image as a raw binary file ``name`` plus ``name.xml`` (ISCE image XML: WIDTH,
LENGTH, NUMBER_BANDS, DATA_TYPE, SCHEME, BYTE_ORDER) and ``name.vrt`` (a GDAL VRT of raw raster
bands). This module reads either sidecar, memory-maps the data as an array of shape
``(bands, length, width)``, and writes new rasters with both sidecars so that ISCE, GDAL/rasterio
and MintPy can open them.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path, temp_name

#: ISCE DATA_TYPE name -> numpy dtype (little-endian; byte order applied separately).
ISCE_DTYPES: dict[str, np.dtype] = {
    "BYTE": np.dtype("u1"),
    "CHAR": np.dtype("i1"),
    "SHORT": np.dtype("i2"),
    "INT": np.dtype("i4"),
    "LONG": np.dtype("i8"),
    "FLOAT": np.dtype("f4"),
    "DOUBLE": np.dtype("f8"),
    "CFLOAT": np.dtype("c8"),
    "CDOUBLE": np.dtype("c16"),
}
#: GDAL VRT dataType name -> ISCE DATA_TYPE name.
GDAL_TO_ISCE = {
    "Byte": "BYTE",
    "Int8": "CHAR",
    "Int16": "SHORT",
    "Int32": "INT",
    "Int64": "LONG",
    "Float32": "FLOAT",
    "Float64": "DOUBLE",
    "CFloat32": "CFLOAT",
    "CFloat64": "CDOUBLE",
}
ISCE_TO_GDAL = {v: k for k, v in GDAL_TO_ISCE.items()}
SCHEMES = ("BIP", "BIL", "BSQ")


@dataclass(frozen=True)
class Georef:
    """Map georeferencing of a geocoded raster, written into its sidecars.

    Attributes
    ----------
    transform : tuple of 6 floats
        GDAL geotransform ``(x0, dx, 0, y0, 0, dy)`` (upper-left corner of the upper-left pixel).
    srs_wkt : str
        Coordinate reference system as WKT (written as the VRT's ``<SRS>``).
    """

    transform: tuple[float, float, float, float, float, float]
    srs_wkt: str


@dataclass(frozen=True)
class RasterInfo:
    """Layout of a raw raster file.

    Attributes
    ----------
    path : Path
        The raw data file.
    width, length, bands : int
        Columns (range samples), rows (azimuth lines) and number of bands.
    data_type : str
        ISCE DATA_TYPE name, e.g. ``"CFLOAT"``.
    scheme : str
        Band interleave: ``"BIP"``, ``"BIL"`` or ``"BSQ"``.
    byte_order : str
        ``"l"`` (little-endian) or ``"b"`` (big-endian).
    image_type : str
        ISCE IMAGE_TYPE (``slc``, ``int``, ``unw``, ``cor`` ...), informational.
    georef : Georef or None
        Map georeferencing written into the sidecars (geocoded stacks); None in radar
        coordinates.
    """

    path: Path
    width: int
    length: int
    bands: int
    data_type: str
    scheme: str = "BIP"
    byte_order: str = "l"
    image_type: str = ""
    georef: Georef | None = None

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of one sample, with the file's byte order."""
        base = ISCE_DTYPES[self.data_type]
        return base.newbyteorder("<" if self.byte_order == "l" else ">")

    @property
    def nbytes(self) -> int:
        """Expected size of the raw file in bytes."""
        return self.width * self.length * self.bands * self.dtype.itemsize


def _xml_path(path: Path) -> Path:
    return path.with_name(path.name + ".xml")


def _vrt_path(path: Path) -> Path:
    return path.with_name(path.name + ".vrt")


def data_path(path: str | os.PathLike) -> Path:
    """Return the raw-data path for ``path`` (the data file, its ``.xml`` or its ``.vrt``)."""
    p = Path(path)
    if p.suffix in (".xml", ".vrt"):
        return p.with_suffix("")
    return p


def _parse_isce_xml(xml_file: Path) -> dict[str, str]:
    try:
        root = ET.parse(xml_file).getroot()
    except (ET.ParseError, OSError) as err:
        raise InputDataError(f"cannot parse ISCE image XML {xml_file}: {err}") from err
    props: dict[str, str] = {}
    for prop in root.findall("property"):
        name = (prop.get("name") or "").upper()
        value = prop.findtext("value")
        if value is None:
            value = (prop.text or "").strip()
        props[name] = value.strip()
    return props


def _info_from_xml(data: Path, xml_file: Path) -> RasterInfo:
    props = _parse_isce_xml(xml_file)
    missing = [k for k in ("WIDTH", "LENGTH", "DATA_TYPE") if k not in props]
    if missing:
        raise InputDataError(
            f"ISCE image XML {xml_file} lacks {', '.join(missing)}; expected properties WIDTH, "
            "LENGTH, NUMBER_BANDS, DATA_TYPE, SCHEME, BYTE_ORDER"
        )
    dtype = props["DATA_TYPE"].upper()
    if dtype not in ISCE_DTYPES:
        raise InputDataError(
            f"{xml_file}: DATA_TYPE {props['DATA_TYPE']!r} is not one of {sorted(ISCE_DTYPES)}"
        )
    scheme = props.get("SCHEME", "BIP").upper()
    if scheme not in SCHEMES:
        raise InputDataError(f"{xml_file}: SCHEME {scheme!r} is not one of {SCHEMES}")
    order = props.get("BYTE_ORDER", "l").lower()[:1]
    if order not in ("l", "b"):
        raise InputDataError(f"{xml_file}: BYTE_ORDER {props['BYTE_ORDER']!r} is not 'l' or 'b'")
    try:
        width, length = int(props["WIDTH"]), int(props["LENGTH"])
        bands = int(props.get("NUMBER_BANDS", "1"))
    except ValueError as err:
        raise InputDataError(f"{xml_file}: WIDTH/LENGTH/NUMBER_BANDS must be integers") from err
    return RasterInfo(data, width, length, bands, dtype, scheme, order, props.get("IMAGE_TYPE", ""))


def _info_from_vrt(data: Path, vrt_file: Path) -> RasterInfo:
    try:
        root = ET.parse(vrt_file).getroot()
    except (ET.ParseError, OSError) as err:
        raise InputDataError(f"cannot parse VRT {vrt_file}: {err}") from err
    try:
        width = int(root.get("rasterXSize", ""))
        length = int(root.get("rasterYSize", ""))
    except ValueError as err:
        raise InputDataError(f"{vrt_file}: rasterXSize/rasterYSize missing or invalid") from err
    bands = root.findall("VRTRasterBand")
    if not bands:
        raise InputDataError(f"{vrt_file}: no VRTRasterBand")
    gdal_type = bands[0].get("dataType", "")
    if gdal_type not in GDAL_TO_ISCE:
        raise InputDataError(f"{vrt_file}: dataType {gdal_type!r} is not supported")
    dtype = GDAL_TO_ISCE[gdal_type]
    size = ISCE_DTYPES[dtype].itemsize
    nb = len(bands)
    src = bands[0].findtext("SourceFilename")
    if src:
        rel = bands[0].find("SourceFilename").get("relativeToVRT", "0") == "1"
        src_path = (vrt_file.parent / src) if rel else Path(src)
        if src_path.exists():
            data = src_path
    order = "b" if (bands[0].findtext("ByteOrder") or "LSB").upper() == "MSB" else "l"
    pixel_off = int(bands[0].findtext("PixelOffset") or size)
    line_off = int(bands[0].findtext("LineOffset") or size * width)
    if nb == 1 or pixel_off == nb * size:
        scheme = "BIP"
    elif line_off == nb * width * size:
        scheme = "BIL"
    else:
        scheme = "BSQ"
    return RasterInfo(data, width, length, nb, dtype, scheme, order)


def read_info(path: str | os.PathLike) -> RasterInfo:
    """Read the layout of an ISCE-format raster from its ``.xml`` (preferred) or ``.vrt`` sidecar.

    Parameters
    ----------
    path : path-like
        The raw data file, or its ``.xml``/``.vrt`` sidecar.

    Raises
    ------
    InputDataError
        If neither sidecar exists or can be parsed, naming the file.
    """
    data = data_path(path)
    xml_file, vrt_file = _xml_path(data), _vrt_path(data)
    if xml_file.exists():
        info = _info_from_xml(data, xml_file)
    elif vrt_file.exists():
        info = _info_from_vrt(data, vrt_file)
    else:
        raise InputDataError(
            f"no ISCE sidecar for {data}: expected {xml_file.name} or {vrt_file.name} beside it"
        )
    return info


def open_raster(path: str | os.PathLike, check_size: bool = True) -> np.ndarray:
    """Memory-map an ISCE-format raster read-only.

    Parameters
    ----------
    path : path-like
        Raw data file or one of its sidecars.
    check_size : bool
        Verify that the file holds exactly ``width*length*bands`` samples.

    Returns
    -------
    numpy.ndarray
        Read-only view of shape ``(bands, length, width)`` onto the file; nothing is read until
        indexed.
    """
    info = read_info(path)
    if not info.path.exists():
        raise InputDataError(f"raster data file {info.path} does not exist (its sidecar does)")
    size = info.path.stat().st_size
    if check_size and size != info.nbytes:
        raise InputDataError(
            f"{info.path} has {size} bytes but its sidecar says {info.width} x {info.length} x "
            f"{info.bands} {info.data_type} = {info.nbytes} bytes"
        )
    shape = {
        "BIP": (info.length, info.width, info.bands),
        "BIL": (info.length, info.bands, info.width),
        "BSQ": (info.bands, info.length, info.width),
    }[info.scheme]
    mm = np.memmap(info.path, dtype=info.dtype, mode="r", shape=shape)
    if info.scheme == "BIP":
        return mm.transpose(2, 0, 1)
    if info.scheme == "BIL":
        return mm.transpose(1, 0, 2)
    return mm


def read_raster(
    path: str | os.PathLike,
    band: int | None = 1,
    box: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Read a band (or all bands) of an ISCE-format raster into memory, native byte order.

    Parameters
    ----------
    path : path-like
        Raw data file or sidecar.
    band : int or None
        1-based band number, or None for all bands.
    box : (x0, y0, x1, y1) or None
        Pixel window (columns x0:x1, rows y0:y1), MintPy's box convention.

    Returns
    -------
    numpy.ndarray
        ``(length, width)`` for one band, ``(bands, length, width)`` for all.
    """
    arr = open_raster(path)
    if band is not None:
        if not 1 <= band <= arr.shape[0]:
            raise InputDataError(f"{path}: band {band} requested but the file has {arr.shape[0]}")
        arr = arr[band - 1]
    if box is not None:
        x0, y0, x1, y1 = box
        arr = arr[..., y0:y1, x0:x1]
    out = np.array(arr)
    return out.astype(out.dtype.newbyteorder("="), copy=False)


def _isce_xml_text(info: RasterInfo, file_name: str) -> str:
    def prop(name: str, value: object) -> str:
        return f'    <property name="{name}">\n        <value>{value}</value>\n    </property>\n'

    def coord(idx: int, size: int, doc: str) -> str:
        # ISCE: startingvalue is the first pixel's centre; image coordinates without georef
        start, delta = 0.0, 1.0
        if info.georef is not None:
            t = info.georef.transform
            first, delta = (t[0], t[1]) if idx == 1 else (t[3], t[5])
            start = first + delta / 2.0
        end = start + delta * size
        fmt = (lambda v: repr(float(v))) if info.georef is not None else (lambda v: int(v))
        return (
            f'    <component name="coordinate{idx}">\n'
            "        <factorymodule>isceobj.Image</factorymodule>\n"
            "        <factoryname>createCoordinate</factoryname>\n"
            f"        <doc>{doc}</doc>\n"
            f'        <property name="delta">\n            <value>{fmt(delta)}</value>\n'
            "        </property>\n"
            f'        <property name="endingvalue">\n            <value>'
            f'{fmt(end) if info.georef is not None else size}</value>\n'
            "        </property>\n"
            '        <property name="family">\n            <value>imagecoordinate</value>\n'
            "        </property>\n"
            f'        <property name="size">\n            <value>{size}</value>\n'
            "        </property>\n"
            f'        <property name="startingvalue">\n            <value>{fmt(start)}</value>\n'
            "        </property>\n"
            "    </component>\n"
        )

    return (
        "<imageFile>\n"
        + prop("ACCESS_MODE", "read")
        + prop("BYTE_ORDER", info.byte_order)
        + prop("DATA_TYPE", info.data_type)
        + prop("EXTRA_FILE_NAME", file_name + ".vrt")
        + prop("FAMILY", "isceimage")
        + prop("FILE_NAME", file_name)
        + prop("IMAGE_TYPE", info.image_type or "bin")
        + prop("LENGTH", info.length)
        + prop("NUMBER_BANDS", info.bands)
        + prop("SCHEME", info.scheme)
        + prop("WIDTH", info.width)
        + prop("XMAX", info.width)
        + prop("XMIN", 0)
        + coord(1, info.width, "First coordinate of a 2D image (width).")
        + coord(2, info.length, "Second coordinate of a 2D image (length).")
        + "</imageFile>\n"
    )


def _vrt_text(info: RasterInfo, file_name: str) -> str:
    size = info.dtype.itemsize
    w, ln, nb = info.width, info.length, info.bands
    order = "LSB" if info.byte_order == "l" else "MSB"
    lines = [f'<VRTDataset rasterXSize="{w}" rasterYSize="{ln}">']
    if info.georef is not None:
        srs = escape(info.georef.srs_wkt)
        lines += [f"    <SRS>{srs}</SRS>",
                  "    <GeoTransform>" + ", ".join(repr(float(v)) for v in info.georef.transform)
                  + "</GeoTransform>"]
    for b in range(nb):
        if info.scheme == "BIP":
            img, pix, line = b * size, nb * size, nb * w * size
        elif info.scheme == "BIL":
            img, pix, line = b * w * size, size, nb * w * size
        else:
            img, pix, line = b * ln * w * size, size, w * size
        lines += [
            f'    <VRTRasterBand dataType="{ISCE_TO_GDAL[info.data_type]}" band="{b + 1}" '
            'subClass="VRTRawRasterBand">',
            f'        <SourceFilename relativeToVRT="1">{file_name}</SourceFilename>',
            f"        <ByteOrder>{order}</ByteOrder>",
            f"        <ImageOffset>{img}</ImageOffset>",
            f"        <PixelOffset>{pix}</PixelOffset>",
            f"        <LineOffset>{line}</LineOffset>",
            "    </VRTRasterBand>",
        ]
    lines.append("</VRTDataset>")
    return "\n".join(lines) + "\n"


def write_sidecars(info: RasterInfo) -> None:
    """Write ``.xml`` and ``.vrt`` sidecars for an existing raw file, each atomically."""
    name = info.path.name
    for side, text in ((_xml_path(info.path), _isce_xml_text(info, name)),
                       (_vrt_path(info.path), _vrt_text(info, name))):
        with atomic_path(side) as tmp:
            tmp.write_text(text)


def isce_type_of(dtype: np.dtype | type) -> str:
    """ISCE DATA_TYPE name for a numpy dtype (``float32`` -> ``FLOAT``, bool -> ``BYTE``)."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return "BYTE"
    for name, isce_dt in ISCE_DTYPES.items():
        if isce_dt == dt.newbyteorder("<"):
            return name
    raise ValueError(f"dtype {dt} has no ISCE equivalent; use one of {list(ISCE_DTYPES.values())}")


@contextmanager
def create_raster(
    path: str | os.PathLike,
    width: int,
    length: int,
    bands: int = 1,
    dtype: np.dtype | type = np.float32,
    scheme: str = "BIP",
    image_type: str = "",
    georef: Georef | None = None,
) -> Iterator[np.ndarray]:
    """Create an ISCE-format raster and yield a writable ``(bands, length, width)`` memmap.

    The data go to a temporary file; on normal exit they are flushed and renamed to ``path`` and the
    ``.xml``/``.vrt`` sidecars are written. On an exception the temporary file is removed, so a
    complete-looking raster never holds partial data. Memory use is bounded: write block by block.
    With ``georef`` the sidecars carry the map georeferencing (VRT ``<SRS>``/``<GeoTransform>``,
    ISCE ``coordinate1``/``coordinate2`` starting values and steps).
    """
    path = Path(path)
    scheme = scheme.upper()
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r} is not one of {SCHEMES}")
    info = RasterInfo(path, int(width), int(length), int(bands), isce_type_of(dtype), scheme, "l",
                      image_type, georef)
    shape = {
        "BIP": (info.length, info.width, info.bands),
        "BIL": (info.length, info.bands, info.width),
        "BSQ": (info.bands, info.length, info.width),
    }[scheme]
    path.parent.mkdir(parents=True, exist_ok=True)
    # sidecars of an older version must not describe the new, incomplete data
    for side in (_xml_path(path), _vrt_path(path)):
        side.unlink(missing_ok=True)
    tmp = temp_name(path)
    mm = np.memmap(tmp, dtype=info.dtype, mode="w+", shape=shape)
    view = {"BIP": (2, 0, 1), "BIL": (1, 0, 2), "BSQ": (0, 1, 2)}[scheme]
    try:
        yield mm.transpose(view)
        mm.flush()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        del mm
    write_sidecars(info)


def write_raster(
    path: str | os.PathLike,
    data: np.ndarray,
    scheme: str = "BIP",
    image_type: str = "",
    georef: Georef | None = None,
) -> RasterInfo:
    """Write an array as an ISCE-format raster with ``.xml`` and ``.vrt`` sidecars, atomically.

    Parameters
    ----------
    path : path-like
        Destination raw file.
    data : numpy.ndarray
        ``(length, width)`` or ``(bands, length, width)``. Booleans are written as BYTE.
    scheme : {"BIP", "BIL", "BSQ"}
        Band interleave.
    image_type : str
        ISCE IMAGE_TYPE to record (``slc``, ``int``, ``cor``, ``unw`` ...).
    georef : Georef or None
        Map georeferencing for the sidecars (geocoded stacks).
    """
    arr = np.asarray(data)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"data must be 2-D or 3-D (bands, length, width), got shape {arr.shape}")
    nb, ln, w = arr.shape
    with create_raster(path, w, ln, nb, arr.dtype, scheme, image_type, georef) as out:
        out[:] = arr
    return read_info(path)


def read_georef(path: str | os.PathLike) -> Georef | None:
    """The georeferencing in a raster's ``.vrt`` (``<SRS>`` and ``<GeoTransform>``), if any."""
    vrt = _vrt_path(data_path(path))
    try:
        root = ET.parse(vrt).getroot()
    except (OSError, ET.ParseError):
        return None
    srs, gt = root.find("SRS"), root.find("GeoTransform")
    if srs is None or gt is None or not (srs.text or "").strip():
        return None
    try:
        values = tuple(float(v) for v in (gt.text or "").split(","))
    except ValueError:
        return None
    if len(values) != 6:
        return None
    return Georef(values, srs.text.strip())  # type: ignore[arg-type]


def is_complete(path: str | os.PathLike) -> bool:
    """True if ``path`` and both sidecars exist and the file size matches the sidecar."""
    p = data_path(path)
    if not (p.exists() and _xml_path(p).exists() and _vrt_path(p).exists()):
        return False
    try:
        return read_info(p).nbytes == p.stat().st_size
    except InputDataError:
        return False
