"""The rule classifier on each tool's own error vocabulary.

One or two lines per case, written from the messages the tools document (npm error codes,
NuGet NUxxxx, HTTP statuses next to the words each client prints, kubelet reasons, BuildKit
and Argo CD sentences), never taken from the labelled corpus: these check that a family is
recognised by its vocabulary, and that families which look alike are told apart.
"""

from pathlib import Path

import pytest

from app.core.analysis.excerpt import build_excerpt
from app.domain.classification.rule_classifier import RuleClassifier

PATTERNS = Path(__file__).parents[3] / "config" / "failure_patterns.yaml"

AUTO, ASK, PERSON = "auto", "unknown", "manual"
GENERIC_EXIT = "##[error]Process completed with exit code 1."


@pytest.fixture(scope="module")
def classifier() -> RuleClassifier:
    return RuleClassifier.from_file(PATTERNS)


def verdict_of(classifier: RuleClassifier, lines: list[str]) -> tuple[str, str, str]:
    verdict = classifier.classify(build_excerpt("\n".join(lines)).text)
    return verdict.category.value, verdict.action.value, verdict.fixability.value


def case(name: str, lines: list[str], category: str, action: str, fixability: str):
    return pytest.param(lines, (category, action, fixability), id=name)


NETWORK = "transient_network"
RERUN = "rerun_failed_jobs"

NETWORK_RESETS_AND_TIMEOUTS = [
    case("npm_etimedout", ["npm ERR! code ETIMEDOUT"], NETWORK, RERUN, AUTO),
    case("npm_eai_again", ["npm error code EAI_AGAIN"], NETWORK, RERUN, AUTO),
    case(
        "yarn_esockettimedout",
        ['error An unexpected error occurred: "https://registry.yarnpkg.com/a: ESOCKETTIMEDOUT".'],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "pnpm_meta_fetch_fail",
        [" ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/a: socket hang up"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "pip_read_timeout",
        ["ReadTimeoutError: HTTPSConnectionPool(host='pypi.org', port=443): Read timed out."],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "cargo_spurious_network_error",
        ["warning: spurious network error (2 tries remaining): [28] Timeout was reached"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "go_proxy_dial_timeout",
        ['go: a.b/c@v1.0.0: Get "https://proxy.golang.org/a": dial tcp 1.2.3.4:443: i/o timeout'],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "maven_transfer_connection_reset",
        [
            "[ERROR] Could not transfer artifact a:b:pom:1.0 from/to central "
            "(https://repo.maven.apache.org/maven2): Connection reset"
        ],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "gradle_received_502",
        ["> Could not GET 'https://repo.example/a.pom'. Received status code 502 from server"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "bundler_fetch_error",
        ["Gem::RemoteFetcher::FetchError: Net::OpenTimeout (https://rubygems.org/gems/a.gem)"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "nuget_service_index_unreachable",
        [
            "error NU1301: Unable to load the service index for source https://api.nuget.org/v3/index.json."
        ],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "git_could_not_resolve_host",
        ["fatal: unable to access 'https://github.com/a/b/': Could not resolve host: github.com"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "curl_recv_failure",
        ["curl: (56) Recv failure: Connection reset by peer"],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "helm_repo_dns",
        [
            'Error: looks like "https://charts.example" is not a valid chart repository or cannot '
            "be reached: dial tcp: lookup charts.example on 127.0.0.53:53: server misbehaving"
        ],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "terraform_registry_discovery_timeout",
        [
            "could not connect to registry.terraform.io: Failed to request discovery document: "
            "net/http: request canceled (Client.Timeout exceeded while awaiting headers)"
        ],
        NETWORK,
        RERUN,
        AUTO,
    ),
    case(
        "pip_hash_mismatch_asks",
        ["ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."],
        NETWORK,
        RERUN,
        ASK,
    ),
]

RATE = "rate_limited"

RATE_LIMITS = [
    case("npm_e429", ["npm ERR! code E429", "npm ERR! 429 Too Many Requests"], RATE, RERUN, AUTO),
    case(
        "maven_status_code_429",
        [
            "Could not transfer artifact a:b:jar:1 from/to central: status code: 429, reason phrase: x"
        ],
        RATE,
        RERUN,
        AUTO,
    ),
    case(
        "gradle_received_429",
        ["> Could not GET 'https://repo.example/a.pom'. Received status code 429 from server"],
        RATE,
        RERUN,
        AUTO,
    ),
    case(
        "nuget_response_429",
        ["error : Response status code does not indicate success: 429 (Too Many Requests)."],
        RATE,
        RERUN,
        AUTO,
    ),
    # GitHub's API limits and Docker Hub's pull limit: whether the window passes by the next
    # run or the job must authenticate or slow down is a person's call.
    case(
        "github_api_rate_limit",
        ["HttpError: API rate limit exceeded for installation ID 42."],
        RATE,
        RERUN,
        ASK,
    ),
    case(
        "github_secondary_rate_limit",
        ["You have exceeded a secondary rate limit."],
        RATE,
        RERUN,
        ASK,
    ),
    case(
        "github_unauthenticated_rate_limit",
        [
            "Error: API rate limit exceeded for 52.160.111.19. (But here's the good news: "
            "Authenticated requests get a higher rate limit.)"
        ],
        RATE,
        "none",
        PERSON,
    ),
    case(
        "cargo_got_429",
        [
            "failed to get successful HTTP response from `https://index.crates.io/config.json`, got 429"
        ],
        RATE,
        RERUN,
        AUTO,
    ),
    case("aws_throttling", ["ThrottlingException: Rate exceeded"], RATE, RERUN, AUTO),
    case(
        "docker_hub_pull_limit",
        ["toomanyrequests: You have reached your pull rate limit."],
        RATE,
        RERUN,
        ASK,
    ),
    case(
        "registry_names_its_retry_time",
        [
            "Error response from daemon: toomanyrequests: retry-after: 84.67µs, allowed: 44000/minute"
        ],
        RATE,
        RERUN,
        AUTO,
    ),
]

AUTH = "auth_expired_credentials"
REFRESH = "refresh_secret"

CREDENTIALS = [
    case(
        "azure_client_secret_expired",
        ["AADSTS7000222: The provided client secret keys for app 'x' are expired."],
        AUTH,
        REFRESH,
        AUTO,
    ),
    case(
        "git_invalid_username_or_password",
        ["remote: Invalid username or password.", "fatal: Authentication failed for 'https://x/'"],
        AUTH,
        REFRESH,
        AUTO,
    ),
    case(
        "docker_login_incorrect_password",
        [
            'Error response from daemon: Get "https://r.example/v2/": unauthorized: incorrect username or password'
        ],
        AUTH,
        REFRESH,
        AUTO,
    ),
    case("github_bad_credentials", ["HttpError: Bad credentials"], AUTH, REFRESH, AUTO),
    case(
        "gcloud_invalid_grant",
        [
            "ERROR: (gcloud.auth) There was a problem refreshing your current auth tokens: invalid_grant"
        ],
        AUTH,
        REFRESH,
        AUTO,
    ),
    case(
        "gcloud_account_gone_is_a_person",
        [
            "There was a problem refreshing your current auth tokens: invalid_grant: account not found"
        ],
        AUTH,
        "none",
        PERSON,
    ),
    case(
        "npm_e401_asks",
        ["npm ERR! code E401", "npm ERR! Unable to authenticate, need: Basic realm=x"],
        AUTH,
        REFRESH,
        ASK,
    ),
    case(
        "maven_status_code_401_asks",
        [
            "Could not transfer artifact a:b:pom:1 from/to internal: status code: 401, reason phrase: x"
        ],
        AUTH,
        REFRESH,
        ASK,
    ),
    case(
        "aws_session_expired_asks",
        ["An error occurred (ExpiredToken): The security token included in the request is expired"],
        AUTH,
        REFRESH,
        ASK,
    ),
    case(
        "github_token_permission_is_a_person",
        ["HttpError: Resource not accessible by integration"],
        AUTH,
        "none",
        PERSON,
    ),
    case(
        "git_missing_credentials_is_a_person",
        ["fatal: could not read Username for 'https://github.com': terminal prompts disabled"],
        AUTH,
        "none",
        PERSON,
    ),
]

PULL = "docker_image_pull"

CI_IMAGE_PULLS = [
    case(
        "tag_not_found",
        [
            "Error response from daemon: manifest for a/b:9 not found: manifest unknown: manifest unknown"
        ],
        PULL,
        "none",
        PERSON,
    ),
    case(
        "pull_access_denied",
        ["Error response from daemon: pull access denied for a/b, repository does not exist"],
        PULL,
        "none",
        PERSON,
    ),
    case(
        "base_image_not_found_in_build",
        [
            "ERROR: failed to solve: a:9: failed to resolve source metadata for "
            "docker.io/library/a:9: docker.io/library/a:9: not found"
        ],
        PULL,
        "none",
        PERSON,
    ),
    case(
        "registry_503",
        [
            'Error response from daemon: Get "https://registry-1.docker.io/v2/": '
            "received unexpected HTTP status: 503 Service Unavailable"
        ],
        PULL,
        RERUN,
        AUTO,
    ),
]

K8S_PULL = "k8s_image_pull"
KUBELET = "Warning  Failed  kubelet  Error: ErrImagePull"

KUBELET_IMAGE_PULLS = [
    case(
        "not_found",
        [
            KUBELET,
            'Failed to pull image "a:9": failed to resolve reference "docker.io/library/a:9": not found',
        ],
        K8S_PULL,
        "none",
        PERSON,
    ),
    case(
        "unauthorized",
        [KUBELET, 'Failed to pull image "r.example/a:1": 401 Unauthorized'],
        K8S_PULL,
        "none",
        PERSON,
    ),
    case(
        "untrusted_certificate",
        [
            KUBELET,
            'Failed to pull image "r.local/a": x509: certificate signed by unknown authority',
        ],
        K8S_PULL,
        "none",
        PERSON,
    ),
    case(
        "rate_limited",
        [KUBELET, 'Failed to pull image "a": 429 Too Many Requests - toomanyrequests'],
        RATE,
        RERUN,
        ASK,
    ),
    case(
        "registry_503",
        [KUBELET, 'Failed to pull image "a": 503 Service Unavailable'],
        K8S_PULL,
        "restart_pod",
        AUTO,
    ),
]

CRASH = "k8s_crashloop"

KUBERNETES_WORKLOADS = [
    case(
        "crashloop_escalates",
        ["Warning  BackOff  kubelet  Back-off restarting failed container app in pod app-1"],
        CRASH,
        "none",
        PERSON,
    ),
    case(
        "liveness_probe_failed",
        [
            "Warning  Unhealthy  kubelet  Liveness probe failed: HTTP probe failed with statuscode: 500"
        ],
        CRASH,
        "none",
        PERSON,
    ),
    case(
        "missing_secret",
        ["Warning  Failed  kubelet  Error: CreateContainerConfigError", 'secret "db" not found'],
        CRASH,
        "none",
        PERSON,
    ),
    case(
        "oomkilled",
        [
            "    Last State:     Terminated",
            "      Reason:       OOMKilled",
            "      Exit Code:    137",
        ],
        "k8s_oom",
        "scale_memory",
        ASK,
    ),
]

ARGO = "argocd_sync_error"

ARGO_CD = [
    case(
        "repo_server_unavailable_asks_for_refresh",
        [
            "ComparisonError: Failed to load target state: failed to generate manifest for source "
            "1 of 1: rpc error: code = Unavailable desc = connection error"
        ],
        ARGO,
        "argocd_hard_refresh",
        ASK,
    ),
    case(
        "chart_does_not_render",
        [
            "ComparisonError: rpc error: code = Unknown desc = Manifest generation error: "
            'template: app/templates/deploy.yaml:12:20: executing "app/templates/deploy.yaml" '
            "at <.Values.image.tag>: nil pointer evaluating interface {}.tag"
        ],
        ARGO,
        "none",
        PERSON,
    ),
    case(
        "not_permitted_in_project",
        ["namespace kube-system is not permitted in project 'team'"],
        ARGO,
        "none",
        PERSON,
    ),
    case(
        "owned_by_another_app",
        ["SharedResourceWarning: Namespace/team-a is part of applications argocd/a and b"],
        ARGO,
        "none",
        PERSON,
    ),
    case(
        "missing_crd",
        ["SyncFailed  the server could not find the requested resource"],
        ARGO,
        "none",
        PERSON,
    ),
    case(
        "no_matches_for_kind",
        ['no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'],
        ARGO,
        "none",
        PERSON,
    ),
    case(
        "sync_hook_failed",
        [
            "SyncFailed  PreSync hook batch/Job/migrate failed",
            "Job has reached the specified backoff limit",
        ],
        ARGO,
        "none",
        PERSON,
    ),
]

CACHE = "docker_build_cache"

BUILD_CACHES_AND_DOCKERFILES = [
    case(
        "cache_blob_unknown",
        [
            "#9 importing cache manifest from ghcr.io/a/b:cache",
            "#9 ERROR: blob unknown: blob unknown to registry",
        ],
        CACHE,
        "rerun_no_cache",
        AUTO,
    ),
    case(
        "cache_service_503",
        ["Warning: Failed to restore: Cache service responded with 503"],
        CACHE,
        "rerun_no_cache",
        AUTO,
    ),
    case(
        "cache_export_asks",
        [
            "ERROR: failed to solve: failed to export cache: error writing layer blob: 400 Bad Request"
        ],
        CACHE,
        RERUN,
        ASK,
    ),
    case(
        "copy_source_missing_is_a_dockerfile_mistake",
        [
            "ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of "
            'ref abc::def: "/app/package.json": not found'
        ],
        "config_syntax",
        "none",
        PERSON,
    ),
    case(
        "dockerfile_unknown_instruction",
        ["ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN"],
        "config_syntax",
        "config_fix_pr",
        ASK,
    ),
]

TIME = "timeout"

TIME_LIMITS = [
    case(
        "github_job_time_limit",
        ["The job running on runner R has exceeded the maximum execution time of 360 minutes."],
        TIME,
        "none",
        PERSON,
    ),
    case(
        "azure_job_time_limit",
        ["The job running on agent A ran longer than the maximum time of 60 minutes."],
        TIME,
        "none",
        PERSON,
    ),
    case(
        "gitlab_job_time_limit",
        ["ERROR: Job failed: execution took longer than 1h0m0s seconds"],
        TIME,
        "none",
        PERSON,
    ),
    case(
        "circleci_no_output",
        ["Too long with no output (exceeded 10m0s): context deadline exceeded"],
        TIME,
        RERUN,
        ASK,
    ),
    case(
        "cancelled_with_a_running_process",
        ["##[error]The operation was canceled.", "Terminate orphan process: pid (42) (node)"],
        TIME,
        RERUN,
        ASK,
    ),
    case(
        "cancelled_alone_is_unknown",
        ["##[error]The operation was canceled."],
        "unknown",
        "none",
        ASK,
    ),
    case(
        "go_test_timeout_is_a_test",
        ["panic: test timed out after 10m0s"],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "pytest_timeout_is_a_test", ["E   Failed: Timeout >60.0s"], "test_failure", "none", PERSON
    ),
    case(
        "mocha_timeout_is_a_test",
        ["Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure done() is called"],
        "test_failure",
        "none",
        PERSON,
    ),
]

RUNNER = "runner_infrastructure"

RUNNERS_AND_MEMORY = [
    case(
        "hosted_runner_lost",
        ["The hosted runner: GitHub Actions 3 lost communication with the server."],
        RUNNER,
        RERUN,
        AUTO,
    ),
    case(
        "self_hosted_runner_lost_asks",
        ["The self-hosted runner: ci-01 lost communication with the server."],
        RUNNER,
        RERUN,
        ASK,
    ),
    case(
        "runner_provisioning_failed",
        ["An error occurred while provisioning resources (Error Type: Failure)."],
        RUNNER,
        RERUN,
        AUTO,
    ),
    case(
        "disk_full_is_a_person",
        ["System.IO.IOException: No space left on device"],
        RUNNER,
        "none",
        PERSON,
    ),
    case(
        "gcc_killed",
        ["c++: fatal error: Killed signal terminated program cc1plus"],
        "out_of_memory",
        "none",
        PERSON,
    ),
    case(
        "go_runtime_oom", ["fatal error: runtime: out of memory"], "out_of_memory", "none", PERSON
    ),
    case(
        "rustc_sigkill_is_memory_not_code",
        [
            "error: could not compile `big` (lib)",
            "process didn't exit successfully: `rustc` (signal: 9, SIGKILL: kill)",
        ],
        "out_of_memory",
        "none",
        PERSON,
    ),
]

CODE = [
    case(
        "csharp_compiler",
        ["Program.cs(10,5): error CS0103: The name 'x' does not exist in the current context"],
        "compile_error",
        "none",
        PERSON,
    ),
    case(
        "rspec_failure",
        ["  1) User saves", "     Failure/Error: expect(x).to eq 1"],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "dotnet_test_failed", ["  Failed Suite.Case.Works [12 ms]"], "test_failure", "none", PERSON
    ),
    case(
        "pnpm_outdated_lockfile",
        [
            ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date'
        ],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "cargo_locked",
        [
            "error: the lock file /w/Cargo.lock needs to be updated but --locked was passed to prevent this"
        ],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "nuget_package_missing",
        [
            "error NU1101: Unable to find package A.B. No packages exist with this id in source(s): nuget.org"
        ],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "uv_unsatisfiable",
        ["  × No solution found when resolving dependencies:"],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "terraform_unsupported_argument",
        ["Error: Unsupported argument", '  on main.tf line 3, in resource "a" "b":'],
        "config_syntax",
        "none",
        PERSON,
    ),
    case(
        "helm_lint_function_not_defined",
        [
            '[ERROR] templates/: parse error at (c/templates/a.yaml:5): function "lookupp" not defined'
        ],
        "config_syntax",
        "none",
        PERSON,
    ),
    case(
        "go_vet_copylocks",
        ["main.go:10:2: call of f copies lock value: sync.Mutex"],
        "lint_format",
        "none",
        PERSON,
    ),
    case(
        "nextest_flaky",
        ["        FLAKY 2/3 [   0.512s] crate::tests::races"],
        "flaky_test",
        RERUN,
        AUTO,
    ),
    case(
        "pytest_rerun_then_failed_is_not_flaky",
        ["FAILED tests/test_a.py::test_b - assert 1 == 2", "==== 1 failed, 2 rerun in 3.10s ===="],
        "test_failure",
        "none",
        PERSON,
    ),
]


@pytest.mark.parametrize(("lines", "expected"), NETWORK_RESETS_AND_TIMEOUTS)
def test_network_resets_and_timeouts_are_rerun(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), RATE_LIMITS)
def test_rate_limits_are_told_from_network_errors(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), CREDENTIALS)
def test_expired_rejected_missing_and_forbidden_credentials(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), CI_IMAGE_PULLS)
def test_ci_image_pulls_not_found_versus_registry_outage(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), KUBELET_IMAGE_PULLS)
def test_kubelet_image_pulls_by_cause(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), KUBERNETES_WORKLOADS)
def test_crash_loops_and_probes_go_to_a_person(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), ARGO_CD)
def test_argo_cd_failures_by_kind(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), BUILD_CACHES_AND_DOCKERFILES)
def test_build_cache_errors_versus_dockerfile_mistakes(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), TIME_LIMITS)
def test_job_time_limits_versus_stalls_versus_test_timeouts(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), RUNNERS_AND_MEMORY)
def test_runner_lost_versus_disk_full_versus_out_of_memory(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


@pytest.mark.parametrize(("lines", "expected"), CODE)
def test_code_dependency_and_config_failures_go_to_a_person(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


def test_a_yaml_error_inside_an_argo_cd_comparison_is_an_argo_cd_error(classifier) -> None:
    lines = [
        "ComparisonError: failed to generate manifest: rpc error: code = Unknown desc = "
        "Manifest generation error: error converting YAML to JSON: yaml: line 4: did not find expected key"
    ]
    assert verdict_of(classifier, lines)[0] == ARGO


def test_a_429_next_to_a_dependency_error_is_still_a_rate_limit(classifier) -> None:
    lines = [
        "> Could not resolve all files for configuration ':classpath'.",
        "   > Could not GET 'https://repo.example/a.pom'. Received status code 429 from server",
    ]
    assert verdict_of(classifier, lines) == (RATE, RERUN, AUTO)


def test_a_refused_connection_to_this_machine_is_not_a_network_blip(classifier) -> None:
    lines = ["Error: connect ECONNREFUSED 127.0.0.1:5432"]
    assert verdict_of(classifier, lines)[2] != AUTO


def test_a_cache_restore_warning_alone_is_not_the_cause(classifier) -> None:
    lines = ["Warning: Failed to restore: getCacheEntry failed", GENERIC_EXIT]
    assert verdict_of(classifier, lines) == ("unknown", "none", ASK)


def test_a_cache_hit_that_cannot_be_restored_is_a_broken_cache(classifier) -> None:
    lines = [
        "Cache hit for: deps-abc",
        "Warning: Failed to restore: Cache not found for input keys",
    ]
    assert verdict_of(classifier, lines) == (CACHE, "rerun_no_cache", AUTO)


def test_an_image_pull_back_off_without_a_reason_goes_to_a_person(classifier) -> None:
    lines = ["Warning  Failed  kubelet  Error: ImagePullBackOff"]
    assert verdict_of(classifier, lines) == (K8S_PULL, "none", PERSON)


def test_an_eviction_for_node_memory_asks_to_scale_memory(classifier) -> None:
    lines = ["Status: Failed", "Reason: Evicted", "Message: The node was low on resource: memory."]
    assert verdict_of(classifier, lines) == ("k8s_oom", "scale_memory", ASK)


def test_argo_cd_unable_to_read_its_repository_goes_to_a_person(classifier) -> None:
    lines = [
        "ComparisonError: failed to load target state: rpc error: code = Unknown desc = "
        "authentication required"
    ]
    assert verdict_of(classifier, lines) == (ARGO, "none", PERSON)


def test_a_buildkit_step_killed_with_exit_137_is_not_a_guessed_fix(classifier) -> None:
    lines = ['ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 137']
    assert verdict_of(classifier, lines) == ("unknown", "none", ASK)


def test_a_compose_schema_error_is_config_syntax(classifier) -> None:
    lines = ["services.web Additional property buidl is not allowed"]
    assert verdict_of(classifier, lines)[0] == "config_syntax"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        case(
            "poetry_no_installation_candidates",
            ["Unable to find installation candidates for a (1.0.0)"],
            "dependency_resolution",
            "none",
            PERSON,
        ),
        case(
            "pip_resolver_traceback",
            [
                "Traceback (most recent call last):",
                '  File "/x/site-packages/pip/_vendor/resolvelib/resolvers.py", line 1, in resolve',
            ],
            "dependency_resolution",
            "none",
            PERSON,
        ),
        case(
            "ruff_fixable_summary",
            ["Found 3 errors.", "[*] 2 fixable with the `--fix` option."],
            "lint_format",
            "none",
            PERSON,
        ),
        case(
            "argo_destination_not_allowed",
            ["namespace 'b' do not match any of the allowed destinations in project 'p'"],
            ARGO,
            "none",
            PERSON,
        ),
        case(
            "argo_live_state_schema",
            [
                "Failed to compare desired state to live state: failed to perform pre-diff "
                "normalization: .status: field not declared in schema"
            ],
            ARGO,
            "none",
            PERSON,
        ),
        case(
            "concurrency_group_cancel",
            ["Canceling since a higher priority waiting request for 'ci-main' exists"],
            "config_syntax",
            "none",
            PERSON,
        ),
    ],
)
def test_more_tool_vocabulary(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected


# Vocabulary of more tools and CI systems: each case written from the message the tool prints.
WIDER_VOCABULARY = [
    case(
        "java_tls_handshake_cut",
        ["javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake"],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "dotnet_ssl_not_established",
        ["The SSL connection could not be established, see inner exception."],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "apt_temporary_failure_resolving",
        [
            "W: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/focal/InRelease  Temporary failure resolving 'archive.ubuntu.com'"
        ],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "apt_mirror_sync_in_progress",
        [
            "E: Failed to fetch https://packages.example/Packages.gz  File has unexpected size (17314 != 17306). Mirror sync in progress? [IP: 10.0.0.1 443]"
        ],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "libcurl_timeout_was_reached",
        [
            "error: unable to download 'https://cache.nixos.org/nar/abc.nar.xz': Timeout was reached (28)"
        ],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "powershell_unable_to_connect",
        ["Invoke-WebRequest : Unable to connect to the remote server"],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "terraform_provider_download_eof",
        ['Error installing provider "aws": unexpected EOF.'],
        "transient_network",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "git_fetch_429",
        [
            "fatal: unable to access 'https://github.com/a/b/': The requested URL returned error: 429"
        ],
        "rate_limited",
        "rerun_failed_jobs",
        ASK,
    ),
    case(
        "per_ip_limit_wants_a_token",
        [
            "We had to rate limit your IP (10.1.2.3). To continue using our service, create an account and pass a token."
        ],
        "rate_limited",
        "none",
        PERSON,
    ),
    case(
        "docker_login_without_credentials",
        ["Error: Cannot perform an interactive login from a non TTY device"],
        "auth_expired_credentials",
        "none",
        PERSON,
    ),
    case(
        "aws_no_credentials",
        [
            "Error: Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers"
        ],
        "auth_expired_credentials",
        "none",
        PERSON,
    ),
    case(
        "aws_token_invalid",
        [
            "An error occurred (UnrecognizedClientException) when calling the ListFunctions operation: The security token included in the request is invalid."
        ],
        "auth_expired_credentials",
        "refresh_secret",
        AUTO,
    ),
    case(
        "python_requests_401",
        [
            "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://api.example/v4/projects"
        ],
        "auth_expired_credentials",
        "refresh_secret",
        ASK,
    ),
    case(
        "npm_publish_404_on_put",
        ["npm error code E404", "npm error 404 Not Found - PUT https://registry.npmjs.org/@a%2fb"],
        "auth_expired_credentials",
        "refresh_secret",
        ASK,
    ),
    case(
        "cargo_publish_403",
        [
            "Caused by:",
            "  the remote server responded with an error (status 403 Forbidden): authentication failed",
        ],
        "auth_expired_credentials",
        "refresh_secret",
        ASK,
    ),
    case(
        "docker_platform_mismatch",
        ['image operating system "linux" cannot be used on this platform'],
        "docker_image_pull",
        "none",
        PERSON,
    ),
    case(
        "docker_no_matching_manifest",
        ["docker: no matching manifest for linux/arm64/v8 in the manifest list entries."],
        "docker_image_pull",
        "none",
        PERSON,
    ),
    case(
        "k8s_never_pull_absent",
        [
            '  Warning  Failed  kubelet  Error: ErrImageNeverPull: Container image "a:b" is not present with pull policy of Never'
        ],
        "k8s_image_pull",
        "none",
        PERSON,
    ),
    case(
        "k8s_secret_missing",
        ['  Warning  Failed  kubelet  Error: secret "db-password" not found'],
        "k8s_crashloop",
        "none",
        PERSON,
    ),
    case(
        "k8s_run_as_non_root",
        [
            "  Warning  Failed  2m  kubelet  Error: container has runAsNonRoot and image will run as root"
        ],
        "k8s_crashloop",
        "none",
        PERSON,
    ),
    case(
        "gitlab_cache_zip_checksum",
        [
            "Checking cache for default-1...",
            "FATAL: zip: checksum error",
            "Failed to extract cache",
        ],
        "docker_build_cache",
        "rerun_no_cache",
        ASK,
    ),
    case(
        "sccache_remote_cache_down",
        [
            "sccache: error: Server startup failed: cache storage failed to read: Unexpected (temporary) at read"
        ],
        "docker_build_cache",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "azure_hosted_agent_lost",
        [
            "##[error]We stopped hearing from agent Azure Pipelines 3. Verify the agent machine is running and has a healthy network connection."
        ],
        "runner_infrastructure",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "hosted_runner_deprovisioned",
        ["Received request to deprovision: The request was cancelled by the remote provider."],
        "runner_infrastructure",
        "rerun_failed_jobs",
        AUTO,
    ),
    case(
        "runner_pod_evicted_for_disk",
        ["  Warning  Evicted  kubelet  The node was low on resource: ephemeral-storage."],
        "runner_infrastructure",
        "none",
        PERSON,
    ),
    case(
        "gitlab_runner_system_failure",
        [
            "ERROR: Preparation failed: exit status 2",
            "ERROR: Job failed (system failure): exit status 2",
        ],
        "runner_infrastructure",
        "rerun_failed_jobs",
        ASK,
    ),
    case(
        "circleci_memory_limit",
        ["Your build has exceeded the memory limit of 4G on 1 container."],
        "out_of_memory",
        "none",
        PERSON,
    ),
    case(
        "bash_reports_a_killed_job",
        ["/tmp/step.sh: line 1: 40423 Killed                  docker-compose up -d"],
        "out_of_memory",
        "none",
        PERSON,
    ),
    case(
        "gradle_daemon_disappeared",
        [
            "Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)"
        ],
        "out_of_memory",
        "none",
        PERSON,
    ),
    case(
        "windows_paging_file",
        [
            "error='The paging file is too small for this operation to complete' (DOS error/errno=1455)"
        ],
        "out_of_memory",
        "none",
        PERSON,
    ),
    case(
        "helm_wait_timed_out",
        ["Error: UPGRADE FAILED: timed out waiting for the condition"],
        "timeout",
        "none",
        PERSON,
    ),
    case(
        "drone_build_time",
        ["Maximum build time exceeded"],
        "timeout",
        "none",
        PERSON,
    ),
    case(
        "ctest_failures",
        [
            "The following tests FAILED:",
            "\t  2 - structure-test (Failed)",
            "Errors while running CTest",
        ],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "surefire_summary",
        ["[ERROR] Tests run: 12, Failures: 2, Errors: 0, Skipped: 0"],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "exunit_assertion",
        ["     Assertion with == failed", "     code:  assert a == b"],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "xctest_assertion",
        [
            '/src/Tests/ATests.swift:18: error: ATests.testB : XCTAssertEqual failed: ("1") is not equal to ("2")'
        ],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "phpunit_failed_asserting",
        ["Failed asserting that 18 matches expected 17."],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "jasmine_async_timeout",
        [
            "Error: Timeout - Async callback was not invoked within 5000ms (set by jasmine.DEFAULT_TIMEOUT_INTERVAL)"
        ],
        "test_failure",
        "none",
        PERSON,
    ),
    case(
        "karma_browser_disconnected",
        [
            "Chrome Headless 107 (Linux x86_64) ERROR",
            "  Disconnected , because no message in 120000 ms.",
        ],
        "flaky_test",
        "rerun_failed_jobs",
        ASK,
    ),
    case(
        "mypy_error_codes",
        ['pkg/a.py:12: error: Incompatible default for argument "x"  [assignment]'],
        "lint_format",
        "none",
        PERSON,
    ),
    case(
        "shellcheck_gcc_format",
        ["./ci/run.sh:50:6: note: Double quote to prevent globbing and word splitting. [SC2086]"],
        "lint_format",
        "none",
        PERSON,
    ),
    case(
        "stylelint",
        [" 16:3   ✖  Expected indentation of 0 spaces   indentation"],
        "lint_format",
        "none",
        PERSON,
    ),
    case(
        "yamllint_rule",
        ["  2:1  [truthy] truthy value should be one of [false, true]"],
        "lint_format",
        "none",
        PERSON,
    ),
    case(
        "rubocop_clean_run_is_not_a_lint_failure",
        ["1 file inspected, no offenses detected", GENERIC_EXIT],
        "unknown",
        "none",
        ASK,
    ),
    case(
        "ghc_not_in_scope",
        ["src/A.hs:67:41: Not in scope: 'pure'"],
        "compile_error",
        "none",
        PERSON,
    ),
    case(
        "elixir_compile_error",
        ["** (CompileError) lib/a.ex:12: undefined function foo/0"],
        "compile_error",
        "none",
        PERSON,
    ),
    case(
        "dart_compile_error",
        ["lib/main.dart:12:3: Error: The method 'foo' isn't defined for the class 'A'."],
        "compile_error",
        "none",
        PERSON,
    ),
    case(
        "swiftpm_unresolvable",
        ["error: Dependencies could not be resolved because root depends on 'a' 1.0.0..<2.0.0."],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "helm_dependency_not_fetched",
        ["Error: found in Chart.yaml, but missing in charts/ directory: postgresql"],
        "dependency_resolution",
        "none",
        PERSON,
    ),
    case(
        "toml_does_not_parse",
        ["TOML parse error at line 12, column 3"],
        "config_syntax",
        "config_fix_pr",
        ASK,
    ),
    case(
        "gitlab_job_config_invalid",
        [
            "jobs:build:script config should be a string or a nested array of strings up to 10 levels deep"
        ],
        "config_syntax",
        "config_fix_pr",
        ASK,
    ),
    case(
        "jenkins_declarative",
        ["WorkflowScript: 38: Expected a step @ line 38, column 17."],
        "config_syntax",
        "config_fix_pr",
        ASK,
    ),
    case(
        "appveyor_yml",
        ['Error parsing appveyor.yml: "version" value must be a string. (Line: 9, Column: 11)'],
        "config_syntax",
        "config_fix_pr",
        ASK,
    ),
    case(
        "argo_render_command",
        [
            "rpc error: code = Unknown desc = `helm2 dependency build` failed exit status 1: Error: open /tmp/h/repository/cache/stable-index.yaml: no such file or directory"
        ],
        "argocd_sync_error",
        "none",
        PERSON,
    ),
    case(
        "argo_network_is_not_a_ci_rerun",
        [
            'ComparisonError: Failed to load live state: Get "https://10.0.0.1/version": dial tcp 10.0.0.1:443: i/o timeout'
        ],
        "argocd_sync_error",
        "argocd_hard_refresh",
        ASK,
    ),
    case(
        "k8s_daemon_exits_at_start",
        [
            "$ kubectl logs coredns-1",
            '[FATAL] plugin/loop: Loop (127.0.0.1:53 -> :53) detected for zone "."',
        ],
        "k8s_crashloop",
        "none",
        PERSON,
    ),
]


@pytest.mark.parametrize(("lines", "expected"), WIDER_VOCABULARY)
def test_wider_tool_vocabulary(classifier, lines, expected) -> None:
    assert verdict_of(classifier, lines) == expected
