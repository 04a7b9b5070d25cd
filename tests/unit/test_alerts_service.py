"""The alerts routes' services on in-memory fakes: who subscribes to which topic, what is refused,
and that what they answer is what chalicelib/openapi.json describes."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from chalicelib.adapters.identity import Principal
from chalicelib.adapters.models import RiskFlag
from chalicelib.domain import risk
from chalicelib.domain.commands import Subscribe
from chalicelib.domain.commands import parse as command
from chalicelib.domain.errors import Conflict, Forbidden, InvalidField, NotFound
from chalicelib.services import alerts
from tests.fakes import MemoryAlertStore, MemoryRepository, MemoryTopics

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "chalicelib" / "openapi.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
KTT = Principal("sub-ktt", "ktt.cva", frozenset({"chief_accountant"}), "1012345", None)
CHUTK = Principal("sub-chutk", "chutk.cva", frozenset({"account_holder"}), "1012345", None)
ACCOUNTANT = Principal("sub-kt", "ketoan.cva", frozenset({"unit_accountant"}), "1012345", None)
OFFICER = Principal("sub-ks", "kiemsoat.kv1", frozenset({"control_officer"}), None, "KV1")
LEADER = Principal("sub-ld", "lanhdao.kv1", frozenset({"leader"}), None, "KV1")


def valid(schema: str, instance) -> bool:
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema}",
                                 "components": DOC["components"]}).is_valid(instance)


def a_flag() -> RiskFlag:
    flag = risk.amount_flag(50_000_000, [1_000_000] * 6)
    dossier = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3"
    return RiskFlag(f"FLAG#{dossier}", f"1#{flag.rule}", alert_id=f"{dossier}#1#{flag.rule}",
                    dossier_id=dossier, unit_id="1012345", office_id="KV1",
                    procedure="regular_spending_payment", event="dossier.submitted", rule=flag.rule,
                    message=flag.message, facts=flag.facts, occurred_at="2026-11-23T02:00:00Z",
                    flagged_at="2026-11-23T02:00:01Z", listed_at="x")


def test_signers_subscribe_to_their_units_topic_and_officers_to_their_offices():
    store, topics = MemoryAlertStore(), MemoryTopics()
    status, body = alerts.subscribe(KTT, command(Subscribe, {"protocol": "sms", "endpoint": "+84912345678"}),
                                    store=store, topics=topics, now=NOW)
    assert (status, body["topic"], body["status"]) == (201, "kbnn-risk-1012345", "confirmed")
    assert valid("AlertSubscription", body)
    status, body = alerts.subscribe(OFFICER, command(Subscribe, {"protocol": "email",
                                                                 "endpoint": " ks@kbnn.example.vn "}),
                                    store=store, topics=topics, now=NOW)
    assert (status, body["topic"], body["endpoint"], body["status"]) == \
        (201, "kbnn-risk-office-KV1", "ks@kbnn.example.vn", "pending_confirmation")
    listed = alerts.subscriptions(KTT, store=store, topics=topics)
    assert valid("AlertSubscriptionList", listed) and len(listed["items"]) == 1


def test_the_same_endpoint_again_is_the_same_subscription_and_anothers_is_not_yours():
    store, topics = MemoryAlertStore(), MemoryTopics()
    body = {"protocol": "email", "endpoint": "chung@chuvanan.example.vn"}
    first = alerts.subscribe(KTT, command(Subscribe, body), store=store, topics=topics, now=NOW)[1]
    again = alerts.subscribe(KTT, command(Subscribe, body), store=store, topics=topics, now=NOW)
    assert again == (200, first)
    with pytest.raises(Conflict) as taken:
        alerts.subscribe(CHUTK, command(Subscribe, body), store=store, topics=topics, now=NOW)
    assert taken.value.code == "endpoint_taken"
    with pytest.raises(NotFound):
        alerts.unsubscribe(CHUTK, first["subscription_id"], store=store, topics=topics)
    answer = alerts.unsubscribe(KTT, first["subscription_id"], store=store, topics=topics)
    assert valid("AlertUnsubscribed", answer) and topics.subscribed == {}
    with pytest.raises(NotFound):
        alerts.unsubscribe(KTT, "not-an-id", store=store, topics=topics)


def test_a_person_holds_at_most_five_subscriptions():
    store, topics = MemoryAlertStore(), MemoryTopics()
    for i in range(alerts.MAX_SUBSCRIPTIONS):
        alerts.subscribe(KTT, command(Subscribe, {"protocol": "email",
                                                   "endpoint": f"k{i}@chuvanan.example.vn"}),
                         store=store, topics=topics, now=NOW)
    with pytest.raises(Conflict) as full:
        alerts.subscribe(KTT, command(Subscribe, {"protocol": "email", "endpoint": "k9@chuvanan.example.vn"}),
                         store=store, topics=topics, now=NOW)
    assert full.value.code == "subscription_limit_reached"


@pytest.mark.parametrize("body, code", [
    ({"protocol": "email", "endpoint": "x@y"}, "invalid_endpoint"),
    ({"protocol": "email", "endpoint": "a" * 310 + "@example.vn"}, "invalid_endpoint"),
    ({"protocol": "sms", "endpoint": "+84 912 345 678"}, "invalid_endpoint"),
    ({"protocol": "sms", "endpoint": "+0912345678"}, "invalid_endpoint"),
    ({"protocol": "application", "endpoint": "arn:aws:sns:us-east-1:123:endpoint/GCM/a/b"},
     "invalid_endpoint"),
    ({"protocol": "https", "endpoint": "https://x.vn"}, "invalid_choice"),
    ({"protocol": "sms", "endpoint": 84912345678}, "required"),
])
def test_endpoints_are_checked_for_their_protocol(body, code):
    with pytest.raises(InvalidField) as refused:
        alerts.subscribe(KTT, command(Subscribe, body), store=MemoryAlertStore(), topics=MemoryTopics(),
                         now=NOW)
    assert refused.value.code == code


def test_accountants_may_read_flags_but_not_subscribe():
    with pytest.raises(Forbidden) as refused:
        alerts.subscribe(ACCOUNTANT, command(Subscribe, {"protocol": "sms", "endpoint": "+84912345678"}),
                         store=MemoryAlertStore(), topics=MemoryTopics(), now=NOW)
    assert refused.value.code == "role_not_allowed"
    store = MemoryAlertStore()
    store.save_flag(a_flag())
    page = alerts.list_flags(ACCOUNTANT, store=store, repo=MemoryRepository(), rule=None, dossier_id=None,
                             office="KV2", limit=10, cursor=None)
    assert store.queried == [("unit_id", "1012345")]   # a unit person's office= changes nothing
    assert valid("RiskAlertPage", page) and page["items"][0]["title"] == risk.RULES[risk.AMOUNT]


def test_leaders_read_the_flags_of_the_offices_under_theirs_and_officers_only_their_own():
    store = MemoryAlertStore()
    store.save_flag(a_flag())
    alerts.list_flags(LEADER, store=store, repo=MemoryRepository(), rule=risk.BURST, dossier_id=None,
                      office="KV1-CG", limit=10, cursor=None)
    assert store.queried == [("office_id", "KV1-CG")]
    with pytest.raises(Forbidden):
        alerts.list_flags(OFFICER, store=store, repo=MemoryRepository(), rule=None, dossier_id=None,
                          office="KV1-CG", limit=10, cursor=None)
    with pytest.raises(InvalidField) as bad:
        alerts.list_flags(OFFICER, store=store, repo=MemoryRepository(), rule="amount", dossier_id=None,
                          office=None, limit=10, cursor=None)
    assert bad.value.code == "invalid_choice"


def test_the_documented_enumerations_are_the_codes():
    schemas = DOC["components"]["schemas"]
    assert schemas["RiskRule"]["enum"] == list(risk.RULES)
    assert schemas["AlertSubscriptionRequest"]["properties"]["protocol"]["enum"] == list(alerts.PROTOCOLS)
    assert schemas["AlertSubscription"]["properties"]["subscription_id"]["pattern"] == \
        f"^{alerts.SUBSCRIPTION_ID.pattern}$"
    described = DOC["paths"]["/v1/alerts/subscriptions"]["post"]["description"]
    assert f"at most {alerts.MAX_SUBSCRIPTIONS} subscriptions" in described
