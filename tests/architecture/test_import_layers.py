"""Imports only go down: cli -> runner -> steps -> domain packages -> io/config/phaselink (base).

The imports of every module under ``src/minopy`` are read with :mod:`ast` (also those inside
functions); a module may import modules of its own tier or of lower tiers, never of a higher one.
``phaselink`` stays pure (it imports nothing of minopy but its errors) and ``config`` depends on
nothing of minopy but its errors and version. The module graph has no cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import minopy

SRC = Path(minopy.__file__).resolve().parent

#: tier of each top-level part of the package (a package or a module), from the top.
TIERS: dict[str, int] = {
    "cli": 5,
    "runner": 4, "plan": 4,
    "steps": 3,
    # domain packages: the science and the tools the steps use
    "plot": 2, "summary": 2, "network": 2, "interferogram": 2, "unwrap": 2, "mintpy_bridge": 2,
    "mintpy_staging": 2, "simulate": 2, "weather": 2, "nodata": 2, "geolocation_file": 2,
    "step_context": 2, "phaselink_options": 2,
    # base: input/output, configuration, the pure phase-linking numerics and shared plumbing
    "io": 1, "config": 1, "phaselink": 1, "workflow": 1, "workdir": 1,
    "run_lock": 1, "parallel": 1, "parallel_env": 1, "progress": 1, "logging_setup": 1,
    "numba_setup": 1, "geolocation": 1, "errors": 1, "__init__": 1, "cluster": 1,
}
#: parts of the base that may import only these parts (besides themselves).
PURE: dict[str, set[str]] = {
    "phaselink": {"errors"},
    "config": {"errors", "__init__"},
}


def module_name(path: Path) -> str:
    parts = ("minopy", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """``minopy.steps.load_data`` -> ``steps``; ``minopy`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def is_part(name: str) -> bool:
    """Whether ``minopy.<name>`` is a module or package (not a name such as ``__version__``)."""
    return (SRC / f"{name}.py").is_file() or (SRC / name / "__init__.py").is_file()


def imports_in(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` of every ``minopy`` import in ``source`` (relative ones resolved).

    ``module`` is the importing module's name; functions' own imports count too.
    """
    package = module if is_package else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "minopy"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "minopy":
                continue
            if target == "minopy":  # ``from minopy import plot`` imports the part ``plot``
                found += [(node.lineno, f"minopy.{a.name}" if is_part(a.name) else "minopy")
                          for a in node.names]
            else:
                found.append((node.lineno, target))
    return found


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every ``minopy`` import of a file of the package."""
    return imports_in(path.read_text(), module_name(path), path.name == "__init__.py")


def all_imports() -> list[tuple[str, int, str, str]]:
    """``(file, line, importer module, imported module)`` for the whole package."""
    rows = []
    for path in sorted(SRC.rglob("*.py")):
        for line, target in imported_modules(path):
            rows.append((str(path.relative_to(SRC.parent)), line, module_name(path), target))
    return rows


def test_every_part_has_a_tier():
    parts = {part_of(module_name(p)) for p in SRC.rglob("*.py")}
    assert parts - set(TIERS) == set(), "give the new part of the package a tier in TIERS"


def test_imports_only_go_down():
    upward = []
    for file, line, importer, target in all_imports():
        a, b = part_of(importer), part_of(target)
        if a != b and TIERS[b] > TIERS[a]:
            upward.append(f"{file}:{line}: {a} (tier {TIERS[a]}) imports {target} "
                          f"(tier {TIERS[b]})")
    assert not upward, "imports that run up:\n" + "\n".join(upward)


@pytest.mark.parametrize("part", sorted(PURE))
def test_pure_parts_import_only_their_allowed_neighbours(part):
    wrong = [f"{file}:{line}: imports {target}" for file, line, importer, target in all_imports()
             if part_of(importer) == part and part_of(target) not in PURE[part] | {part}]
    assert not wrong, f"{part} must import only {sorted(PURE[part])}:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    modules = {module_name(p) for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for _, _, importer, target in all_imports():
        # ``from minopy.x import name`` may name a module or an object of module minopy.x
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        if target != importer and not importer.startswith(target + "."):
            graph[importer].add(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_check_sees_upward_and_relative_imports():
    """An import inside a function, a relative import and ``from minopy import name``."""
    source = ("from minopy import __version__, plot\n"
              "from . import pairs\n"
              "def f():\n    from minopy.steps.load_data import run\n")
    found = imports_in(source, "minopy.network.example", is_package=False)
    assert found == [(1, "minopy"), (1, "minopy.plot"), (2, "minopy.network"),
                     (4, "minopy.steps.load_data")]
    importer = part_of("minopy.network.example")
    assert [TIERS[part_of(m)] > TIERS[importer] for _, m in found] == [False, False, False, True]
