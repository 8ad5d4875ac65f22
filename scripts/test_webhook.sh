#!/usr/bin/env bash
# Send a signed sample GitHub `workflow_run` failure to a running CodeHealer.
#   scripts/test_webhook.sh [URL]          (default http://127.0.0.1:8000)
# Signs with GITHUB_WEBHOOK_SECRET from the environment or .env when set.
set -euo pipefail
cd "$(dirname "$0")/.."
exec uv run codehealer send-sample --url "${1:-http://127.0.0.1:8000}"
