"""The output centres of a block: every core pixel, or one pixel per stride cell.

With output strides ``(sa, sr)`` (azimuth, range), output pixel ``(i, j)`` of a core box
``(row0, row1, col0, col1)`` stands for the full-resolution cell of rows
``row0 + i sa .. row0 + (i + 1) sa - 1`` and columns likewise; its phase-linking window is centred
on the cell's centre pixel ``(row0 + i sa + sa // 2, col0 + j sr + sr // 2)`` (the exact centre
for odd strides, half a pixel after it for even ones). A core of ``H`` rows has ``H // sa`` output
rows (MintPy's multilook size rule: a partial cell at the end is dropped). Strides ``(1, 1)`` give
every core pixel.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CentreGrid:
    """Regular grid of window centres inside a block.

    Attributes
    ----------
    r0, c0 : int
        Block row/column of the first centre.
    h, w : int
        Numbers of centre rows/columns (output pixels).
    sa, sr : int
        Steps between centres (azimuth, range), >= 1.
    """

    r0: int
    h: int
    sa: int
    c0: int
    w: int
    sr: int

    @property
    def span(self) -> tuple[int, int, int, int]:
        """``(row0, row1, col0, col1)``: the smallest box holding every centre."""
        return (self.r0, self.r0 + max(self.h - 1, 0) * self.sa + (1 if self.h else 0),
                self.c0, self.c0 + max(self.w - 1, 0) * self.sr + (1 if self.w else 0))


def centre_grid(core: tuple[int, int, int, int], strides: tuple[int, int] = (1, 1)
                ) -> CentreGrid:
    """The centres of ``core`` with output ``strides`` (see the module docstring).

    Parameters
    ----------
    core : tuple of int
        ``(row0, row1, col0, col1)`` full-resolution core box inside the block.
    strides : tuple of int
        ``(sa, sr)``, each >= 1.

    Returns
    -------
    CentreGrid
    """
    r0, r1, c0, c1 = (int(v) for v in core)
    sa, sr = (int(v) for v in strides)
    if sa < 1 or sr < 1:
        raise ValueError(f"strides must be >= 1, got {strides}")
    h, w = max(r1 - r0, 0) // sa, max(c1 - c0, 0) // sr
    return CentreGrid(r0 + sa // 2, h, sa, c0 + sr // 2, w, sr)
