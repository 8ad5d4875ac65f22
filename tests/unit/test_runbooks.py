"""Every escalation key and every CloudWatch alarm has a runbook page, linked from the index."""

import re
from pathlib import Path

import pytest

from app.domain.escalation import EscalationReason

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
TERRAFORM = ROOT / "infrastructure" / "terraform"
ALARM = re.compile(r'resource\s+"aws_cloudwatch_metric_alarm"\s+"([A-Za-z0-9_-]+)"')
SECTIONS = ("## What it means", "## What to check", "## What to do")


def terraform_alarms() -> dict[str, str]:
    """Alarm resource name → the text of its resource block, from every .tf file."""
    alarms: dict[str, str] = {}
    for path in sorted(TERRAFORM.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        text = path.read_text()
        for match in ALARM.finditer(text):
            following = text.find('\nresource "', match.end())
            alarms[match.group(1)] = text[match.start() : following if following != -1 else None]
    return alarms


def page_for_alarm(name: str) -> Path:
    return RUNBOOKS / f"alarm_{name}.md"


def index_links() -> set[str]:
    text = (RUNBOOKS / "README.md").read_text()
    return set(re.findall(r"\]\(([^)#]+\.md)\)", text))


def test_the_terraform_parser_finds_the_alarms_of_the_monitoring_module():
    assert {"errors", "dlq_messages", "queue_age"} <= set(terraform_alarms())


@pytest.mark.parametrize("reason", list(EscalationReason), ids=str)
def test_every_escalation_reason_has_a_page(reason):
    assert (RUNBOOKS / f"{reason.value}.md").is_file()


@pytest.mark.parametrize("name", sorted(terraform_alarms()))
def test_every_terraform_alarm_has_a_page(name):
    assert page_for_alarm(name).is_file()


@pytest.mark.parametrize("name", sorted(terraform_alarms()))
def test_every_alarm_description_names_its_page(name):
    block = terraform_alarms()[name]
    assert f"docs/runbooks/alarm_{name}.md" in block


def test_every_page_is_linked_from_the_index():
    pages = {p.name for p in RUNBOOKS.glob("*.md") if p.name != "README.md"}
    assert pages - index_links() == set()


def test_every_index_link_leads_to_a_page():
    assert {link for link in index_links() if not (RUNBOOKS / link).is_file()} == set()


def test_every_page_belongs_to_a_reason_or_an_alarm():
    expected = {f"{r.value}.md" for r in EscalationReason}
    expected |= {page_for_alarm(name).name for name in terraform_alarms()}
    pages = {p.name for p in RUNBOOKS.glob("*.md") if p.name != "README.md"}
    assert pages - expected == set()


@pytest.mark.parametrize(
    "page", sorted(p.name for p in RUNBOOKS.glob("*.md") if p.name != "README.md")
)
def test_every_page_says_what_it_means_what_to_check_and_what_to_do(page):
    text = (RUNBOOKS / page).read_text()
    assert all(section in text for section in SECTIONS)
