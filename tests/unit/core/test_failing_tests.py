"""Failing test ids read from each tool's output: real logs of the corpus (train side only) and
the output shapes the tools document."""

import pytest

from app.core.analysis.failing_tests import MAX_TESTS, failing_tests
from tests.support.corpus import ROOT, corpus_split

LOGS = ROOT / "tests" / "fixtures" / "ci_logs"

# Corpus logs and the tests their thread says failed.
CORPUS = {
    "008_maven_surefire_test_failure.log": ("edu.cmu.tetrad.test.TestFges.testFgesMbFromGraph",),
    "010_cargo_test_assertion_failed.log": (
        "enforcer::tests::test_enforce_ex",
        "management_api::tests::test_get_list",
    ),
    "013_gradle_junit_assertion.log": ("com.cflint.TestCFBugs_VariableNames.QueryValidNameTag",),
    "014_junit_flaky_assertion_sporadic.log": (
        "org.apache.bookkeeper.replication.BookieAutoRecoveryTest"
        ".testEmptyLedgerLosesQuorumEventually",
    ),
    "016_go_test_fail_flaky_once.log": ("TestCounterMetric",),
    "088_cargo_test_cwd_race.log": (
        "user_parsed_input::tests::git_flag_local_path_takes_precedence_over_org_repo",
    ),
    "301_pytest_flaky_circleci_rerun.log": ("test_prints_on_failure",),
    "303_rspec_flaky_order_csv.log": (
        "LearningHoursReport#to_csv when there are learning hours includes all learning hours",
    ),
    "304_rspec_system_flaky_capybara.log": ("Topics allows the user to filter topics by label",),
    "329_pytest_numpy2_uint_wraparound.log": ("TestNumpyAdapter.test_int",),
    "353_jest_toequal_local_timezone_labels.log": (
        "src/app/containers/PageViewAnalytics/labelHelpers/index.test.js › getCurrentTime › "
        'should return hours, mins and seconds joined by "x"',
    ),
    "373_dotnet_fluentassertions_flaky_rerun.log": (
        "Sentry.Tests.Protocol.TransactionTests.Finish_SentryRequestTransactionGetsIgnored",
    ),
    "564_cargo_testsuite_spurious_order_assertion.log": ("registry::not_found_permutations",),
    "565_cargo_test_beta_toolchain_regression.log": (
        "multiple_targets",
        "multiple_targets_2",
        "multiple_targets_3",
        "multiple_targets_4",
        "self_test",
    ),
}
NO_TESTS = (
    "004_maven_cannot_find_symbol.log",
    "040_npm_econnreset_actions.log",
    "012_go_test_timed_out_panic.log",  # the panic names no running test in this log
)


@pytest.mark.parametrize("name", [*CORPUS, *NO_TESTS])
def test_corpus_examples_are_on_the_train_side(name):
    entries = {e["file"]: e for e in corpus_split.load_entries()}
    assert corpus_split.side_of(entries[name], corpus_split.load_split()) == "train"


@pytest.mark.parametrize(("name", "expected"), CORPUS.items())
def test_real_logs_name_their_failing_tests(name, expected):
    assert failing_tests((LOGS / name).read_text()) == expected


@pytest.mark.parametrize("name", NO_TESTS)
def test_logs_without_failing_tests_name_none(name):
    assert failing_tests((LOGS / name).read_text()) == ()


def test_pytest_short_summary_gives_node_ids():
    log = """\
2024-05-01T10:00:00.1234567Z =================================== FAILURES ===================================
2024-05-01T10:00:00.1234567Z _________________________ TestLogin.test_expired _________________________
2024-05-01T10:00:00.1234567Z E       assert 401 == 200
2024-05-01T10:00:00.1234567Z =========================== short test summary info ============================
2024-05-01T10:00:00.1234567Z FAILED tests/test_api.py::TestLogin::test_expired - assert 401 == 200
2024-05-01T10:00:00.1234567Z FAILED tests/test_api.py::test_rate[2-fast] - AssertionError: slow
2024-05-01T10:00:00.1234567Z ERROR tests/test_db.py::test_connect - ConnectionRefusedError
2024-05-01T10:00:00.1234567Z ========================= 3 failed, 12 passed in 1.20s =========================
"""
    assert failing_tests(log) == (
        "tests/test_api.py::TestLogin::test_expired",
        "tests/test_api.py::test_rate[2-fast]",
        "tests/test_db.py::test_connect",
    )


def test_pytest_verbose_and_xdist_lines_give_node_ids():
    log = (
        "tests/test_api.py::test_login FAILED                                     [ 50%]\n"
        "[gw1] [ 75%] FAILED tests/test_api.py::test_logout \n"
    )
    assert failing_tests(log) == ("tests/test_api.py::test_login", "tests/test_api.py::test_logout")


def test_a_pytest_collection_error_names_no_test():
    log = "ERROR tests/test_api.py - ModuleNotFoundError: No module named 'requests'\n"
    assert failing_tests(log) == ()


def test_vitest_failed_tests_section():
    log = """\
⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  src/sum.test.ts > sum > adds negative numbers
AssertionError: expected -1 to be 1 // Object.is equality
 FAIL  |unit| src/api.test.ts > fetches the user
"""
    assert failing_tests(log) == (
        "src/api.test.ts > fetches the user",
        "src/sum.test.ts > sum > adds negative numbers",
    )


def test_jest_tests_are_named_with_their_file():
    log = """\
 FAIL  src/sum.test.js (5.21 s)
  ● sum › adds 1 + 2 to equal 3

    expect(received).toBe(expected) // Object.is equality
  ● Console

 FAIL  src/app.test.js
  ● Test suite failed to run
"""
    assert failing_tests(log) == ("src/sum.test.js › sum › adds 1 + 2 to equal 3",)


def test_go_tests_are_named_with_their_package_and_only_failing_subtests_count():
    log = """\
--- FAIL: TestAdd (0.00s)
    --- FAIL: TestAdd/negative (0.00s)
        add_test.go:14: got 3, want -1
--- FAIL: TestSub (0.01s)
FAIL
FAIL\texample.com/calc\t0.012s
--- FAIL: TestParse (0.00s)
FAIL
FAIL\texample.com/calc/parse\t0.004s
FAIL
"""
    assert failing_tests(log) == (
        "example.com/calc.TestAdd/negative",
        "example.com/calc.TestSub",
        "example.com/calc/parse.TestParse",
    )


def test_go_timeout_names_the_tests_still_running():
    log = """\
panic: test timed out after 10m0s
running tests:
\tTestWatch (10m0s)

goroutine 7 [running]:
FAIL\texample.com/watch\t600.021s
"""
    assert failing_tests(log) == ("example.com/watch.TestWatch",)


def test_surefire_3_junit_4_and_junit_5_provider_lines():
    log = """\
[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.041 s <<< FAILURE! -- in com.example.AppTest
[ERROR] com.example.AppTest.testApp -- Time elapsed: 0.008 s <<< FAILURE!
testLegacy(com.example.LegacyTest)  Time elapsed: 0.01 sec  <<< FAILURE!
[ERROR] Tests run: 1, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE! - in com.example.ClientTest
[ERROR] connects  Time elapsed: 0.1 s  <<< ERROR!
[ERROR] Failures:
[ERROR]   AppTest.testApp:12 expected: <1> but was: <2>
"""
    assert failing_tests(log) == (
        "com.example.AppTest.testApp",
        "com.example.ClientTest.connects",
        "com.example.LegacyTest.testLegacy",
    )


def test_gradle_nested_junit_5_tests():
    log = """\
> Task :test FAILED

CalculatorTest > Addition > addsTwoNumbers() FAILED
    org.opentest4j.AssertionFailedError at CalculatorTest.java:21
"""
    assert failing_tests(log) == ("CalculatorTest.Addition.addsTwoNumbers",)


def test_rspec_numbered_failures_without_failure_error_are_not_tests():
    log = "  1) flags\n       --fuzz\n     AssertionError [ERR_ASSERTION]: '5' == undefined\n"
    assert failing_tests(log) == ()


def test_cargo_test_results_and_failure_list():
    log = """\
running 3 tests
test parser::tests::empty ... ok
test parser::tests::nested ... FAILED
test src/lib.rs - parse (line 12) ... FAILED

failures:

---- parser::tests::nested stdout ----
thread 'parser::tests::nested' panicked at src/parser.rs:40:9:

failures:
    parser::tests::nested
    src/lib.rs - parse (line 12)

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
"""
    assert failing_tests(log) == ("parser::tests::nested", "src/lib.rs - parse (line 12)")


def test_test_ids_are_masked():
    token = "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"
    log = f"FAILED tests/test_auth.py::test_token[{token}] - assert False\n"
    [test_id] = failing_tests(log)
    assert token not in test_id
    assert test_id.startswith("tests/test_auth.py::test_token[")


def test_at_most_max_tests_are_kept():
    log = "".join(f"--- FAIL: TestCase{i:04d} (0.00s)\n" for i in range(MAX_TESTS + 20))
    assert len(failing_tests(log)) == MAX_TESTS
