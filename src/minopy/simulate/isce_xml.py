"""ISCE2 product XML written the way ISCE2 writes it, without ISCE.

ISCE2 saves a product (topsStack ``reference/IW<n>.xml``, stripmapApp ``<date>_slc.xml``) with
``ProductManager.dumpProduct``. The shape of the file follows from these isce2 sources (facts read
from them; no code taken):

- ``components/iscesys/Component/ProductManager.py`` and ``Configurable.dump``: the root element is
  ``<productmanager_name>`` (the manager's default instance name); the product is the component
  ``instance``, whose factory is the product's own module and class.
- ``components/iscesys/Dumpers/XmlDumper.py``: the keys of a component are written in sorted order,
  properties and sub-components interleaved. A component is ``<component name="k">`` starting with
  ``<factorymodule>``, ``<factoryname>`` (then ``<args>``, ``<doc>`` when set); a property is
  ``<property name="k"><value>str(value)</value><doc>...</doc></property>``. Values are ``str()``
  of the Python value, so a ``datetime`` reads ``2018-01-15 00:24:10`` at whole seconds and
  ``2018-01-15 00:24:10.500000`` otherwise, and a vector reads ``[x, y, z]``. Indentation is four
  spaces; there is no XML declaration.
- ``DictUtils.renormalizeKey``: a key is the parameter's public name lower-cased with white space
  removed; underscores stay (``'burst start utc'`` -> ``burststartutc``, ``'STATE_VECTORS'`` ->
  ``state_vectors``, ``'SENSING_START'`` -> ``sensing_start``).
- ``Configurable.__init__``: every component also has the properties ``family`` and ``name``
  (``<family>_name`` by default).
- ``components/iscesys/Component/TraitSeq.py``: a sequence (``bursts``, ``state_vectors``) is a
  component whose elements are named ``<seqname><k>``, k = 1, 2, ... (``burst1``, ``statevector1``;
  sorted as text, so ``burst10`` comes before ``burst2``), next to the sequence's bookkeeping
  properties; the factory of an element is its own module and class.
- ``components/isceobj/Orbit/Orbit.py``: an orbit is a component with ``orbit_quality``,
  ``orbit_source``, ``min_time``, ``max_time`` and the sequence ``state_vectors`` of
  ``statevector`` components (``position``, ``time``, ``velocity``).
- ``components/isceobj/Sensor/TOPS/TOPSSwathSLCProduct.py`` and ``BurstSLC.py``: a TOPS swath
  product (``spacecraftname``, ``mission``, ``ascendingnodetime``, ``numberofbursts``, ...) holds
  the sequence ``bursts``; each burst has its own copy of the orbit and the radar parameters
  (``radarwavelength``, ``pulserepetitionfrequency``, ``burststartutc``, ``swathnumber``, ...).
- ``components/isceobj/Scene/Frame.py``, ``Radar/Radar.py``, ``Platform/Platform.py``,
  ``Attitude/Attitude.py``: a stripmap frame has underscored names (``sensing_start``,
  ``starting_range``, ``pass_direction``), its sensing times formatted ``%Y-%m-%dT%H:%M:%S.%f``,
  the components ``instrument`` (radar: ``prf``, ``radar_wavelength``, ``range_pixel_size``, and
  the component ``platform``: ``spacecraft_name``, ``pointing_direction``), ``orbit`` and
  ``attitude`` (whose ``state_vectors`` is a *property*: a list of ``[time, pitch, roll, yaw]``).

Components ISCE also writes but minopy does not read (image, doppler and FM-rate polynomials,
planet) are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

#: ``Frame.adaptToRender`` format of a stripmap frame's sensing times.
FRAME_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


@dataclass
class Component:
    """One ``<component>``: its factory, properties (name -> value) and sub-components."""

    module: str
    factory: str
    family: str
    props: dict[str, Any] = field(default_factory=dict)
    children: dict[str, Component] = field(default_factory=dict)
    args: str | None = None
    doc: str | None = None
    name: str | None = None
    docs: dict[str, str] = field(default_factory=dict)


def _text(value: Any) -> str:
    """``str()`` of the Python value ISCE holds (numpy scalars and arrays as Python values)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        value = [v.item() if isinstance(v, np.generic) else v for v in value]
    return str(value)


def _add(parent: ET.Element, comp: Component) -> None:
    for key, text in (("factorymodule", comp.module), ("factoryname", comp.factory),
                      ("args", comp.args), ("doc", comp.doc)):
        if text is not None:
            ET.SubElement(parent, key).text = text
    props = {**comp.props, "family": comp.family, "name": comp.name or f"{comp.family}_name"}
    for key in sorted({*props, *comp.children}):
        if key in comp.children:
            _add(ET.SubElement(parent, "component", name=key), comp.children[key])
        else:
            prop = ET.SubElement(parent, "property", name=key)
            ET.SubElement(prop, "value").text = _text(props[key])
            if key in comp.docs:
                ET.SubElement(prop, "doc").text = comp.docs[key]


def product_xml(instance: Component) -> str:
    """Text of a product XML holding ``instance`` (as ``ProductManager.dumpProduct`` writes it)."""
    root = ET.Element("productmanager_name")
    _add(ET.SubElement(root, "component", name="instance"), instance)
    ET.indent(root, space="    ")
    return ET.tostring(root, encoding="unicode") + "\n"


def trait_seq(seq_name: str, items: Sequence[Component], args: str, doc: str) -> Component:
    """A TraitSeq component whose elements are ``<seq_name>1``, ``<seq_name>2``, ..."""
    module_name = items[0].factory if items else ""
    return Component(
        "iscesys.Component", "createTraitSeq", "TraitSeq", name=seq_name, args=args, doc=doc,
        props={"_factory": True, "_factorname": "default", "_modulename": module_name,
               "_mandatory": False, "_private": True},
        children={f"{seq_name}{k}": item for k, item in enumerate(items, start=1)},
    )


def orbit_component(times: Sequence[datetime], positions: np.ndarray, velocities: np.ndarray,
                    source: str = "synthetic", quality: str = "Precise") -> Component:
    """An ``Orbit``: ECEF state vectors (metres, metres/second) at UTC ``times``.

    Parameters
    ----------
    times : sequence of datetime, length n
    positions, velocities : ndarray, shape (n, 3)
    """
    vectors = [
        Component("isceobj.Orbit.Orbit", "StateVector", "statevector",
                  props={"time": t, "position": list(map(float, p)),
                         "velocity": list(map(float, v))})
        for t, p, v in zip(times, positions, velocities, strict=True)
    ]
    return Component(
        "isceobj.Orbit.Orbit", "createOrbit", "orbit", doc="Orbit information",
        props={"orbit_quality": quality, "orbit_source": source,
               "min_time": min(times), "max_time": max(times)},
        children={"state_vectors": trait_seq("statevector", vectors, "('statevector',)",
                                             "Testing Trait Sequence")},
    )


def burst_component(params: Mapping[str, Any], orbit: Component) -> Component:
    """A ``BurstSLC`` with the given parameters (ISCE names, e.g. ``burststartutc``) and orbit."""
    return Component("isceobj.Sensor.TOPS.BurstSLC", "BurstSLC", "burstslc", props=dict(params),
                     children={"orbit": orbit},
                     docs={"radarwavelength": "Radar wavelength in m",
                           "burststartutc": "Actual sensing time corresponding to start of the "
                                            "burst"})


def tops_swath_xml(product: Mapping[str, Any], bursts: Sequence[Component]) -> str:
    """Text of ``reference/IW<n>.xml``: a ``TOPSSwathSLCProduct`` holding ``bursts``.

    Parameters
    ----------
    product : mapping
        Product-level parameters (``spacecraftname``, ``mission``, ``ascendingnodetime``, ...);
        ``numberofbursts`` is added.
    bursts : sequence of Component
        From :func:`burst_component`, in time order.
    """
    instance = Component(
        "isceobj.Sensor.TOPS.TOPSSwathSLCProduct", "TOPSSwathSLCProduct", "topsswathslc",
        props={**product, "numberofbursts": len(bursts), "imagingmode": "TOPS"},
        children={"bursts": trait_seq("burst", bursts, "('burst',)",
                                      "Trait sequence of burst SLCs")},
    )
    return product_xml(instance)


def frame_xml(frame: Mapping[str, Any], radar: Mapping[str, Any], platform: Mapping[str, Any],
              orbit: Component) -> str:
    """Text of a stripmap ``Frame`` product XML (stripmapApp's ``<date>_slc.xml``).

    Parameters
    ----------
    frame : mapping
        Frame parameters (``sensing_start``/``sensing_mid``/``sensing_stop`` as datetimes, written
        in :data:`FRAME_TIME_FORMAT`; ``starting_range``, ``pass_direction``, ...).
    radar, platform : mapping
        ``instrument`` parameters (``prf``, ``radar_wavelength``, ``range_pixel_size``, ...) and
        its ``platform`` (``spacecraft_name``, ``pointing_direction``, ...).
    orbit : Component
        From :func:`orbit_component`.
    """
    props = {k: (v.strftime(FRAME_TIME_FORMAT) if isinstance(v, datetime) else v)
             for k, v in frame.items()}
    start = frame["sensing_start"]
    attitude = Component(
        "isceobj.Attitude.Attitude", "createAttitude", "attitude", doc="Attitude Information",
        props={"attitude_source": "synthetic",
               "state_vectors": [[start.strftime(FRAME_TIME_FORMAT), 0.0, 0.0, 0.0]]})
    instrument = Component(
        "isceobj.Radar.Radar", "createRadar", "radar", doc="Radar information", props=dict(radar),
        children={"platform": Component("isceobj.Platform.Platform", "createPlatform", "platform",
                                        doc="Platform information", props=dict(platform))})
    instance = Component("isceobj.Scene.Frame", "Frame", "frame", props=props,
                         children={"attitude": attitude, "instrument": instrument,
                                   "orbit": orbit})
    return product_xml(instance)
