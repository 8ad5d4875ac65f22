"""NIM chat as the model of configuration fixes (``FixModel``): the broken file in, the whole
fixed file out, or None. The answer is untrusted: the caller validates it and the guard
decides whether it may be proposed (app/domain/config_fixes/propose.py)."""

import json
import logging
from pathlib import Path
from typing import Any

import httpx
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.adapters.ai.nvidia.classifier import strip_fences
from app.adapters.external.http import ResilientClient
from app.core.errors import IntegrationError
from app.core.redaction import mask_secrets

log = logging.getLogger(__name__)

PROMPT_DIR = Path(__file__).parent / "prompts"
MAX_FILE_CHARS = 40_000  # a file past this is not sent: the answer would not fit either


class FixAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fixed_file: str | None = Field(default=None, max_length=MAX_FILE_CHARS * 2)
    explanation: str = Field(default="", max_length=1000)


class NimConfigFixer:
    def __init__(self, http: ResilientClient, *, model: str, prompt_dir: Path = PROMPT_DIR):
        self.http = http
        self.model = model
        env = Environment(
            loader=FileSystemLoader(prompt_dir),
            autoescape=False,  # plain-text prompts, not HTML
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self._system = env.get_template("config_fix_system.md.j2").render()
        self._user = env.get_template("config_fix_user.md.j2")

    def propose_fix(
        self, *, path: str, content: str, line: int, message: str, diagnosis: str
    ) -> str | None:
        """The model's fixed file; None when it has none, fails, or must not see the file."""
        if len(content) > MAX_FILE_CHARS:
            return None
        if mask_secrets(content) != content:
            # What looks like a secret never reaches a prompt, and a fix of a masked copy would
            # rewrite the secret's line: this file is for a person.
            log.info("config fix of %s: the file holds what looks like a secret; not sent", path)
            return None
        body = self._body(path, content, line, message, diagnosis)
        try:
            response = self.http.request("POST", "/chat/completions", json=body)
            return _fixed_file(response)
        except (IntegrationError, httpx.HTTPError, ValueError, ValidationError) as exc:
            log.warning(
                "config fix of %s: the model gave no usable answer (%s)", path, type(exc).__name__
            )
            return None

    def build_messages(
        self, *, path: str, content: str, line: int, message: str, diagnosis: str
    ) -> list[dict[str, str]]:
        numbered = "\n".join(
            f"{number}| {text}" for number, text in enumerate(content.split("\n"), start=1)
        )
        user = self._user.render(
            path=path,
            line=line,
            message=mask_secrets(message),
            diagnosis=mask_secrets(diagnosis),
            numbered=numbered,
        )
        return [{"role": "system", "content": self._system}, {"role": "user", "content": user}]

    def _body(
        self, path: str, content: str, line: int, message: str, diagnosis: str
    ) -> dict[str, Any]:
        messages = self.build_messages(
            path=path, content=content, line=line, message=message, diagnosis=diagnosis
        )
        return {
            "model": self.model,
            "messages": messages,
            "temperature": 0.0,
            "max_tokens": 4096,
            "response_format": {"type": "json_object"},
        }


def _fixed_file(response: httpx.Response) -> str | None:
    """The answer's ``fixed_file``. Raises ValueError or ValidationError for an unusable one."""
    choices = response.json().get("choices") or []
    content = ((choices[0].get("message") or {}).get("content") or "") if choices else ""
    answer = FixAnswer.model_validate(json.loads(strip_fences(content)))
    return answer.fixed_file
