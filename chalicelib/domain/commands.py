"""Request bodies as typed commands, parsed once at the edge (chalicelib/api) and handed to one
service function.

Why stdlib dataclasses and a small parser rather than a library: every cold start pays for what
`import app` imports. Measured here (python -X importtime, this venv): `from pydantic import
BaseModel` adds about 50 ms on top of `import app` (whose own import is about 60 ms now that
it no longer loads boto3), roughly doubling it; msgspec is not a dependency (a small C extension,
a few ms, but one more wheel to vendor per Lambda architecture); attrs is installed but adds its
own import for what dataclasses does. `dataclasses` is already loaded by `import app`, so the
commands cost nothing at cold start.

What a command checks, and what it leaves: it checks that the body is a JSON object (the one
place that says so) and names the fields the operation reads. The value rules of each field (a
reason's length, a date's form, a decision the catalogue knows) stay with the service, judged
after authorization: the access matrix (tests/integration/test_access_matrix.py) holds that a
caller the policy refuses gets the policy's 403 whatever body it sent, so those rules cannot
stand in front of the policy. A field is therefore typed `Json` (the value as sent) and the
service narrows it. `required` marks the fields the OpenAPI document requires;
tests/unit/test_commands_openapi.py proves the document and these classes agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from .errors import BadRequest

Json = Any          # a JSON value as the client sent it; the service judges it
C = TypeVar("C")
NOT_AN_OBJECT = "Nội dung phải là một đối tượng JSON."


def sent(*, required: bool = False) -> Any:
    """A field of the body (None when absent); `required` as the OpenAPI document says."""
    return field(default=None, metadata={"required": required})


def json_object(body: object) -> dict:
    if not isinstance(body, dict):
        raise BadRequest(NOT_AN_OBJECT, code="invalid_type", field="")
    return body


def whole_body() -> Any:
    """The object as sent, for what must see all of it (the idempotency hash of a submission)."""
    return field(default_factory=dict, repr=False, compare=False, metadata={"whole": True})


def parse(kind: type[C], body: object) -> C:
    """The command `kind` read from a JSON body; 400 `invalid_type` if it is not an object."""
    found = json_object(body)
    return kind(**{f.name: found if f.metadata.get("whole") else found.get(f.name)
                   for f in fields(kind)})  # type: ignore[arg-type]


def body_fields(kind: type) -> set[str]:
    """The fields a command reads from the body (the OpenAPI schema's properties)."""
    return {f.name for f in fields(kind) if not f.metadata.get("whole")}


def required_fields(kind: type) -> set[str]:
    return {f.name for f in fields(kind) if f.metadata.get("required")}


@dataclass(frozen=True)
class Login:
    username: Json = sent(required=True)
    password: Json = sent(required=True)


@dataclass(frozen=True)
class StartUpload:
    name: Json = sent(required=True)
    sha256: Json = sent(required=True)
    size: Json = sent(required=True)
    content_type: Json = sent(required=True)


@dataclass(frozen=True)
class AddDayOff:
    date: Json = sent(required=True)
    reason: Json = sent(required=True)


@dataclass(frozen=True)
class PutProject:
    name: Json = sent(required=True)
    owner_unit: Json = sent(required=True)
    total_investment: Json = sent(required=True)


@dataclass(frozen=True)
class PutYearPlan:
    allocated: Json = sent(required=True)
    extended_from_previous: Json = sent()
    advanced_from_next_year: Json = sent()


@dataclass(frozen=True)
class DelayReason:
    reason: Json = sent(required=True)


@dataclass(frozen=True)
class RegisterCertificate:
    title: Json = sent(required=True)
    certificate: Json = sent(required=True)
    proof: Json = sent(required=True)


@dataclass(frozen=True)
class RevokeCertificate:
    reason: Json = sent(required=True)


@dataclass(frozen=True)
class RevokeAutopay:
    reason: Json = sent()          # optional, and so is the whole body


@dataclass(frozen=True)
class Decide:
    decision: Json = sent(required=True)
    reason: Json = sent()
    signature: Json = sent()


@dataclass(frozen=True)
class Subscribe:
    protocol: Json = sent(required=True)
    endpoint: Json = sent(required=True)


@dataclass(frozen=True)
class PaperVouchers:
    date: Json = sent(required=True)
    count: Json = sent(required=True)


@dataclass(frozen=True)
class MandatoryUnits:
    count: Json = sent(required=True)


@dataclass(frozen=True)
class Submit:
    """A dossier, a supplement, a TK01 registration or a statement's reply: content + signatures."""
    content: Json = sent(required=True)
    signatures: Json = sent(required=True)
    as_sent: dict = whole_body()


@dataclass(frozen=True)
class Extend:
    cause: Json = sent(required=True)
    reason: Json = sent(required=True)
    working_days: Json = sent(required=True)


@dataclass(frozen=True)
class Resolve:
    outcome: Json = sent(required=True)
    reason: Json = sent(required=True)
    signature: Json = sent()


# The command each operation's body is parsed into (the OpenAPI agreement test reads this).
BY_OPERATION: dict[tuple[str, str], type] = {
    ("post", "/v1/auth/token"): Login,
    ("post", "/v1/registrations"): Submit,
    ("post", "/v1/dossiers"): Submit,
    ("post", "/v1/documents"): StartUpload,
    ("post", "/v1/dossiers/{dossier_id}/supplement"): Submit,
    ("post", "/v1/certificates"): RegisterCertificate,
    ("post", "/v1/certificates/{fingerprint}/revoke"): RevokeCertificate,
    ("post", "/v1/tasks/{task_id}/decision"): Decide,
    ("post", "/v1/dossiers/{dossier_id}/delay-reason"): DelayReason,
    ("post", "/v1/dossiers/{dossier_id}/extension"): Extend,
    ("post", "/v1/offices/{office_id}/days-off"): AddDayOff,
    ("post", "/v1/offices/{office_id}/paper-vouchers"): PaperVouchers,
    ("post", "/v1/offices/{office_id}/mandatory-units"): MandatoryUnits,
    ("post", "/v1/statements/{statement_id}/reply"): Submit,
    ("post", "/v1/statements/{statement_id}/resolution"): Resolve,
    ("post", "/v1/alerts/subscriptions"): Subscribe,
    ("post", "/v1/autopay/{authorisation_id}/revoke"): RevokeAutopay,
    ("put", "/v1/projects/{code}"): PutProject,
    ("put", "/v1/projects/{code}/plans/{year}"): PutYearPlan,
}
