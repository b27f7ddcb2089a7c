"""Synthetic InSAR stacks in ISCE layouts, with their ground truth, for demos and tests.

>>> from minopy.simulate import write_stack, demo_template_text   # doctest: +SKIP
>>> project = write_stack(Path("demo"), preset="demo")             # doctest: +SKIP
>>> (project / "demo.txt").write_text(demo_template_text(project))  # doctest: +SKIP
"""

from minopy.simulate.params import PRESETS, CoherenceClass, SimulationParams, resolve_params
from minopy.simulate.stack import write_stack
from minopy.simulate.template import demo_template_text
from minopy.simulate.truth import read_truth

__all__ = ["PRESETS", "CoherenceClass", "SimulationParams", "demo_template_text", "read_truth",
           "resolve_params", "write_stack"]
