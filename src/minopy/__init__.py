"""minopy: InSAR time-series analysis with non-linear phase linking.

The package is organised along the data flow:

``config`` (templates) -> ``io`` (ISCE files, HDF5 stacks) -> ``phaselink`` (numeric core)
-> ``network`` / ``interferogram`` / ``unwrap`` -> ``mintpy_bridge`` (MintPy corrections)
-> ``steps`` (one thin module per workflow step) -> ``cli`` (entry points).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("minopy")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"

__all__ = ["__version__"]
