"""Signatures: the same root cause in two runs matches; a different cause does not."""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.analysis.signature import compute_signature, normalize_line, normalize_template

RUN_A = """\
2024-03-01T10:11:12.1234567Z Run npm ci
2024-03-01T10:11:40.7654321Z npm ERR! code ECONNRESET
2024-03-01T10:11:40.7654322Z npm ERR! network request to https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz?cache=1 failed, reason: read ECONNRESET
2024-03-01T10:11:40.9000000Z npm ERR! A complete log of this run can be found in: /home/runner/.npm/_logs/2024-03-01T10_11_40_862Z-debug-0.log
2024-03-01T10:11:41.0000000Z ##[error]Process completed with exit code 1.
"""
RUN_B = """\
2024-05-07T22:01:02.0000001Z Run npm ci
2024-05-07T22:03:15.1111111Z npm ERR! code ECONNRESET
2024-05-07T22:03:15.2222222Z npm ERR! network request to https://registry.npmjs.org/react/-/react-18.2.0.tgz failed, reason: read ECONNRESET
2024-05-07T22:03:15.3333333Z npm ERR! A complete log of this run can be found in: C:\\npm\\cache\\_logs\\2024-05-07T22_03_15_001Z-debug-0.log
2024-05-07T22:03:16.4444444Z ##[error]Process completed with exit code 1.
"""


def test_paths_from_different_runners_normalize_the_same() -> None:
    posix = normalize_line("/home/runner/work/x/x/src/a.py:12: error: bad")
    windows = normalize_line(r"D:\a\x\x\src\a.py:12: error: bad")
    assert posix == windows == "<path>/a.py:<n>: error: bad"


def test_numbers_and_commit_shas_are_masked() -> None:
    line = "job 93930291402 at 3a2844b7e9c422d3c10d287c895573f7108da1b3 failed"
    assert normalize_line(line) == "job <n> at <n> failed"


def test_uuids_are_masked() -> None:
    assert normalize_line("run 123e4567-e89b-12d3-a456-426614174000 failed") == "run <uuid> failed"


def test_timestamps_and_dates_are_masked() -> None:
    assert normalize_line("2024-01-01T12:34:56.1234567Z at 19:52:22 on 2021-07-14") == (
        "<time> at <time> on <time>"
    )


def test_durations_are_masked() -> None:
    line = "took 12.3s then 450ms then 2m 3s then 10m0s"
    assert normalize_line(line) == "took <dur> then <dur> then <dur> then <dur>"


def test_versions_are_masked() -> None:
    assert normalize_line("node v18.17.0 needs 1.2.3") == "node <v> needs <v>"


def test_ip_addresses_and_ports_are_masked() -> None:
    assert (
        normalize_line("dial tcp 172.217.160.81:443: i/o timeout") == "dial tcp <ip>: i/o timeout"
    )


def test_urls_keep_only_the_host() -> None:
    line = "GET https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz?cache=1 503"
    assert normalize_line(line) == "get <url:registry.npmjs.org> <n>"


def test_temp_names_are_masked() -> None:
    assert normalize_line("unpack into tmp8bipot1a failed") == "unpack into <tmp> failed"


def test_kubernetes_pod_names_lose_their_random_suffix() -> None:
    assert normalize_line("pod web-6846f658db-w4qhj crashed") == "pod web-<n>-<pod> crashed"


def test_template_is_lower_case_with_collapsed_whitespace() -> None:
    assert normalize_template("ERROR:   Something   BROKE") == "error: something broke"


def test_template_keeps_only_the_error_lines() -> None:
    template = normalize_template("Downloading things\nerror: disk full\nDone in 3s")
    assert template == "error: disk full"


def test_excerpt_without_error_lines_uses_its_last_lines() -> None:
    assert normalize_template("step one\nstep two") == "step one\nstep two"


def test_order_of_lines_does_not_change_the_signature() -> None:
    first = compute_signature("error: alpha\nerror: beta")
    assert compute_signature("error: beta\nerror: alpha") == first


def test_same_root_cause_in_two_runs_gives_the_same_signature() -> None:
    assert compute_signature(RUN_A) == compute_signature(RUN_B)


def test_different_causes_give_different_signatures() -> None:
    compile_error = "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."
    assert compute_signature(RUN_A)[1] != compute_signature(compile_error)[1]


def test_signature_hash_is_the_sha256_of_the_template() -> None:
    template, digest = compute_signature(RUN_A)
    assert digest == hashlib.sha256(template.encode()).hexdigest()


_WORDS = st.sampled_from(
    ["error:", "failed", "request", "to", "npm", "ERR!", "exit", "code", "Killed", "timeout", "at"]
)
_NUMBER = st.integers(0, 10**12).map(str)
_SHA = st.text("0123456789abcdef", min_size=7, max_size=40).filter(
    lambda s: any(c.isdigit() for c in s)
)


@settings(max_examples=300)
@given(
    st.lists(st.one_of(_WORDS, st.just("{}")), min_size=1, max_size=30),
    st.data(),
)
def test_signature_ignores_numbers_and_hex_ids(tokens: list[str], data: st.DataObject) -> None:
    template = " ".join(tokens).replace(" at ", "\n")
    holes = template.count("{}")
    first = template.format(
        *data.draw(st.lists(st.one_of(_NUMBER, _SHA), min_size=holes, max_size=holes))
    )
    second = template.format(
        *data.draw(st.lists(st.one_of(_NUMBER, _SHA), min_size=holes, max_size=holes))
    )
    assert compute_signature(first) == compute_signature(second)


def test_normalizing_a_template_again_changes_nothing() -> None:
    template = normalize_template(RUN_A)
    assert normalize_template(template) == template
