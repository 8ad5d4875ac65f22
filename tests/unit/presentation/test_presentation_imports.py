"""Presentation is pure rendering: it imports core and domain, never adapters, services or api."""

import ast
from pathlib import Path

import pytest

PRESENTATION = Path(__file__).resolve().parents[3] / "app" / "presentation"
MODULES = sorted(PRESENTATION.rglob("*.py"))


def app_imports(path: Path) -> set[str]:
    """The ``app.*`` modules ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "app"}


def test_the_charts_module_is_found():
    assert PRESENTATION / "charts.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_presentation_imports_only_core_and_domain(path):
    layers = {name.split(".")[1] for name in app_imports(path)}
    assert layers <= {"core", "domain", "presentation"}
