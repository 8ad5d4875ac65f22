"""NIM chat classifier: excerpt + similar incidents → verdict, with an offline classifier as fallback.

The model's answer is untrusted input (a log can carry instructions to it). It is parsed into
``LLMAnswer`` and every value that could steer a remediation is checked: category and
fixability against their enums, the action against the allow-list the classifier is built
with (the actions of the configured remediators, and those a person performs). An unknown or
disallowed value never turns into an action, it turns into an escalation. Fixability is not the model's to grant: a guard checks the verdict against the
rules, which may make it more careful, never less.
"""

import json
import logging
import re
from collections.abc import Collection
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.adapters.external.http import ResilientClient
from app.core.analysis.models import AnalysisFallback, ClassifierVerdict, SimilarIncident
from app.core.enums import ActionKind, Category, Fixability
from app.core.errors import ConfigurationError, IntegrationError
from app.core.ports import Classifier
from app.core.redaction import mask_secrets

log = logging.getLogger(__name__)

E = TypeVar("E", bound=StrEnum)

PROMPT_DIR = Path(__file__).parent / "prompts"
MAX_EVIDENCE_LINES = 8
MAX_EVIDENCE_CHARS = 300
MAX_ROOT_CAUSE_CHARS = 1000
MAX_QUOTED_CHARS = 60
MAX_REASON_CHARS = 200
ESCALATION_CONFIDENCE = 0.3

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?[ \t]*```$", re.DOTALL)
# The excerpt is framed by <log> tags in the prompt; a log must not be able to close the frame.
_LOG_TAG = re.compile(r"(?i)<(/?)log>")


class VerdictGuard(Protocol):
    def review(self, excerpt: str, verdict: ClassifierVerdict) -> ClassifierVerdict:
        """``verdict`` made as careful as the rules require for ``excerpt``."""
        ...


class _NoAutomaticFixes:
    """Without rules to check against, a model's answer never makes a fix automatic."""

    def review(self, excerpt: str, verdict: ClassifierVerdict) -> ClassifierVerdict:
        if verdict.fixability is not Fixability.AUTO:
            return verdict
        note = "fixability auto → unknown: no rules to check the model against"
        return verdict.model_copy(update={"fixability": Fixability.UNKNOWN, "note": note})


class LLMAnswer(BaseModel):
    """The JSON object the model is asked for. Enum-like fields stay strings until checked."""

    model_config = ConfigDict(extra="ignore")

    category: str
    root_cause: str
    fixability: str
    action: str
    confidence: float = Field(ge=0.0, le=1.0)
    transient: bool = False
    evidence: list[str] = Field(default_factory=list)

    @field_validator("evidence", mode="before")
    @classmethod
    def _single_line_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class _Message(BaseModel):
    content: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Completion(BaseModel):
    """The OpenAI chat-completion envelope, as far as it is read here."""

    choices: list[_Choice]
    usage: _Usage | None = None


class _UnusableAnswer(Exception):
    """The server answered, but not with something a verdict can be built from."""

    def __init__(self, reason: str, usage: _Usage | None = None):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage or _Usage()


class NimClassifier:
    """Classifier port over ``POST /chat/completions`` of a NIM (or OpenAI-compatible server)."""

    def __init__(
        self,
        http: ResilientClient,
        *,
        model: str,
        actions: Collection[ActionKind],
        fallback: Classifier,
        guard: VerdictGuard | None = None,
        prompt_dir: Path = PROMPT_DIR,
        max_tokens: int = 700,
        temperature: float = 0.0,
        max_excerpt_chars: int = 16_000,
    ):
        self.http = http
        self.model = model
        # The allow-list: what the configured remediators execute, and what a person does.
        self.actions = tuple(actions)
        self.fallback = fallback
        self.guard = guard or _NoAutomaticFixes()
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_excerpt_chars = max_excerpt_chars
        self.name = f"nim:{model}"
        env = Environment(
            loader=FileSystemLoader(prompt_dir),
            autoescape=False,  # plain-text prompts, not HTML
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._user_template = env.get_template("user.md.j2")
        # The prompt never shows the model an action it may not propose.
        examples = [
            example
            for example in load_examples(prompt_dir / "few_shot.yaml")
            if example["action"] in self.actions
        ]
        self._system_prompt = env.get_template("system.md.j2").render(examples=examples)

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict:
        """Ask the model; on any failure return the fallback's verdict with the reason noted."""
        body = self._request_body(self.build_messages(excerpt, similar))
        try:
            response = self.http.request("POST", "/chat/completions", json=body)
        except (IntegrationError, httpx.HTTPError) as exc:
            return self._fall_back(excerpt, similar, reason=_describe(exc))
        try:
            answer, usage = parse_completion(response)
        except _UnusableAnswer as exc:
            return self._fall_back(excerpt, similar, reason=exc.reason, usage=exc.usage)
        return self.guard.review(excerpt, self._verdict(answer, usage))

    def build_messages(self, excerpt: str, similar: list[SimilarIncident]) -> list[dict[str, str]]:
        """The system and user messages for one excerpt (public so prompts can be snapshot-tested)."""
        user = self._user_template.render(
            excerpt=self._prepare_excerpt(excerpt),
            similar=sorted(similar, key=lambda item: item.similarity, reverse=True),
            categories=[member.value for member in Category],
            actions=[action.value for action in self.actions],
            fixabilities=[member.value for member in Fixability],
        )
        return [
            {"role": "system", "content": self._system_prompt},
            {"role": "user", "content": user},
        ]

    def _prepare_excerpt(self, excerpt: str) -> str:
        # Masked upstream already; masking again is cheap and keeps invariant 7 on its own.
        text = mask_secrets(excerpt.strip())
        if len(text) > self.max_excerpt_chars:
            # The end of a log is where the failure is; keep it.
            text = "[... earlier lines cut ...]\n" + text[-self.max_excerpt_chars :]
        return _LOG_TAG.sub(r"[\1log]", text)

    def _request_body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        # ``response_format`` json_object is accepted by NIM, vLLM and Ollama alike; the
        # answer is validated here either way, so a server that ignores it is still safe.
        return {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "response_format": {"type": "json_object"},
        }

    def _verdict(self, answer: LLMAnswer, usage: _Usage) -> ClassifierVerdict:
        category = _member(Category, answer.category)
        action = _member(ActionKind, answer.action)
        fixability = _member(Fixability, answer.fixability)
        problems = [
            f"LLM proposed unknown {label} {_quote(raw)}"
            for label, parsed, raw in (
                ("category", category, answer.category),
                ("action", action, answer.action),
                ("fixability", fixability, answer.fixability),
            )
            if parsed is None
        ]
        if action is not None and action not in self.actions:
            problems.append(f"LLM proposed action {_quote(answer.action)}, which is not allowed here")
        common = {
            "root_cause": _cap(mask_secrets(answer.root_cause.strip()), MAX_ROOT_CAUSE_CHARS),
            "evidence": clean_evidence(answer.evidence),
            "classifier": self.name,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
        }
        if problems:
            note = "; ".join(problems)
            log.warning("%s answer escalated: %s", self.name, note)
            return ClassifierVerdict(
                category=Category.UNKNOWN,
                fixability=Fixability.UNKNOWN,
                action=ActionKind.NONE,
                confidence=min(answer.confidence, ESCALATION_CONFIDENCE),
                transient=False,
                note=note,
                **common,
            )
        return ClassifierVerdict(
            category=category,
            fixability=fixability,
            action=action,
            confidence=answer.confidence,
            transient=answer.transient,
            **common,
        )

    def _fall_back(
        self,
        excerpt: str,
        similar: list[SimilarIncident],
        *,
        reason: str,
        usage: _Usage | None = None,
    ) -> ClassifierVerdict:
        log.warning("%s fell back to %s: %s", self.name, self.fallback.name, reason)
        verdict = self.fallback.classify(excerpt, similar)
        usage = usage or _Usage()
        note = f"nim fallback: {reason}"
        if verdict.note:
            note = f"{note}; {verdict.note}"
        fallback = AnalysisFallback(
            stage="classifier", configured=self.name, used=self.fallback.name, reason=reason
        )
        return verdict.model_copy(
            update={
                "note": note,
                "prompt_tokens": verdict.prompt_tokens + usage.prompt_tokens,
                "completion_tokens": verdict.completion_tokens + usage.completion_tokens,
                "fallback": fallback,
            }
        )


def parse_completion(response: httpx.Response) -> tuple[LLMAnswer, _Usage]:
    """Chat-completion response → (answer, token usage); raises ``_UnusableAnswer``."""
    try:
        completion = _Completion.model_validate_json(response.content)
    except ValidationError:
        raise _UnusableAnswer("response is not an OpenAI chat completion") from None
    usage = completion.usage or _Usage()
    if not completion.choices or not (completion.choices[0].message.content or "").strip():
        raise _UnusableAnswer("answer is empty", usage)
    choice = completion.choices[0]
    try:
        data = json.loads(strip_fences(choice.message.content or ""))
    except ValueError:
        cut = " (cut off at max_tokens)" if choice.finish_reason == "length" else ""
        raise _UnusableAnswer(f"answer is not valid JSON{cut}", usage) from None
    if not isinstance(data, dict):
        raise _UnusableAnswer("answer is not a JSON object", usage)
    try:
        return LLMAnswer.model_validate(data), usage
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})
        raise _UnusableAnswer(f"answer failed validation: {', '.join(fields)}", usage) from None


def strip_fences(text: str) -> str:
    """Remove a Markdown code fence around the answer, and any prose around the JSON object."""
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        text = text[start : end + 1]
    return text


def clean_evidence(lines: list[str]) -> list[str]:
    """Masked, non-empty evidence lines: at most 8, each at most 300 characters."""
    flat = [line.strip() for item in lines for line in item.splitlines()]
    kept = [line for line in flat if line][:MAX_EVIDENCE_LINES]
    return [_cap(mask_secrets(line), MAX_EVIDENCE_CHARS) for line in kept]


def load_examples(path: Path) -> list[dict[str, str]]:
    """Few-shot examples from YAML; every answer must itself be a valid, allow-listed answer."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    examples = []
    for position, item in enumerate(raw, start=1):
        try:
            answer = LLMAnswer.model_validate(item["answer"])
        except (KeyError, TypeError, ValidationError) as exc:
            raise ConfigurationError(f"{path.name} example {position} is invalid: {exc}") from None
        pairs = (
            (Category, answer.category),
            (ActionKind, answer.action),
            (Fixability, answer.fixability),
        )
        for enum, value in pairs:
            if _member(enum, value) is None:
                raise ConfigurationError(f"{path.name} example {position}: unknown {value!r}")
        action = ActionKind(answer.action.strip().lower())  # a member: checked just above
        examples.append(
            {
                "action": action,
                "excerpt": str(item["excerpt"]).rstrip("\n"),
                "answer_json": json.dumps(item["answer"], ensure_ascii=False),
            }
        )
    return examples


def _member(enum: type[E], value: str) -> E | None:
    try:
        return enum(value.strip().lower())
    except ValueError:
        return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, IntegrationError):
        return _cap(mask_secrets(str(exc)), MAX_REASON_CHARS)
    return type(exc).__name__


def _quote(value: str) -> str:
    return "'" + _cap(mask_secrets(value.strip()), MAX_QUOTED_CHARS) + "'"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
