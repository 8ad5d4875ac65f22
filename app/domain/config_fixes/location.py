"""Where a log says a configuration file is broken: the file, the line, what was wrong.

Only locations a log names outright count (a file and a line), never a guess: GitHub's
"Invalid workflow file: .github/workflows/ci.yml#L12", "ci.yml (Line: 12, Col: 5): Unexpected
value", the "Check failure on line 17 in .github/workflows/main.yml" annotation, yamllint's
"file.yml:12:5: [error] ...", and a Dockerfile's "Dockerfile:81" or "dockerfile parse error on
line 81".
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath


class ConfigKind(StrEnum):
    """What a configuration file is, which decides how a fix of it is validated."""

    WORKFLOW = "workflow"  # a GitHub Actions workflow: YAML plus the workflow structure
    YAML = "yaml"  # any other YAML (Kubernetes manifests, compose files): it must parse
    JSON = "json"  # package manifests (package.json, composer.json): it must parse
    DOCKERFILE = "dockerfile"  # no parser here: only a model's fix, checked by the guard


@dataclass(frozen=True)
class ConfigLocation:
    path: str  # relative to the repository root, no ``..``
    line: int  # 1-based
    column: int | None = None
    message: str = ""

    @property
    def kind(self) -> ConfigKind | None:
        return config_kind(self.path)


_PATH = r"(?P<path>[\w.@/-]+)"
# Most precise first: a pattern that names file, line and message wins over one naming less.
_WITH_MESSAGE = (
    re.compile(_PATH + r" \(Line: (?P<line>\d+), Col: (?P<col>\d+)\):\s*(?P<msg>[^\n]*)"),
    re.compile(_PATH + r":(?P<line>\d+):(?P<col>\d+): \[(?:error|warning)\] (?P<msg>[^\n]*)"),
    # kubectl: "error parsing ./deploy.yaml: error converting YAML to JSON: yaml: line 2: ..."
    re.compile(r"error parsing " + _PATH + r": .*?yaml: line (?P<line>\d+): (?P<msg>[^\n]*)"),
)
_WITHOUT_MESSAGE = (
    re.compile(r"Invalid workflow file: " + _PATH + r"#L(?P<line>\d+)"),
    re.compile(r"Check failure on line (?P<line>\d+) in " + _PATH),
    re.compile(r"(?P<path>(?:[\w.@-]+/)*Dockerfile[\w.-]*):(?P<line>\d+)\b"),
    # PyYAML (docker compose v1, yamllint's parser): 'in "./docker-compose.yml", line 19, column 22'
    re.compile(r'in "' + _PATH + r'", line (?P<line>\d+), column (?P<col>\d+)'),
)
_YAML_SYNTAX = re.compile(
    r"error in your yaml syntax on line (?P<line>\d+)|(?:Scanner|Parser|Composer)Error: [^\n]*",
    re.IGNORECASE,
)
_DOCKERFILE_LINE = re.compile(r"dockerfile parse error on line (?P<line>\d+)", re.IGNORECASE)


def locate(log: str) -> ConfigLocation | None:
    """The first broken configuration file the log names with its line, or None."""
    for pattern in _WITH_MESSAGE:
        for match in pattern.finditer(log):
            found = _location(match, match.group("msg").strip())
            if found is not None:
                return found
    for pattern in _WITHOUT_MESSAGE:
        for match in pattern.finditer(log):
            found = _location(match, _syntax_message(log))
            if found is not None:
                return found
    return _dockerfile_without_path(log)


def config_kind(path: str) -> ConfigKind | None:
    """The kind of a configuration file by its path; None for anything else."""
    parts = PurePosixPath(path)
    name = parts.name
    if name.startswith("Dockerfile") or name.endswith(".dockerfile"):
        return ConfigKind.DOCKERFILE
    if parts.suffix in (".yml", ".yaml"):
        if path.startswith(".github/workflows/"):
            return ConfigKind.WORKFLOW
        return ConfigKind.YAML
    if parts.suffix == ".json":
        return ConfigKind.JSON
    return None


def safe_path(path: str) -> str | None:
    """The repository-relative path, or None for one that could leave the repository."""
    cleaned = path.strip().removeprefix("./")
    parts = PurePosixPath(cleaned).parts
    if not cleaned or cleaned.startswith("/") or ".." in parts or "\\" in cleaned:
        return None
    return cleaned


def _location(match: re.Match[str], message: str) -> ConfigLocation | None:
    path = safe_path(match.group("path"))
    if path is None or config_kind(path) is None:
        return None
    column = match.groupdict().get("col")
    return ConfigLocation(
        path=path,
        line=int(match.group("line")),
        column=int(column) if column else None,
        message=message[:300],
    )


def _syntax_message(log: str) -> str:
    found = _YAML_SYNTAX.search(log) or _DOCKERFILE_LINE.search(log)
    return found.group(0) if found else ""


def _dockerfile_without_path(log: str) -> ConfigLocation | None:
    found = _DOCKERFILE_LINE.search(log)
    if found is None:
        return None
    return ConfigLocation(path="Dockerfile", line=int(found.group("line")), message=found.group(0))
