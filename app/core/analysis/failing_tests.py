"""The failing tests a CI log names, read from each test tool's documented output.

One small extractor per tool; each returns ids in its tool's own notation, the way that tool
prints them in every run, so the same test gets the same id on the next failure:

- pytest: ``tests/test_api.py::TestLogin::test_expired`` (the short summary, ``-v`` lines), else
  the ``____ TestLogin.test_expired ____`` section headers;
- Jest: ``src/sum.test.js › sum › adds``; Vitest: ``src/sum.test.ts > sum > adds``;
- Go: ``example.com/calc.TestAdd/negative`` (the package from the ``FAIL pkg`` line after it);
- JUnit through Surefire or Gradle: ``com.example.AppTest.testApp``;
- RSpec: the example's full description (``Topics allows the user to filter``);
- cargo test: ``module::tests::name``;
- dotnet test: ``Namespace.Class.Method``.

Pure: the log text in, a sorted tuple of masked ids out.
"""

import re
from collections.abc import Callable, Sequence

from app.core.analysis.excerpt import clean_lines
from app.core.redaction import mask_secrets

MAX_TESTS = 100
MAX_ID_CHARS = 300

Extractor = Callable[[Sequence[str]], list[str]]


# --- pytest ------------------------------------------------------------------------------------
_XDIST = r"(?:\[gw\d+\] (?:\[\s*\d+%\] )?)?"
_PYTEST_SUMMARY = re.compile(rf"^{_XDIST}(?:FAILED|ERROR) (?P<id>[^\s:][^:]*::.+?)(?: - .*)?$")
_PYTEST_VERBOSE = re.compile(rf"^{_XDIST}(?P<id>[^\s:][^:\s]*::\S+) (?:FAILED|ERROR)\b")
_PYTEST_HEADER = re.compile(r"^_{3,} (?:ERROR at (?:setup|teardown) of )?(?P<id>.+?) _{3,}$")
_PYTHON_NAME = re.compile(r"^[A-Za-z_][\w.]*(?:\[.*\])?$")


def pytest_failures(lines: Sequence[str]) -> list[str]:
    """``FAILED path::test - msg`` (pytest's default short summary) and ``path::test FAILED``
    (``-v``); the ``____ test ____`` section headers only when neither is there (a log cut
    before the summary)."""
    found = []
    for line in lines:
        match = _PYTEST_SUMMARY.match(line) or _PYTEST_VERBOSE.match(line)
        if match:
            found.append(match["id"])
    if found:
        return found
    headers = (_PYTEST_HEADER.match(line) for line in lines)
    return [m["id"] for m in headers if m and _PYTHON_NAME.match(m["id"])]


# --- Jest and Vitest ---------------------------------------------------------------------------
_JEST_FILE = re.compile(r"^\s*FAIL\s+(?P<file>\S+)(?:\s+\([\d.]+ m?s\))?$")
_JEST_TEST = re.compile(r"^\s*● (?P<title>.+)$")
_JEST_NOT_TESTS = ("Console", "Test suite failed to run")
_VITEST = re.compile(r"^\s*FAIL\s+(?:\|[^|]+\|\s+)?(?P<file>\S+) > (?P<title>.+?)(?: \[.*\])?$")


def jest_failures(lines: Sequence[str]) -> list[str]:
    """``● describe › test`` under the `` FAIL  file`` line it belongs to."""
    found, current = [], None
    for line in lines:
        if match := _JEST_FILE.match(line):
            current = match["file"]
        elif (match := _JEST_TEST.match(line)) and match["title"] not in _JEST_NOT_TESTS:
            title = match["title"].strip()
            found.append(f"{current} › {title}" if current else title)
    return found


def vitest_failures(lines: Sequence[str]) -> list[str]:
    """`` FAIL  file > describe > test`` (Vitest's failed-tests section)."""
    return [f"{m['file']} > {m['title']}" for line in lines if (m := _VITEST.match(line))]


# --- Go ----------------------------------------------------------------------------------------
_GO_TEST = re.compile(r"^\s*--- FAIL: (?P<name>\S+) \([\d.]+s\)$")
_GO_PACKAGE = re.compile(r"^FAIL\s+(?P<package>\S+)\s+(?:[\d.]+s|\[[^\]]+\])$")
_GO_RUNNING = re.compile(r"^\s+(?P<name>Test\S*) \([\dhms.]+\)$")


def go_failures(lines: Sequence[str]) -> list[str]:
    """``--- FAIL: TestX/sub (0.00s)`` named after the ``FAIL pkg 0.1s`` line that ends its
    package's output, and the tests still running when ``panic: test timed out`` (Go ≥ 1.20).
    A test that failed only because a subtest did is left out: the subtest is the failure."""
    found: list[str] = []
    pending: list[str] = []
    timed_out = False
    for line in lines:
        if match := _GO_TEST.match(line):
            pending.append(match["name"])
        elif line.startswith("panic: test timed out after"):
            timed_out = True
        elif timed_out and (match := _GO_RUNNING.match(line)):
            pending.append(match["name"])
        elif match := _GO_PACKAGE.match(line):
            found.extend(f"{match['package']}.{name}" for name in pending)
            pending, timed_out = [], False
    found.extend(pending)  # a log cut before its package line
    return [t for t in found if not any(other.startswith(t + "/") for other in found)]


# --- JUnit: Surefire and Gradle ----------------------------------------------------------------
_SUREFIRE_TEST = re.compile(
    r"^(?:\[ERROR\]|Error:)?\s*(?P<id>[^\s(][^(]*?)(?:\((?P<cls>[\w$.]+)\))?\s+(?:--\s+)?"
    r"Time elapsed:\s*[\d.,]+\s*s(?:ec)?\s*<<< (?:FAILURE|ERROR)!$"
)
_SUREFIRE_CLASS = re.compile(r"<<< (?:FAILURE|ERROR)! -+ in (?P<cls>[\w$.]+)$")
_SUREFIRE_SECTION = re.compile(r"^(?:Failed tests|Tests in error):(?P<rest>.*)$")
_SUREFIRE_LISTED = re.compile(r"^\s*(?P<method>[\w$]+)\((?P<cls>[\w$]+(?:\.[\w$]+)+)\)(?::|$)")
_GRADLE = re.compile(r"^(?P<cls>[\w$]+(?:\.[\w$]+)*) > (?P<rest>.+) FAILED$")


def surefire_failures(lines: Sequence[str]) -> list[str]:
    """``com.x.AppTest.testApp -- Time elapsed: 0.01 s <<< FAILURE!`` (Surefire 3),
    ``testApp(com.x.AppTest)  Time elapsed: 0.01 sec  <<< FAILURE!`` (JUnit 4) or a bare
    method under its class's ``Tests run: ... <<< FAILURE! - in com.x.AppTest`` line; the
    ``Failed tests:`` / ``Tests in error:`` summary of Surefire 2 when there is nothing else."""
    found, current = [], None
    for line in lines:
        if match := _SUREFIRE_CLASS.search(line):
            current = match["cls"]
        elif match := _SUREFIRE_TEST.match(line):
            method, cls = match["id"].strip(), match["cls"]
            if cls is None and "." not in method and current:
                cls = current
            found.append(f"{cls}.{method}" if cls else method)
    return found or _surefire_summary(lines)


def _surefire_summary(lines: Sequence[str]) -> list[str]:
    found, inside = [], False
    for line in lines:
        if section := _SUREFIRE_SECTION.match(line):
            inside, line = True, section["rest"]
        elif not line.startswith((" ", "\t")):
            inside = False
        if inside and (match := _SUREFIRE_LISTED.match(line)):
            found.append(f"{match['cls']}.{match['method']}")
    return found


def gradle_failures(lines: Sequence[str]) -> list[str]:
    """``com.x.AppTest > testApp() FAILED`` (nested classes: ``Outer > Inner > test()``)."""
    found = []
    for line in lines:
        if match := _GRADLE.match(line):
            parts = [match["cls"], *match["rest"].split(" > ")]
            found.append(".".join(p.strip().removesuffix("()") for p in parts))
    return found


# --- RSpec -------------------------------------------------------------------------------------
_RSPEC_RERUN = re.compile(r"^rspec \S+ # (?P<description>.+)$")
_RSPEC_NUMBERED = re.compile(r"^\s*\d+\) (?P<description>.+)$")
_RSPEC_FAILURE = re.compile(r"^\s*(?:Failure/Error:|Got \d+ failures?\b)")


def rspec_failures(lines: Sequence[str]) -> list[str]:
    """The ``rspec ./spec/x_spec.rb:7 # description`` lines, and ``1) description`` followed
    by ``Failure/Error:``; the id is the description (line numbers move with every edit)."""
    found = []
    for i, line in enumerate(lines):
        if match := _RSPEC_RERUN.match(line):
            found.append(match["description"])
        elif (match := _RSPEC_NUMBERED.match(line)) and i + 1 < len(lines):
            if _RSPEC_FAILURE.match(lines[i + 1]):
                found.append(match["description"])
    return found


# --- cargo test --------------------------------------------------------------------------------
_CARGO_RESULT = re.compile(r"^test (?P<name>\S+(?: - .+)?) \.\.\. FAILED$")
_CARGO_STDOUT = re.compile(r"^---- (?P<name>.+?) stdout ----$")
_CARGO_PANIC = re.compile(r"^\s*thread '(?P<name>[^']+::[^']+)'(?: \(\d+\))? panicked at")
_CARGO_LISTED = re.compile(r"^ {4}(?P<name>\S+(?: - .+)?)$")


def cargo_failures(lines: Sequence[str]) -> list[str]:
    """``test a::b ... FAILED``, ``---- a::b stdout ----``, the names listed under the last
    ``failures:`` line, and ``thread 'a::b' panicked`` (a test's thread is named after it)."""
    found, listing = [], False
    for line in lines:
        match = _CARGO_RESULT.match(line) or _CARGO_STDOUT.match(line) or _CARGO_PANIC.match(line)
        if match:
            found.append(match["name"])
        elif listing and (match := _CARGO_LISTED.match(line)):
            found.append(match["name"])
            continue
        listing = line == "failures:"
    return found


# --- dotnet test -------------------------------------------------------------------------------
_DOTNET = re.compile(r"^\s*Failed (?P<name>[\w.`+<>,]+(?:\(.*\))?) \[[\d.]+ m?s\]$")


def dotnet_failures(lines: Sequence[str]) -> list[str]:
    """``  Failed Namespace.Class.Method [13 ms]`` (the console logger of ``dotnet test``)."""
    return [m["name"] for line in lines if (m := _DOTNET.match(line))]


EXTRACTORS: tuple[Extractor, ...] = (
    pytest_failures,
    jest_failures,
    vitest_failures,
    go_failures,
    surefire_failures,
    gradle_failures,
    rspec_failures,
    cargo_failures,
    dotnet_failures,
)


def failing_tests(log: str) -> tuple[str, ...]:
    """The ids of the tests ``log`` reports failing, sorted, masked, at most ``MAX_TESTS``."""
    lines = clean_lines(log)
    found: set[str] = set()
    for extract in EXTRACTORS:
        found.update(mask_secrets(test_id.strip())[:MAX_ID_CHARS] for test_id in extract(lines))
    found.discard("")
    return tuple(sorted(found)[:MAX_TESTS])
