"""What every answer of the API must look like, whatever was sent: the fuzzer's checks.

The API promises (DESIGN.md, Interfaces): no client input produces a 5xx; every client error is
`{"error": {"code", "message", "field"}}` with a code the OpenAPI document lists for that
operation and status; no body gives away how the system is built — a stack trace, an exception
class, a table/queue/bucket name, an ARN, a file path, an internal endpoint, a workflow's task
token. A pattern the client itself sent (an echoed field name, say) is not a leak.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

NO_ANSWER = 599    # what the fuzzer records when the server hangs up without a response
SPEC = Path(__file__).resolve().parents[2] / "chalicelib" / "openapi.json"

# Looked for in every body, successful or not.
ALWAYS = [
    ("stack trace", re.compile(r"Traceback \(most recent call last\)")),
    ("stack frame", re.compile(r'File "[^"]+", line \d+')),
]
# Looked for in error bodies: a successful answer may rightly carry a presigned URL (bucket name
# included) or the signed content a unit sent.
IN_ERRORS = [
    ("exception class", re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception|Exceeded|Failed)\b")),
    ("python module", re.compile(r"\b(?:botocore|boto3|pynamodb|chalice|chalicelib|jwt|"
                                 r"cryptography|moto|urllib3|requests)\.[A-Za-z_]")),
    ("resource name", re.compile(r"\bkbnn-[a-z0-9-]+")),
    ("ARN", re.compile(r"\barn:aws[a-z-]*:")),
    ("file path", re.compile(r"(?:/(?:work|tmp|home|var|usr|opt|etc|proc|app)/|\.py\b|"
                             r"[A-Za-z]:\\\\)")),
    ("AWS endpoint", re.compile(r"\.amazonaws\.com|127\.0\.0\.1|localhost:\d+")),
]


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@dataclass
class Finding:
    operation: str
    problem: str
    status: int
    request: str
    body: str

    def __str__(self) -> str:
        return (f"{self.operation}: {self.problem} (HTTP {self.status})\n"
                f"    request: {self.request[:600]}\n    answer:  {self.body[:600]}")


@dataclass
class Oracle:
    """Judges one answer of one documented operation."""
    doc: dict = field(default_factory=lambda: json.loads(SPEC.read_text(encoding="utf-8")))
    secrets: set[str] = field(default_factory=set)   # task tokens, known once the run is over

    def __post_init__(self) -> None:
        self._error = Draft202012Validator({"$ref": "#/components/schemas/Error",
                                            "components": self.doc["components"]})

    def documented(self, method: str, path: str) -> dict[int, set[str]]:
        """Status -> the error codes the document gives examples of, for one operation."""
        op = self.doc["paths"][path][method.lower()]
        codes: dict[int, set[str]] = {}
        for status, response in op["responses"].items():
            media = _resolve(self.doc, response).get("content", {}).get("application/json", {})
            found = codes.setdefault(int(status), set())
            for example in media.get("examples", {}).values():
                error = example.get("value", {}).get("error")
                if error:
                    found.add(error["code"])
        return codes

    def judge(self, method: str, path: str, status: int, text: str, sent: str) -> list[str]:
        """The problems with one answer (empty when it keeps every promise). `sent` is what the
        client sent (URL, headers, body) as text, so an echo of it is not called a leak."""
        if status == NO_ANSWER:
            return ["no answer at all: the server dropped the connection"]
        problems = []
        if status >= 500:
            problems.append(f"server error {status}")
        patterns = ALWAYS + (IN_ERRORS if status >= 400 else [])
        for name, pattern in patterns:
            for match in pattern.finditer(text):
                if match.group(0) not in sent:
                    problems.append(f"{name} in the body: {match.group(0)!r}")
                    break
        if status >= 400:
            problems.extend(self._error_shape(method, path, status, text))
        return problems

    def _error_shape(self, method: str, path: str, status: int, text: str) -> list[str]:
        try:
            body = json.loads(text)
        except ValueError:
            return ["error body is not JSON"]
        if not self._error.is_valid(body):
            return ["error body is not the Error shape"]
        code = body["error"]["code"]
        documented = self.documented(method, path)
        if status not in documented:
            return [f"status {status} ({code}) is not documented for this operation"]
        if status < 500 and code not in documented[status]:
            return [f"code {code!r} is not documented for {status} on this operation"]
        return []

    def leaked_secrets(self, text: str) -> list[str]:
        return [f"a task token in the body: {s[:12]}…" for s in self.secrets if s in text]
