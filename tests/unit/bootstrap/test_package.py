"""The package's public names: each read from the module that defines it, on first read."""

import subprocess
import sys
from pathlib import Path

import pytest

import app.bootstrap as bootstrap

ROOT = Path(__file__).resolve().parents[3]


def test_the_written_out_names_are_the_names_the_package_resolves():
    assert bootstrap.__all__ == sorted(bootstrap._HOME)


@pytest.mark.parametrize("name", sorted(bootstrap._HOME))
def test_each_name_comes_from_its_module(name):
    module = sys.modules.get(f"app.bootstrap.{bootstrap._HOME[name]}") or __import__(
        f"app.bootstrap.{bootstrap._HOME[name]}", fromlist=[name]
    )
    assert getattr(bootstrap, name) is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'build_everything'"):
        bootstrap.build_everything  # noqa: B018


def test_reading_the_container_class_imports_no_builder():
    code = (
        "from app.bootstrap import Container; import sys; "
        "print(sorted(m for m in sys.modules if m.startswith('app.bootstrap.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['app.bootstrap.container', 'app.bootstrap.resources']"
