"""Closed sets of values shared by every layer."""

from enum import StrEnum


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class IncidentSource(StrEnum):
    GITHUB = "github"
    ARGOCD = "argocd"
    KUBERNETES = "kubernetes"


class IncidentKind(StrEnum):
    WORKFLOW_RUN = "workflow_run"
    ARGOCD_APP = "argocd_app"
    K8S_POD = "k8s_pod"
    K8S_WORKLOAD = "k8s_workload"
    STORM_GROUP = "storm_group"


class IncidentStatus(StrEnum):
    RECEIVED = "received"
    ANALYZING = "analyzing"
    ANALYZED = "analyzed"
    AWAITING_APPROVAL = "awaiting_approval"
    REMEDIATING = "remediating"
    VERIFYING = "verifying"
    RESOLVED = "resolved"
    FAILED = "failed"
    ESCALATED = "escalated"
    IGNORED = "ignored"


# States with work left for a worker. One whose claim is older than the claim timeout lost
# its worker (a crash, a kill) and is claimed again, then resumed where it was: analysis
# starts over, an undecided analysis is decided, a remediation finds its attempt row (written
# before any call, so nothing is done twice). ``verifying`` is not one of them: it waits for
# the run or the cluster, and the sweep's verification tasks close it.
WORKING_STATUSES = (
    IncidentStatus.ANALYZING,
    IncidentStatus.ANALYZED,
    IncidentStatus.REMEDIATING,
)
OPEN_STATUSES = (
    IncidentStatus.RECEIVED,
    IncidentStatus.ANALYZING,
    IncidentStatus.ANALYZED,
    IncidentStatus.AWAITING_APPROVAL,
    IncidentStatus.REMEDIATING,
    IncidentStatus.VERIFYING,
)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Category(StrEnum):
    TRANSIENT_NETWORK = "transient_network"
    RATE_LIMITED = "rate_limited"
    RUNNER_INFRASTRUCTURE = "runner_infrastructure"
    OUT_OF_MEMORY = "out_of_memory"
    TIMEOUT = "timeout"
    DEPENDENCY_RESOLUTION = "dependency_resolution"
    AUTH_EXPIRED_CREDENTIALS = "auth_expired_credentials"
    DOCKER_IMAGE_PULL = "docker_image_pull"
    DOCKER_BUILD_CACHE = "docker_build_cache"
    CONFIG_SYNTAX = "config_syntax"
    COMPILE_ERROR = "compile_error"
    TEST_FAILURE = "test_failure"
    FLAKY_TEST = "flaky_test"
    LINT_FORMAT = "lint_format"
    K8S_CRASHLOOP = "k8s_crashloop"
    K8S_IMAGE_PULL = "k8s_image_pull"
    K8S_OOM = "k8s_oom"
    ARGOCD_SYNC_ERROR = "argocd_sync_error"
    UNKNOWN = "unknown"


class ActionKind(StrEnum):
    RERUN_FAILED_JOBS = "rerun_failed_jobs"
    RERUN_NO_CACHE = "rerun_no_cache"
    REFRESH_SECRET = "refresh_secret"
    RESTART_POD = "restart_pod"
    ROLLOUT_RESTART = "rollout_restart"
    SCALE_MEMORY = "scale_memory"
    ARGOCD_SYNC = "argocd_sync"
    ARGOCD_HARD_REFRESH = "argocd_hard_refresh"
    ARGOCD_ROLLBACK = "argocd_rollback"
    ROLLOUT_UNDO = "rollout_undo"
    CONFIG_FIX_PR = "config_fix_pr"
    NONE = "none"


class Fixability(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    UNKNOWN = "unknown"


class Decision(StrEnum):
    AUTO_FIX = "auto_fix"
    NEEDS_APPROVAL = "needs_approval"
    ESCALATE = "escalate"
    IGNORE = "ignore"


class Strategy(StrEnum):
    CONSERVATIVE = "conservative"
    SLACK_FIRST = "slack_first"
    HYBRID = "hybrid"


class AttemptStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    VERIFIED = "verified"
    VERIFICATION_FAILED = "verification_failed"


class Actor(StrEnum):
    AUTO = "auto"
    SLACK = "slack"
    SYSTEM = "system"
