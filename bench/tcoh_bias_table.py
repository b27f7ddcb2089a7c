"""Measure the noise bias of the temporal coherence and write ``phaselink/_tcoh_bias_table.py``.

Run by hand when an estimator changes (about 15 minutes on 2 cores)::

    python bench/tcoh_bias_table.py [--trials 200]

For every family (EVD, EMI, sequential), number of dates N and number of samples L of the grids
below, the mean temporal coherence of the estimator on ``trials`` stacks of complex white noise
(:func:`minopy.phaselink.coherence_bias.simulate_noise_bias`). See that module for how the table is
used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from minopy.phaselink.coherence_bias import FAMILIES, simulate_noise_bias

NUM_DATES = (3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 130, 160, 200)
LOOKS = (2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128, 160, 200, 256, 320,
         400, 512, 700, 1000)
OUT = Path(__file__).resolve().parents[1] / "src" / "minopy" / "phaselink" / "_tcoh_bias_table.py"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    table = np.zeros((len(FAMILIES), len(NUM_DATES), len(LOOKS)))
    for f, fam in enumerate(FAMILIES):
        for i, n in enumerate(NUM_DATES):
            trials = args.trials if n <= 60 else max(args.trials // 3, 40)
            for j, lk in enumerate(LOOKS):
                table[f, i, j] = simulate_noise_bias(n, lk, fam, trials, rng)
            print(fam, n, np.round(table[f, i], 3), flush=True)
    OUT.write_text(table_module_text(table, args.trials, args.seed))
    print(f"wrote {OUT}")


def _wrapped(values, indent: str, fmt: str = ".4f") -> str:
    """``[v, v, ...]`` with at most 10 numbers a line (ruff's line length)."""
    items = [format(v, fmt) for v in values]
    lines = [", ".join(items[k:k + 10]) for k in range(0, len(items), 10)]
    return "[" + (",\n" + indent + " ").join(lines) + "]"


def table_module_text(table: np.ndarray, trials: int, seed: int) -> str:
    """The text of ``_tcoh_bias_table.py`` for a bias ``table`` (family, N, L)."""
    rows = ",\n".join(
        "    [" + ",\n     ".join(_wrapped(table[f, i], "     ") for i in range(table.shape[1]))
        + "]" for f in range(table.shape[0]))
    return (
        '"""Noise bias b(N, L) of the temporal coherence, measured by bench/tcoh_bias_table.py\n'
        f'(Monte Carlo on complex white noise, {trials} stacks per cell, fewer for N > 60,\n'
        f'seed {seed}). Generated: do not edit. Axes: family (EVD, EMI, sequential), N, L."""\n\n'
        "import numpy as np\n\n"
        f"NUM_DATES = np.array({list(NUM_DATES)})\n"
        f"LOOKS = np.array({_wrapped(LOOKS, '               ', 'd')})\n"
        f"BIAS = np.array([\n{rows}\n])\n"
    )


if __name__ == "__main__":
    main()
