"""The HTTP layer calls services: no module of app/api imports an adapter (a repository, a
client, the database), and only app/api/deps.py imports the container at run time."""

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[3] / "app" / "api"
MODULES = sorted(API.rglob("*.py"))


def run_time_imports(path: Path) -> set[str]:
    """The modules ``path`` imports, leaving out those under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checked_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checked_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_api_modules_are_found():
    assert API / "v1" / "slack.py" in MODULES
    assert API / "dashboard.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(API)))
def test_no_api_module_imports_an_adapter(path):
    adapters = sorted(m for m in run_time_imports(path) if m.split(".")[:2] == ["app", "adapters"])
    assert adapters == []


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "deps.py"], ids=lambda p: str(p.relative_to(API))
)
def test_routers_take_the_container_through_deps_only(path):
    assert "app.bootstrap" not in run_time_imports(path)


def test_an_import_under_type_checking_is_not_a_run_time_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import app.core.enums\n"
        "if TYPE_CHECKING:\n"
        "    from app.bootstrap import Container\n"
    )
    assert run_time_imports(module) == {"typing", "app.core.enums"}
