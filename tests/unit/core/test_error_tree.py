"""The tree drawn in app/core/errors.py is the tree of the classes: every error is drawn once,
under its parent."""

import inspect
import re

import pytest

from app.core import errors

# A drawn line: the branches (4 characters a level), then the class name.
DRAWN = re.compile(r"^(?P<branches>[│├└─ ]*)(?P<name>[A-Z]\w+)")


def drawn_parents() -> dict[str, str | None]:
    """Each class the docstring draws → the class drawn one level up above it."""
    tree = errors.__doc__.split("\n\n")[1]
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for match in filter(None, map(DRAWN.match, tree.splitlines())):
        depth = len(match["branches"]) // 4
        del path[depth:]
        parents[match["name"]] = path[-1] if path else None
        path.append(match["name"])
    return parents


def defined_errors() -> dict[str, str | None]:
    """Each error class of the module → its parent class (None for the root)."""
    return {
        name: (None if cls is errors.CodeHealerError else cls.__bases__[0].__name__)
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.CodeHealerError)
    }


def test_every_error_class_is_drawn_under_its_parent():
    assert drawn_parents() == defined_errors()


@pytest.mark.parametrize("name", ["RetryLater", "EscalateIncident", "NormalizationError"])
def test_pipeline_and_parser_errors_carry_no_http_status(name):
    assert not hasattr(getattr(errors, name), "status_code")
