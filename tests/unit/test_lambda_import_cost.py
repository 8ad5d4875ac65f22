"""Importing the Lambda handler module loads no heavy framework (cold start).

A structural check, not a timing test: scripts/bench_cold_start.py prints the figures.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "sqlalchemy", "mangum", "boto3", "botocore", "sqlmodel", "psycopg", "alembic")


def modules_loaded_by(statement: str) -> list[str]:
    code = (
        f"{statement}; import json, sys; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_importing_the_lambda_handler_loads_no_heavy_framework():
    assert modules_loaded_by("import app.lambda_handler") == []


def test_the_check_sees_a_heavy_import_when_there_is_one():
    assert "sqlalchemy" in modules_loaded_by("import app.adapters.database.engine")


# What the first webhook does not run, left to the container and the routers to import.
NOT_FOR_A_WEBHOOK = (
    "slack_sdk",
    "httpx",
    "jinja2",
    "app.adapters.ai.nvidia.client",
    "app.domain.classification.rule_classifier",
    "app.services.analyzer",
    "app.services.dashboard",
    "app.api.dashboard",
)


def loaded_by(statement: str, modules: tuple[str, ...]) -> list[str]:
    code = (
        f"{statement}; import json, sys; "
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_importing_the_lambda_handler_loads_no_client_analysis_or_dashboard():
    assert loaded_by("import app.lambda_handler", NOT_FOR_A_WEBHOOK) == []


def test_the_deferred_app_loads_only_the_webhook_routes():
    statement = "from app.main import create_app; create_app(None, defer_routers=True)"
    assert loaded_by(statement, NOT_FOR_A_WEBHOOK) == []


def test_the_check_sees_the_routers_the_app_includes_at_once():
    statement = "from app.main import create_app; create_app(None)"
    assert "app.api.dashboard" in loaded_by(statement, NOT_FOR_A_WEBHOOK)
