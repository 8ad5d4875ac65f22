"""Is a configuration file valid? It parses (YAML through PyYAML with duplicate keys refused,
JSON), and where the tool has a structure of its own, it has that structure: a GitHub
workflow has ``on`` and ``jobs``, each job ``runs-on`` or ``uses``, steps a list of steps; a
Dockerfile's instructions are ones Docker knows."""

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from app.domain.config_fixes.location import ConfigKind


@dataclass(frozen=True)
class Problem:
    """Why a file is not valid; ``line`` (1-based) when the parser said where."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; GitHub and kubectl refuse the file."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            continue  # unhashable keys are the parser's to refuse
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def problems(kind: ConfigKind, text: str) -> list[Problem]:
    """What makes ``text`` invalid as a file of ``kind``; empty when it is valid."""
    if kind is ConfigKind.JSON:
        return _json_problems(text)
    if kind is ConfigKind.DOCKERFILE:
        return dockerfile_problems(text)
    documents, problem = load_yaml(text)
    if problem is not None:
        return [problem]
    if kind is ConfigKind.WORKFLOW:
        return workflow_problems(documents[0] if documents else None)
    return []


def load_yaml(text: str) -> tuple[list[Any], Problem | None]:
    """Every document of ``text``, or the parser's problem with its line."""
    try:
        return list(yaml.load_all(text, Loader=_UniqueKeyLoader)), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return [], Problem(str(exc.problem or exc.context or "invalid YAML"), line)
    except yaml.YAMLError as exc:
        return [], Problem(str(exc))


def workflow_problems(document: Any) -> list[Problem]:
    """GitHub's workflow structure, the part every workflow must have."""
    if not isinstance(document, dict):
        return [Problem("a workflow is a mapping")]
    found: list[Problem] = []
    # YAML 1.1 reads an unquoted ``on`` key as true; GitHub reads it as "on".
    if "on" not in document and True not in document:
        found.append(Problem("the workflow has no 'on' (its triggers)"))
    jobs = document.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return [*found, Problem("the workflow has no 'jobs' mapping")]
    for name, job in jobs.items():
        found.extend(_job_problems(str(name), job))
    return found


def _job_problems(name: str, job: Any) -> list[Problem]:
    if not isinstance(job, dict):
        return [Problem(f"job {name!r} is not a mapping")]
    if "runs-on" not in job and "uses" not in job:
        return [Problem(f"job {name!r} has neither 'runs-on' nor 'uses'")]
    steps = job.get("steps")
    if steps is None:
        return []
    if not isinstance(steps, list):
        return [Problem(f"the steps of job {name!r} are not a list")]
    return [
        Problem(f"step {index + 1} of job {name!r} has neither 'run' nor 'uses'")
        for index, step in enumerate(steps)
        if not (isinstance(step, dict) and ("run" in step or "uses" in step))
    ]


def _json_problems(text: str) -> list[Problem]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(exc.msg, exc.lineno)]
    return []


DOCKERFILE_INSTRUCTIONS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN "
    "SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


def dockerfile_problems(text: str) -> list[Problem]:
    """Each instruction is one Docker knows (continuations, heredocs and comments skipped)."""
    found: list[Problem] = []
    continued, heredoc = False, None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if heredoc is not None:
            heredoc = None if line == heredoc else heredoc
            continue
        if not continued and line and not line.startswith("#"):
            word = line.split(maxsplit=1)[0].upper()
            if word not in DOCKERFILE_INSTRUCTIONS:
                found.append(Problem(f"unknown instruction: {word.lower()}", number))
        if line.startswith("#") and continued:
            continue  # a comment inside a continued instruction
        marker = _HEREDOC.search(line)
        heredoc = marker.group(1) if marker and not line.startswith("#") else None
        continued = line.endswith("\\")
    return found
