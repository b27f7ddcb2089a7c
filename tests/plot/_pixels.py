"""Reading the colour of a map's data pixel in a PNG written by minopy.plot.maps."""

from __future__ import annotations

from pathlib import Path

from matplotlib.image import imread


def pixel_rgb(png: Path, panel: dict, row: float, col: float) -> tuple[int, int, int]:
    """RGB (0-255) of data pixel (row, col) of a map recorded in the PNG."""
    img = imread(png)
    left, top, right, bottom = panel["box"]
    length, width = panel["shape"]
    x = int(left + (col + 0.5) * (right - left) / width)
    y = int(top + (row + 0.5) * (bottom - top) / length)
    return tuple(int(round(255 * v)) for v in img[y, x, :3])


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
