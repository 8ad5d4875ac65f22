"""The flaky-test history on the real database, fed the way the service feeds it: the analyzer
reads a failed attempt's tests, the verification recorder sees a later attempt of the run pass,
and the next failure is judged by what they recorded."""

from collections.abc import Iterator

import pytest

from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import Incident, utcnow
from app.bootstrap import Container, build_container
from app.core.enums import IncidentKind, IncidentSource, IncidentStatus
from app.core.events.models import RunCompleted
from app.core.models import FetchedLogs, IncidentTarget
from app.domain.verification import RunAttemptConcluded
from app.services.verification import VerificationRecorder
from tests.conftest import _truncate

REPO = "octo-org/octo-repo"
LOGIN = "tests/test_api.py::test_login"
LOGOUT = "tests/test_api.py::test_logout"


def pytest_log(*tests: str) -> str:
    """The end of a pytest run as GitHub Actions logs it (default short summary)."""
    summary = "".join(f"FAILED {t} - assert 401 == 200\n" for t in tests)
    return (
        "=========================== short test summary info ============================\n"
        f"{summary}"
        f"========================= {len(tests)} failed, 12 passed in 1.20s =================\n"
        "##[error]Process completed with exit code 1.\n"
    )


class RunLogs:
    """The GitHub log source's stand-in: the log of each (run, attempt)."""

    def __init__(self) -> None:
        self.logs: dict[tuple[int, int], str] = {}

    def fetch(self, incident: IncidentTarget) -> FetchedLogs:
        run = incident.target
        return FetchedLogs(text=self.logs[(run.run_id, run.run_attempt)])


@pytest.fixture
def logs() -> RunLogs:
    return RunLogs()


@pytest.fixture
def flow(settings, database_url, logs) -> Iterator[Container]:
    built = build_container(
        settings, database_url=database_url, log_sources={IncidentSource.GITHUB: logs}
    )
    yield built
    _truncate(built)
    built.close()


def fail(flow: Container, logs: RunLogs, run_id: int, attempt: int, *tests: str, sha: str) -> int:
    """Attempt ``attempt`` of run ``run_id`` on commit ``sha`` failed with ``tests``: stored
    and claimed for analysis."""
    logs.logs[(run_id, attempt)] = pytest_log(*tests)
    incident = Incident(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key=f"{REPO}#{run_id}#{attempt}",
        fingerprint=f"github:{REPO}:ci:main",
        status=IncidentStatus.ANALYZING,
        title=f"{REPO}: ci failure on main",
        repo=REPO,
        run_id=run_id,
        run_attempt=attempt,
        head_branch="main",
        head_sha=sha,
    )
    with flow.db.session() as session:
        session.add(incident)
        session.flush()
        return incident.id


def analyse(flow: Container, incident_id: int) -> Incident:
    flow.analyzer(incident_id)
    with flow.db.session() as session:
        return session.get(Incident, incident_id)


def passed(flow: Container, run_id: int, attempt: int) -> None:
    event = RunCompleted(repo=REPO, run_id=run_id, run_attempt=attempt, conclusion="success")
    with flow.db.session() as session:
        VerificationRecorder().record(session, RunAttemptConcluded.completed(event, at=utcnow()))


def history(flow: Container, *tests: str) -> dict[str, tuple[int, int]]:
    with flow.db.session() as session:
        found = FlakeRepository(session).history(REPO, tests)
    return {t: (h.flaky, h.broken) for t, h in found.items()}


def test_the_analysis_stores_the_failing_tests(flow, logs):
    incident = analyse(flow, fail(flow, logs, 1, 1, LOGIN, LOGOUT, sha="c1"))
    assert incident.failing_tests == [LOGIN, LOGOUT]
    assert incident.category == "test_failure"


def test_tests_of_a_failed_attempt_are_flaky_once_a_later_attempt_passes(flow, logs):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, sha="c1"))
    passed(flow, 1, 2)
    assert history(flow, LOGIN) == {LOGIN: (1, 0)}


def test_a_test_failing_again_on_a_rerun_is_broken_not_flaky(flow, logs):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, LOGOUT, sha="c1"))
    analyse(flow, fail(flow, logs, 1, 2, LOGIN, sha="c1"))
    passed(flow, 1, 3)
    assert history(flow, LOGIN, LOGOUT) == {LOGIN: (0, 1), LOGOUT: (1, 0)}


def test_a_pass_seen_before_the_failed_attempt_is_read_counts_once_it_is(flow, logs):
    incident_id = fail(flow, logs, 1, 1, LOGIN, sha="c1")
    passed(flow, 1, 2)
    assert history(flow, LOGIN) == {}
    analyse(flow, incident_id)
    assert history(flow, LOGIN) == {LOGIN: (1, 0)}


def test_one_commit_counts_once(flow, logs):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, sha="c1"))
    passed(flow, 1, 2)
    passed(flow, 1, 2)
    analyse(flow, fail(flow, logs, 2, 1, LOGIN, sha="c2"))
    passed(flow, 2, 2)
    assert history(flow, LOGIN) == {LOGIN: (2, 0)}


def test_the_next_failure_of_known_flaky_tests_is_a_flaky_test_rerun(flow, logs):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, sha="c1"))
    passed(flow, 1, 2)
    incident = analyse(flow, fail(flow, logs, 3, 1, LOGIN, sha="c3"))
    assert (incident.category, incident.action) == ("flaky_test", "rerun_failed_jobs")
    assert incident.confidence_classifier == pytest.approx(0.2065, abs=1e-4)  # Wilson, 1 of 1
    assert any(LOGIN in line for line in incident.evidence)


def test_a_mix_of_known_flaky_and_unknown_tests_stays_a_test_failure(flow, logs):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, sha="c1"))
    passed(flow, 1, 2)
    incident = analyse(flow, fail(flow, logs, 3, 1, LOGIN, LOGOUT, sha="c3"))
    assert (incident.category, incident.action) == ("test_failure", "none")


def test_a_known_flaky_test_failing_again_on_the_rerun_of_its_commit_is_not_rerun_again(
    flow, logs
):
    analyse(flow, fail(flow, logs, 1, 1, LOGIN, sha="c1"))
    passed(flow, 1, 2)
    first = analyse(flow, fail(flow, logs, 3, 1, LOGIN, sha="c3"))
    again = analyse(flow, fail(flow, logs, 3, 2, LOGIN, sha="c3"))
    assert first.category == "flaky_test"
    assert (again.category, again.action) == ("test_failure", "none")
    assert history(flow, LOGIN) == {LOGIN: (1, 1)}


def test_flakiest_lists_each_repositorys_most_flaky_tests_first(flow, logs):
    at = utcnow()
    with flow.db.session() as session:
        flakes = FlakeRepository(session)
        for sha in ("c1", "c2", "c3"):
            flakes.record([LOGIN], verdict="flaky", repo=REPO, head_sha=sha, run_id=None,
                          incident_id=None, at=at)  # fmt: skip
        flakes.record([LOGOUT], verdict="flaky", repo=REPO, head_sha="c1", run_id=None,
                      incident_id=None, at=at)  # fmt: skip
        flakes.record(["never_flaky"], verdict="broken", repo=REPO, head_sha="c1", run_id=None,
                      incident_id=None, at=at)  # fmt: skip
        flakes.record([LOGIN], verdict="flaky", repo="octo-org/other", head_sha="c9",
                      run_id=None, incident_id=None, at=at)  # fmt: skip
    with flow.db.session() as session:
        flakiest = FlakeRepository(session).flakiest(per_repo=5)
    assert {repo: [(h.test_id, h.flaky) for h in tests] for repo, tests in flakiest.items()} == {
        REPO: [(LOGIN, 3), (LOGOUT, 1)],
        "octo-org/other": [(LOGIN, 1)],
    }
