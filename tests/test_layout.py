"""The package's layout: every subpackage is built into the wheel, imports run one way (down the
data flow), the registries are the single tables their consumers loop over, and nothing
patches ``sys.path``."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import benchmark
from benchmark import metrics
from benchmark.baselines import BASELINES
from benchmark.effects import EFFECTS, LEVELS
from benchmark.models import NETWORKS
from conftest import REPO_ROOT

PACKAGE = Path(benchmark.__file__).parent
# Lower layers first: a module may import its own layer and the layers before it, never a later one.
LAYERS = (
    {"errors", "versions", "paths", "atomic", "executor", "hashing"},
    {"effects"},
    {"metrics"},
    {"dataset"},
    {"harness"},
    {"models"},
    {"baselines"},
    {"report"},
    {"full_board"},
    {"pipeline"},
    {"cli"},
)


def _layer(name: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if name in names)


def _top(module: Path) -> str:
    """The top-level part of the package a module belongs to ('dataset', 'cli', ...)."""
    return module.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_tops(module: Path) -> set[str]:
    """Top-level parts of the package that a module imports (relative or absolute imports)."""
    depth = len(module.relative_to(PACKAGE).parts) - 1  # folders below benchmark/
    tops = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1  # levels above the module's own folder
                if up < depth:  # stays inside the module's own subpackage
                    continue
                parts = (node.module or "").split(".") if node.module else [alias.name for alias in node.names]
            elif node.module and node.module.startswith("benchmark."):
                parts = node.module.split(".")[1:]
            else:
                continue
            tops.update(parts[:1] if node.module else parts)
    return {t for t in tops if t}


def test_every_subpackage_is_listed_for_the_wheel():
    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(("benchmark",) + p.parent.relative_to(PACKAGE).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found | {"benchmark.tasks", "benchmark.reference"} == listed


def test_imports_run_down_the_data_flow():
    wrong = []
    for module in sorted(PACKAGE.rglob("*.py")):
        if module.name == "__init__.py" and module.parent == PACKAGE:
            continue  # the front door re-exports from every layer
        own = _layer(_top(module))
        for top in _imported_tops(module):
            if _layer(top) > own:
                wrong.append(f"{module.relative_to(PACKAGE)} imports {top}")
    assert wrong == []


def test_no_test_or_script_patches_sys_path():
    offenders = [p.name for folder in ("tests", "benchmarks") for p in (REPO_ROOT / folder).glob("*.py")
                 if p.name != Path(__file__).name and "sys.path" in p.read_text()]
    assert offenders == []


def test_registries_cover_what_their_consumers_use():
    assert all(effect.level in LEVELS for effect in EFFECTS.values())
    assert [m.name for m in metrics.METRICS if m.gain_of] == ["delta_si_sdr"]
    assert all((REPO_ROOT / "baselines" / b.file).is_file() for b in BASELINES.values())
    networks = {b.name for b in BASELINES.values() if b.kind == "network"}
    assert networks == set(NETWORKS)
    assert all((PACKAGE / "models" / f"{name}.py").is_file() for name in NETWORKS)
