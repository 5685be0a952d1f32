"""The layout of DESIGN.md holds: each wing imports alone, dependencies point one way, doctests run.

Import checks run in fresh interpreters (``sys.modules`` of this test process is full); the dependency
direction is read from the source (every import statement outside ``if TYPE_CHECKING:``).
"""

import ast
import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"common": "lsnn.common", "models": "lsnn.models", "training": "lsnn.training", "analysis": "lsnn.analysis",
           "figures": "lsnn.figures", "app": "lsnn.app"}
#: What each folder may import from the package (DESIGN.md "Layout").
ALLOWED = {
    "common": set(),
    "models": {"lsnn.common"},
    "analysis": {"lsnn.common"},
    "training": {"lsnn.common", "lsnn.models"},
    "figures": {"lsnn.common"},
    "app": {"lsnn.common", "lsnn.models", "lsnn.training", "lsnn.analysis", "lsnn.figures", "lsnn.app"},
}
#: Third-party packages a folder never imports (at any point).
FORBIDDEN = {"models": {"torch", "sklearn"}, "analysis": {"torch", "brian2"}, "figures": {"torch", "brian2"}, "common": {"torch", "brian2"}}


def _imports(path: Path) -> set[str]:
    """Modules imported by a file, outside ``if TYPE_CHECKING:`` blocks (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = FOLDERS[path.relative_to(ROOT).parts[0]] + "".join("." + p for p in path.relative_to(ROOT).parts[1:-1])
    found: set[str] = set()

    def visit(node):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_dependencies_point_one_way(folder):
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "lsnn":
                wing = ".".join(module.split(".")[:2])
                assert wing in ALLOWED[folder] | {FOLDERS[folder]}, f"{path.relative_to(ROOT)} imports {module}"
            assert top not in FORBIDDEN.get(folder, set()), f"{path.relative_to(ROOT)} imports {module}"


def _loaded_after(code: str, names: list[str]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(','.join(n for n in {names!r} if n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [n for n in out.stdout.strip().split(",") if n]


@pytest.mark.parametrize("code, never", [
    ("from lsnn.models import NetworkSpec, SpecError, DEVICES", ["brian2", "torch", "neo"]),
    ("import lsnn.analysis", ["torch", "brian2", "sklearn", "elephant", "lsnn.models", "lsnn.training", "lsnn.figures", "lsnn.app"]),
    ("from lsnn.models.neo_io import to_neo, save_nwb, load_nwb", ["brian2", "torch", "sklearn", "lsnn.analysis"]),
    ("from lsnn.training import make_config, TrainConfig", ["torch", "brian2"]),
    ("from lsnn.app.cli import build_parser; build_parser()", ["torch", "brian2", "sklearn", "neo", "elephant", "matplotlib"]),
    ("import lsnn.figures.store_recall, lsnn.figures.runs, lsnn.figures.twelve_ax, lsnn.figures.poster_intro", ["torch", "brian2"]),
])
def test_each_wing_imports_alone(code, never):
    assert _loaded_after(code, never) == []


def _package_modules() -> list[str]:
    names = []
    for package in FOLDERS.values():
        names.append(package)
        module = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")]
    return names


@pytest.mark.parametrize("name", _package_modules())
def test_docstring_examples_hold(name):
    """Every docstring example of the package runs and prints what it claims (imported by its lsnn name)."""
    module = importlib.import_module(name)
    finder, runner = doctest.DocTestFinder(exclude_empty=True), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        if test.filename and Path(test.filename).resolve().is_relative_to(ROOT):
            runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) of {name} fail (run with -s to see them)"


def test_the_docstring_examples_are_collected():
    counts = {}
    for name in ("lsnn.models.simulation", "lsnn.common.jsonsafe", "lsnn.training.pseudo_derivative", "lsnn.models.network"):
        tests = doctest.DocTestFinder().find(importlib.import_module(name), name)
        counts[name] = sum(len(t.examples) for t in tests)
    assert all(n > 0 for n in counts.values()), counts
