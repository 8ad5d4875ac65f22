"""Refresh a GitHub Actions secret from its source of truth, then re-run.

The value is read, sealed and sent; it never reaches a log line, the database or Slack.
"""

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from app.core.crypto import seal_for_github
from app.core.enums import ActionKind
from app.core.ports import GitHubActions, SecretStore
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.github_run import GitHubRunParams, GitHubRunPrevalidation


class SecretSource(BaseModel):
    """One entry of ``secrets:`` in config/remediation_rules.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    repositories: str = ".*"
    source: str = Field(pattern=r"^(env|aws)$")
    key: str


class RefreshSecretParams(GitHubRunParams):
    secret_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class RefreshSecret(GitHubRunPrevalidation[RefreshSecretParams]):
    action: ClassVar[ActionKind] = ActionKind.REFRESH_SECRET
    params_model: ClassVar[type[RefreshSecretParams]] = RefreshSecretParams
    risk: ClassVar[Risk] = Risk.HIGH
    reruns_workflow_run: ClassVar[bool] = True

    def __init__(
        self, github: GitHubActions, *, sources: list[SecretSource], stores: dict[str, SecretStore]
    ):
        super().__init__(github)
        self.sources = sources
        self.stores = stores

    def source_for(self, params: RefreshSecretParams) -> SecretSource | None:
        for source in self.sources:
            if source.name == params.secret_name and re.fullmatch(source.repositories, params.repo):
                return source
        return None

    def describe(self, params: RefreshSecretParams) -> str:
        return (
            f"refresh secret {params.secret_name} of {params.repo} and re-run run {params.run_id}"
        )

    def prevalidate(self, params: RefreshSecretParams) -> RemediationResult | None:
        source = self.source_for(params)
        if source is None or source.source not in self.stores:
            return RemediationResult(
                status=RemediationStatus.ABORTED,
                detail=f"no source of truth is configured for secret {params.secret_name}",
            )
        return super().prevalidate(params)

    def execute(self, params: RefreshSecretParams) -> RemediationResult:
        source = self.source_for(params)
        assert source is not None  # prevalidate refused otherwise
        value = self.stores[source.source].get(source.key)
        github = self.github_for(params)
        key = github.get_secrets_public_key(params.repo)
        sealed = seal_for_github(key["key"], value)
        github.put_secret(
            params.repo, params.secret_name, encrypted_value=sealed, key_id=key["key_id"]
        )
        github.rerun_failed_jobs(params.repo, params.run_id)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"secret {params.secret_name} refreshed from {source.source}; re-run requested",
            data={"secret": params.secret_name, "expected_attempt": params.run_attempt + 1},
        )
