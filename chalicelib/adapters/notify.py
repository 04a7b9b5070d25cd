"""Telling people: e-mail through SES, risk warnings through SNS topics.

SES sends from the template's verified identity (NOTIFICATION_SENDER). Each unit has its own SNS
topic `kbnn-risk-<unit_id>` and each office `kbnn-risk-office-<office_id>`, created on first need:
CreateTopic is idempotent (the same name answers the same ARN), so the ARN is cached per process
and nothing has to exist before a unit's first event. Messages are published with a per-protocol
structure (the full text for e-mail and apps, a short one for SMS) and message attributes
(`kind`, `event`, `dossier_id`...) a subscriber may filter on.
"""
from __future__ import annotations

import json
import threading

from ..domain.errors import InvalidField
from . import aws

UNIT_TOPIC = "kbnn-risk-{}"
# SNS refuses a Subject of 100 characters or more, or with a line break (InvalidParameter): a
# notice's subject is cut here, at the edge, and its full text stays in the message.
SNS_SUBJECT_MAX = 99


def sns_subject(subject: str) -> str:
    """`subject` as SNS takes it: one line, under 100 characters (cut with an ellipsis)."""
    line = " ".join(subject.split())
    return line if len(line) <= SNS_SUBJECT_MAX else line[:SNS_SUBJECT_MAX - 1].rstrip() + "…"
OFFICE_TOPIC = "kbnn-risk-office-{}"


def unit_topic(unit_id: str) -> str:
    return UNIT_TOPIC.format(unit_id)


def office_topic(office_id: str) -> str:
    return OFFICE_TOPIC.format(office_id)


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


class Mailer:
    def __init__(self, sender: str, region: str) -> None:
        self.sender, self.region = sender, region

    def send(self, to: str, subject: str, body: str) -> str:
        """One plain-text UTF-8 e-mail; returns SES's message id."""
        answer = aws.client("ses", self.region).send_email(
            Source=self.sender, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}})
        return answer["MessageId"]


class Topics:
    def __init__(self, region: str) -> None:
        self.region = region
        self._arns: dict[str, str] = {}
        self._lock = threading.Lock()

    def _sns(self):
        return aws.client("sns", self.region)

    def arn(self, name: str) -> str:
        """The topic's ARN, creating the topic on first need (idempotent)."""
        with self._lock:
            if name not in self._arns:
                self._arns[name] = self._sns().create_topic(Name=name)["TopicArn"]
            return self._arns[name]

    def publish(self, name: str, subject: str, text: str, sms: str,
                attributes: dict[str, str | None]) -> str:
        message = {"default": text, "email": text, "sms": sms}
        answer = self._sns().publish(
            TopicArn=self.arn(name), Subject=sns_subject(subject), MessageStructure="json",
            Message=json.dumps(message, ensure_ascii=False),
            MessageAttributes={k: {"DataType": "String", "StringValue": v}
                               for k, v in attributes.items() if v})
        return answer["MessageId"]

    def subscribe(self, name: str, protocol: str, endpoint: str) -> tuple[str, bool]:
        """Subscribe an endpoint; (subscription ARN, still pending confirmation). SNS answers the
        same ARN for the same topic, protocol and endpoint, so subscribing twice is one."""
        from botocore.exceptions import ClientError
        try:
            arn = self._sns().subscribe(TopicArn=self.arn(name), Protocol=protocol,
                                        Endpoint=endpoint, ReturnSubscriptionArn=True)[
                "SubscriptionArn"]
        except ClientError as exc:
            if _code(exc) in ("InvalidParameter", "InvalidParameterValue", "NotFound"):
                raise InvalidField("Amazon SNS không chấp nhận địa chỉ nhận cảnh báo này.",
                                   code="endpoint_rejected", field="endpoint") from exc
            raise
        return arn, self.status(arn) == "pending_confirmation"

    def status(self, subscription_arn: str) -> str:
        """confirmed, pending_confirmation (an e-mail not yet confirmed by its owner), or removed
        (gone from SNS: unsubscribed from the message's own link, or never confirmed)."""
        from botocore.exceptions import ClientError
        try:
            attributes = self._sns().get_subscription_attributes(
                SubscriptionArn=subscription_arn)["Attributes"]
        except ClientError as exc:
            if _code(exc) in ("NotFound", "InvalidParameter"):
                return "removed"
            raise
        return "pending_confirmation" if attributes.get("PendingConfirmation") == "true" \
            else "confirmed"

    def unsubscribe(self, subscription_arn: str) -> None:
        from botocore.exceptions import ClientError
        try:
            self._sns().unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if _code(exc) not in ("NotFound", "InvalidParameter"):
                raise
