"""Where numba caches the compiled phase-linking kernels, and whether they are compiled yet.

The kernels in ``minopy/phaselink/`` are compiled by numba on their first call (a minute or two on
a small machine) and cached on disk. :func:`configure_cache` runs when ``minopy`` is imported,
before any kernel module is, and points numba's cache (``NUMBA_CACHE_DIR``) at

- ``$NUMBA_CACHE_DIR/numba-<key>`` when ``NUMBA_CACHE_DIR`` is set, else
- ``$XDG_CACHE_HOME/minopy/numba-<key>`` (``~/.cache/minopy/numba-<key>`` without XDG),

so a read-only installation still caches, in the user's cache directory. ``<key>`` is a hash of the
kernel sources (every ``phaselink/*.py``): numba invalidates a cached kernel only when the file
that defines it changes, so an edited helper in another file would otherwise run stale machine
code; with the key, any edit starts a fresh cache directory. Processes started by minopy (dask
workers) inherit the keyed directory through the environment and keep it.

The variable is set for the whole process, so other numba code run in it caches there too.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: environment variable numba reads for its cache directory.
CACHE_ENV = "NUMBA_CACHE_DIR"
#: folder of the kernel sources whose hash keys the cache.
KERNEL_SOURCES = Path(__file__).resolve().parent / "phaselink"
#: module whose compiled kernel shows that the cache is warm (the per-patch kernel).
_MAIN_KERNEL_INDEX = "_patch_kernel.patch_kernel-*.nbi"
#: prefix of the keyed cache folders.
PREFIX = "numba-"


def kernel_key(source_dir: Path = KERNEL_SOURCES) -> str:
    """A 12-character hash of the kernel sources (names and contents of ``*.py`` in the folder)."""
    digest = hashlib.sha256()
    for path in sorted(source_dir.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def user_cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/minopy``, or ``~/.cache/minopy`` when XDG_CACHE_HOME is unset."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "minopy"


def cache_dir(environ: Mapping[str, str] | None = None, key: str | None = None) -> Path:
    """The keyed cache folder for ``environ`` (default: this process's environment).

    Parameters
    ----------
    environ : mapping, optional
        Environment variables (``NUMBA_CACHE_DIR``, ``XDG_CACHE_HOME``, ``HOME`` via
        :meth:`pathlib.Path.home`).
    key : str, optional
        The source key; default :func:`kernel_key`.

    Returns
    -------
    Path
        ``<NUMBA_CACHE_DIR or user cache root>/numba-<key>``; a ``NUMBA_CACHE_DIR`` that already
        ends in ``numba-<key>`` (set by a parent minopy process) is kept as it is.
    """
    env = os.environ if environ is None else environ
    name = PREFIX + (key or kernel_key())
    given = env.get(CACHE_ENV)
    if given:
        path = Path(given).expanduser()
        return path if path.name == name else path / name
    return user_cache_root(env) / name


def configure_cache() -> Path:
    """Point numba's cache at :func:`cache_dir` for this process and the processes it starts.

    Sets ``NUMBA_CACHE_DIR``; when numba is already imported, also its ``config.CACHE_DIR`` (numba
    reads the variable at import and re-reads the environment before each compilation).

    Returns
    -------
    Path
        The cache folder (created by numba when it first writes to it).
    """
    path = cache_dir()
    os.environ[CACHE_ENV] = str(path)
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.CACHE_DIR = str(path)  # type: ignore[attr-defined]  # set at runtime
    return path


def kernels_cached(path: Path | None = None) -> bool:
    """Whether the cache folder holds the compiled per-patch kernel (numba's index file).

    False means the next phase linking compiles the kernels (the first run, or edited sources).
    """
    folder = cache_dir() if path is None else path
    return folder.is_dir() and any(folder.rglob(_MAIN_KERNEL_INDEX))


def compiled_kernel_count() -> int:
    """Number of kernel signatures compiled or loaded so far in this process (for progress)."""
    from numba.core.dispatcher import Dispatcher

    count = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("minopy.phaselink") or module is None:
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, Dispatcher) and getattr(obj, "__module__", "") == name:
                count += len(obj.signatures)
    return count
