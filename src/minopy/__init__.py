"""minopy: InSAR time-series analysis with non-linear phase linking.

The package is organised along the data flow:

``config`` (templates) -> ``io`` (ISCE files, HDF5 stacks) -> ``phaselink`` (numeric core)
-> ``network`` / ``interferogram`` / ``unwrap`` -> ``mintpy_bridge`` (MintPy corrections)
-> ``steps`` (one thin module per workflow step) -> ``cli`` (entry points).
"""

from importlib.metadata import PackageNotFoundError, version

from minopy.numba_setup import configure_cache

# before any kernel module is imported: numba's cache goes to the user's cache directory, in a
# folder keyed to the kernel sources (see minopy.numba_setup)
configure_cache()

try:
    __version__ = version("minopy")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"

__all__ = ["__version__"]
