"""Risk warnings over the API: the flags raised on submissions (GET /v1/alerts), and each
signer's own endpoints subscribed to the risk-warning topic (POST/GET/DELETE
/v1/alerts/subscriptions).

Unit people see their unit's flags; control officers their office's; leaders their office's or,
with `office=`, an office under theirs. A unit's account holders and chief accountants subscribe
to their unit's topic; control officers and leaders to their office's (which receives the flags).
Each person manages only the subscriptions they made.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from ..adapters.identity import Principal
from ..adapters.models import AlertSubscription, RiskFlag
from ..adapters.notify import office_topic, unit_topic
from ..domain import catalogue, risk
from ..domain.commands import Subscribe
from ..domain.errors import Conflict, InvalidField, NotFound
from . import authz, common

MAX_SUBSCRIPTIONS = 5
PROTOCOLS = ("email", "sms", "application")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")          # E.164
_APP = re.compile(r"arn:aws:sns:[a-z0-9\-]+:[0-9]{12}:endpoint/[A-Za-z_]+/[A-Za-z0-9_.\-]{1,256}"
                  r"/[0-9a-f\-]{36}")
_ENDPOINT_RULES = {
    "email": (_EMAIL, "Địa chỉ thư điện tử không hợp lệ."),
    "sms": (_PHONE, "Số điện thoại phải theo định dạng quốc tế E.164, ví dụ +84912345678."),
    "application": (_APP, "Endpoint ứng dụng phải là ARN endpoint của Amazon SNS."),
}
SUBSCRIPTION_ID = re.compile(r"[0-9a-f]{24}")


def flag_view(flag: RiskFlag) -> dict:
    return {"alert_id": flag.alert_id, "dossier_id": flag.dossier_id,
            "dossier_code": flag.dossier_id, "unit_id": flag.unit_id, "office_id": flag.office_id,
            "procedure": flag.procedure, "event": flag.event, "rule": flag.rule,
            "title": risk.RULES.get(flag.rule, flag.rule), "message": flag.message,
            "facts": flag.facts or {}, "occurred_at": flag.occurred_at,
            "flagged_at": flag.flagged_at}


def list_flags(principal: Principal, *, store: Any, repo: Any, rule: str | None,
               dossier_id: str | None, office: str | None, limit: int, cursor: str | None) -> dict:
    authz.require(principal, "alert.list")
    if rule is not None and rule not in risk.RULES:
        raise InvalidField(f"rule phải là một trong: {', '.join(risk.RULES)}.",
                           code="invalid_choice", field="rule")
    scope_attr, scope_id = common.list_scope(principal, "alert.list", office, repo)
    page = store.flags(scope_attr, scope_id, rule=rule, dossier_id=dossier_id, limit=limit,
                       cursor=cursor)
    return {"items": [flag_view(f) for f in page.items], "next_cursor": page.next_cursor}


# --- subscriptions -----------------------------------------------------------------------------
def topic_for(principal: Principal) -> str:
    """A unit's signers listen to their unit's topic; officers and leaders to their office's."""
    if principal.roles & {catalogue.CONTROL_OFFICER, catalogue.LEADER}:
        return office_topic(common.office_of(principal))
    return unit_topic(common.unit_of(principal))


def subscription_view(item: AlertSubscription, status: str) -> dict:
    return {"subscription_id": item.sk, "topic": item.topic, "protocol": item.protocol,
            "endpoint": item.endpoint, "status": status, "created_at": item.created_at}


def _parse(cmd: Subscribe) -> tuple[str, str]:
    protocol, endpoint = cmd.protocol, cmd.endpoint
    if protocol is None:
        raise InvalidField("Cần protocol (email, sms hoặc application).", code="required",
                           field="protocol")
    if protocol not in PROTOCOLS:
        raise InvalidField("protocol phải là email, sms hoặc application.", code="invalid_choice",
                           field="protocol")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InvalidField("Cần endpoint: địa chỉ nhận cảnh báo.", code="required", field="endpoint")
    endpoint = endpoint.strip()
    pattern, message = _ENDPOINT_RULES[protocol]
    if len(endpoint) > 320 or not pattern.fullmatch(endpoint):
        raise InvalidField(message, code="invalid_endpoint", field="endpoint")
    return protocol, endpoint


def subscribe(principal: Principal, cmd: Subscribe, *, store: Any, topics: Any,
              now: datetime) -> tuple[int, dict]:
    """Subscribe the caller's own endpoint; 201 when new, 200 when the caller already had it."""
    authz.require(principal, "alert.subscribe")
    protocol, endpoint = _parse(cmd)
    mine = store.subscriptions(principal.sub)
    topic = topic_for(principal)
    same = next((s for s in mine if (s.topic, s.protocol, s.endpoint) == (topic, protocol, endpoint)),
                None)
    if same is not None:
        return 200, subscription_view(same, topics.status(same.subscription_arn))
    if len(mine) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"Mỗi người đăng ký tối đa {MAX_SUBSCRIPTIONS} địa chỉ nhận cảnh báo.",
                       code="subscription_limit_reached", field="endpoint")
    arn, pending = topics.subscribe(topic, protocol, endpoint)
    subscription_id = hashlib.sha256(arn.encode()).hexdigest()[:24]
    if not store.claim_subscription(subscription_id, principal.sub):
        raise Conflict("Địa chỉ này đã được người khác đăng ký nhận cảnh báo.",
                       code="endpoint_taken", field="endpoint")
    item = AlertSubscription(f"SUBSCRIBER#{principal.sub}", subscription_id, subscription_arn=arn,
                             topic=topic, protocol=protocol, endpoint=endpoint,
                             created_at=common.iso(now))
    store.save_subscription(item)
    return 201, subscription_view(item, "pending_confirmation" if pending else "confirmed")


def subscriptions(principal: Principal, *, store: Any, topics: Any) -> dict:
    authz.require(principal, "alert.subscribe")
    return {"items": [subscription_view(s, topics.status(s.subscription_arn))
                      for s in store.subscriptions(principal.sub)]}


def unsubscribe(principal: Principal, subscription_id: str, *, store: Any, topics: Any) -> dict:
    authz.require(principal, "alert.subscribe")
    item = store.subscription(principal.sub, subscription_id) \
        if SUBSCRIPTION_ID.fullmatch(subscription_id) else None
    if item is None:   # another person's is "not found" too
        raise NotFound("Không tìm thấy đăng ký nhận cảnh báo.", code="subscription_not_found")
    topics.unsubscribe(item.subscription_arn)
    store.delete_subscription(item)
    return {"subscription_id": subscription_id, "deleted": True}
