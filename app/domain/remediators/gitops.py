"""Workloads whose manifests Argo CD keeps in Git: a change to them is proposed as a pull
request to the manifests repository, because Argo CD would revert a live patch (self-heal)
or the next sync would.

A workload is Argo CD's when it carries Argo CD's tracking annotation
(``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>``) or its tracking
label (``app.kubernetes.io/instance: <app>``, confirmed by Argo CD knowing that app). The
app's ``spec.source`` (repoURL, path, targetRevision) says where its manifests are. Only
plain manifests on GitHub are edited: another Git host, a Helm chart or a Kustomize overlay
is said to be so, and the incident goes to a person.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.core.cluster_ports import ArgoCDApi, KubeObject
from app.core.errors import IntegrationError
from app.core.ports import GitHubPullRequests, RepoFile
from app.domain.config_fixes.guard import unified_diff
from app.domain.config_fixes.manifests import find_workload, memory_limit, with_memory_limit
from app.domain.config_fixes.pull_request import FileChange, branch_name, capped_diff, open_change
from app.domain.remediators.base import RemediationResult, RemediationStatus
from app.domain.remediators.k8s_quantity import parse_quantity
from app.domain.remediators.k8s_workload import Workload, aborted

TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
INSTANCE_LABEL = "app.kubernetes.io/instance"
MAX_MANIFEST_FILES = 30  # files of the app's path read to find the workload's manifest
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_SSH_URL = re.compile(r"^(?:ssh://)?git@(?P<host>[^:/]+)[:/](?P<path>.+)$")


@dataclass(frozen=True)
class ManifestSource:
    app: str
    repo: str  # owner/name on GitHub
    path: str
    revision: str  # the app's targetRevision: a branch, or "HEAD" for the default branch


@dataclass(frozen=True)
class MemoryRaise:
    workload: Workload
    container: str
    old: str
    new: str
    diagnosis: str


class GitOpsMemory:
    """Finds whether Argo CD manages a workload, and proposes its memory raise in Git."""

    def __init__(
        self, argocd: ArgoCDApi, github: GitHubPullRequests, *, github_host: str = "github.com"
    ):
        self.argocd = argocd
        self.github = github
        self.github_host = github_host

    def source_of(self, workload: Workload) -> ManifestSource | RemediationResult | None:
        """Where Argo CD keeps the workload's manifests; None when Argo CD does not manage it;
        the ABORTED result when it does but its manifests cannot be edited here."""
        app, tracked = managing_app(workload.obj)
        if app is None:
            return None
        try:
            application = self.argocd.get_application(app)
        except IntegrationError as exc:
            if exc.upstream_status == 404 and not tracked:
                return None  # the instance label of something else (Helm sets it too)
            raise
        return self._source(app, application)

    def _source(self, app: str, application: KubeObject) -> ManifestSource | RemediationResult:
        spec = application.get("spec") or {}
        source: dict[str, Any] = spec.get("source") or next(iter(spec.get("sources") or []), {})
        url = str(source.get("repoURL") or "")
        repo = github_repository(url, self.github_host)
        managed = f"managed by Argo CD app {app} (a live patch would be reverted by Argo CD)"
        if repo is None:
            return aborted(
                f"{managed}: its manifests are in {url or 'an unnamed repository'}; only "
                f"GitHub-hosted manifest repositories ({self.github_host}) are supported"
            )
        if source.get("chart") or source.get("helm") or source.get("kustomize"):
            return aborted(f"{managed}: its source is a Helm chart or Kustomize overlay")
        revision = str(source.get("targetRevision") or "HEAD")
        if _COMMIT_SHA.match(revision):
            return aborted(f"{managed}: it is pinned to commit {revision[:12]}")
        return ManifestSource(app, repo, str(source.get("path") or "").strip("/"), revision)

    def propose(self, source: ManifestSource, change: MemoryRaise) -> RemediationResult:
        """The memory raise as a pull request to the app's manifests (or why not)."""
        github = self.github
        base = source.revision
        if base == "HEAD":
            base = github.default_branch(source.repo)
        base_sha = github.branch_head(source.repo, base)
        if base_sha is None:
            return aborted(f"{source.repo} has no branch {base} (the app's targetRevision)")
        found = self._manifest(source, base_sha, change.workload)
        if found is None:
            return aborted(
                f"no manifest of {change.workload.kind} {change.workload.name} in "
                f"{source.repo}/{source.path} at {base}"
            )
        manifest, document = found
        return self._raise_in(source, base, base_sha, manifest, document, change)

    def _raise_in(
        self,
        source: ManifestSource,
        base: str,
        base_sha: str,
        manifest: RepoFile,
        document: dict[str, Any],
        change: MemoryRaise,
    ) -> RemediationResult:
        target = change.workload
        in_git = memory_limit(document, change.container)
        if in_git is None:
            return aborted(f"{manifest.path} sets no memory limit for container {change.container}")
        if _bytes(in_git) >= _bytes(change.new):
            return RemediationResult(
                status=RemediationStatus.ALREADY_DONE,
                detail=f"{manifest.path} already sets {in_git} for {change.container}; "
                f"Argo CD app {source.app} has not applied it yet",
            )
        text = with_memory_limit(
            manifest.text or "", target.kind, target.name, change.container, change.new
        )
        if text is None:
            return aborted(
                f"the memory limit of {change.container} in {manifest.path} is not "
                "a plain value that can be changed in place"
            )
        proposal = FileChange(
            repo=source.repo,
            base_sha=base_sha,
            base_branch=base,
            original=manifest,
            text=text,
            title=f"Raise the memory limit of {target.name}/{change.container} to {change.new}",
            body=_body(source, change, in_git),
        )
        branch = branch_name("memory", f"{target.name}-{change.new}", manifest.path)
        pull = open_change(self.github, proposal, branch)
        diff = capped_diff(_diff(manifest, text))
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED if pull.created else RemediationStatus.ALREADY_DONE,
            detail=f"pull request #{pull.number} {pull.url} raises the memory limit of "
            f"{target.kind} {target.name} container {change.container} from {in_git} to "
            f"{change.new} in {source.repo} (Argo CD app {source.app} manages it):\n```\n{diff}\n```",
            data={
                "pull_request": {"repo": pull.repo, "number": pull.number, "url": pull.url},
                "owner_kind": target.kind,
                "owner_name": target.name,
                "container": change.container,
                "from": in_git,
                "to": change.new,
                "argocd_app": source.app,
                "path": manifest.path,
                "diff": diff,
            },
        )

    def _manifest(
        self, source: ManifestSource, ref: str, workload: Workload
    ) -> tuple[RepoFile, dict[str, Any]] | None:
        listed = self.github.list_directory(source.repo, source.path or ".", ref=ref)
        manifests = [f for f in listed if f.path.endswith((".yaml", ".yml"))]
        for entry in manifests[:MAX_MANIFEST_FILES]:
            read = self.github.get_file(source.repo, entry.path, ref=ref)
            if read is None or read.text is None:
                continue
            document = find_workload(read.text, workload.kind, workload.name)
            if document is not None:
                return read, document
        return None


def managing_app(obj: KubeObject) -> tuple[str | None, bool]:
    """The Argo CD app named on the workload, and whether by Argo CD's own tracking id."""
    metadata = obj.get("metadata") or {}
    tracking = (metadata.get("annotations") or {}).get(TRACKING_ANNOTATION)
    if tracking:
        return str(tracking).split(":", 1)[0] or None, True
    label = (metadata.get("labels") or {}).get(INSTANCE_LABEL)
    return (str(label) if label else None), False


def github_repository(url: str, host: str) -> str | None:
    """``owner/name`` of a repository URL on ``host`` (https or ssh), else None."""
    ssh = _SSH_URL.match(url)
    found_host, path = (
        (ssh.group("host"), ssh.group("path"))
        if ssh
        else (urlsplit(url).hostname, urlsplit(url).path)
    )
    if found_host != host:
        return None
    parts = path.strip("/").removesuffix(".git").split("/")
    return "/".join(parts) if len(parts) == 2 and all(parts) else None


def _bytes(quantity: str) -> int:
    try:
        return parse_quantity(quantity)
    except ValueError:
        return 0


def _diff(manifest: RepoFile, text: str) -> str:
    return unified_diff(manifest.path, manifest.text or "", text)


def _body(source: ManifestSource, change: MemoryRaise, in_git: str) -> str:
    target = change.workload
    return "\n".join(
        [
            f"{target.kind} `{target.name}` (namespace `{target.obj.get('metadata', {}).get('namespace', '')}`) "
            f"was OOM-killed: container `{change.container}` ran with a memory limit of "
            f"{change.old}.",
            "",
            f"**Diagnosis**: {change.diagnosis or 'the container ran out of memory'}",
            "",
            f"**Change**: the limit in `{source.path or '.'}` goes from {in_git} to {change.new}. "
            f"Argo CD app `{source.app}` manages this workload, so the change is made here "
            "rather than patched live (Argo CD would revert a live patch).",
            "",
            "Proposed by CodeHealer, never merged by it: merge it if it is right, close it if "
            "not. Either way CodeHealer records the outcome for next time.",
        ]
    )
