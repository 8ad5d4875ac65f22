"""`codehealer demo`: `serve` with a GitHub stand-in, and failures that arrive by themselves.

The service is the real one (database, migrations, API, workers, dashboard); only GitHub is
replaced, by a local server answering with recorded logs, and every fix is a dry run.
"""

import argparse
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.core.config import Settings
from app.core.logs import configure_logging
from app.core.settings_parts import DecisionSettings
from app.demo.deliveries import deliver_over
from app.demo.github_standin import GitHubStandIn
from app.demo.scenario import DemoRun, plan_runs
from app.settings_loader import load_settings

# Accepted by the stand-in only; it never leaves this machine.
DEMO_TOKEN = "codehealer-demo-token"
# A fresh install has no history, so its confidence tops out near 0.5 and the default bar
# (0.85) sends every fix to approval. The demo lowers the bar to show all three outcomes.
DEMO_AUTO_FIX_THRESHOLD = 0.45
DEFAULT_AUTO_FIX_THRESHOLD: float = DecisionSettings.model_fields["confidence_threshold"].default

Serve = Callable[[argparse.Namespace, Settings], int]


def demo_settings(
    *, api_url: str, webhook_secret: str, data_dir: Path, public_url: str
) -> Settings:
    """The environment's settings, with what makes this a demo forced over them."""
    return load_settings(
        overrides={
            "ENVIRONMENT": "dev",
            "CODEHEALER_DATA_DIR": data_dir,
            "GITHUB_API_URL": api_url,
            "GITHUB_TOKEN": DEMO_TOKEN,
            "GITHUB_APP_ID": None,
            "GITHUB_APP_PRIVATE_KEY": None,
            "GITHUB_WEBHOOK_SECRET": webhook_secret,
            "GITHUB_REPOSITORIES": "",
            "DRY_RUN": True,
            "SHADOW_MODE": False,
            "STRATEGY": "slack_first",
            "CONFIDENCE_THRESHOLD": DEMO_AUTO_FIX_THRESHOLD,
            "SLACK_BOT_TOKEN": None,
            "SLACK_SIGNING_SECRET": None,
            "QUEUE_URL": None,
            "WORKER_ENABLED": True,
            "PUBLIC_URL": public_url,
        }
    )


def local_url(host: str, port: int) -> str:
    """Where this machine reaches the service (a wildcard address is reached on loopback)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def first_run_id(now: float) -> int:
    """Run ids no earlier demo used: they grow with the clock."""
    return int(now) * 100


def banner(
    *, url: str, api_url: str, settings: Settings, runs: list[DemoRun], duration: float
) -> str:
    where = settings.database
    database = "DATABASE_URL" if where.url else f"embedded, in {where.data_dir}"
    repositories = len({run.repo for run in runs})
    lines = [
        "CodeHealer demo",
        f"  dashboard        {url}/dashboard",
        f"  incidents (API)  {url}/api/v1/incidents",
        f"  GitHub stand-in  {api_url} (serves recorded logs of public CI failures)",
        f"  database         {database}",
        f"{len(runs)} failed workflow runs of {repositories} repositories arrive over "
        f"{duration:g} s, signed as GitHub signs them.",
        "DRY_RUN is on: fixes are decided and recorded, nothing is re-run. The auto-fix bar is "
        f"{DEMO_AUTO_FIX_THRESHOLD:.2f} here",
        f"(default {DEFAULT_AUTO_FIX_THRESHOLD:.2f}: a fresh install "
        "asks before it acts, and earns autonomy from outcomes).",
    ]
    if settings.requires_api_key:
        lines.append("The dashboard asks for your API_KEY.")
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(args: argparse.Namespace, serve: Serve) -> int:
    """Start the stand-in and the deliveries, run ``serve`` until it stops, then clean up."""
    runs = plan_runs(first_run_id(time.time()))
    standin = GitHubStandIn(runs, token=DEMO_TOKEN)
    api_url = standin.start()
    url = local_url(args.host, args.port)
    secret = secrets.token_hex(16)
    settings = demo_settings(
        api_url=api_url, webhook_secret=secret, data_dir=Path(args.data_dir), public_url=url
    )
    configure_logging(settings.log_level, args.log_format or "text")
    say(banner(url=url, api_url=api_url, settings=settings, runs=runs, duration=args.duration))
    stop = threading.Event()
    sender = threading.Thread(
        target=deliver_over,
        kwargs={
            "runs": runs,
            "base_url": url,
            "secret": secret,
            "duration": args.duration,
            "stop": stop,
            "report": say,
        },
        name="demo-deliveries",
        daemon=True,
    )
    sender.start()
    try:
        return serve(args, settings)
    finally:
        stop.set()
        sender.join(timeout=15)
        standin.stop()
