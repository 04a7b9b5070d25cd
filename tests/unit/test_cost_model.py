"""The cost model's arithmetic (bench.cost) and its DynamoDB unit rules (bench.capacity), on small
fixed inputs whose dollars and units were worked out by hand."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench import capacity, cost

pytestmark = pytest.mark.unit

PRICES = {
    "services": {
        "apigateway": {"rest_requests_per_million": 4.0},
        "lambda": {"requests_per_million": 0.2, "gb_second_x86": 0.00001},
        "stepfunctions": {"standard_transitions_per_thousand": 0.025},
        "dynamodb": {"write_request_units_per_million": 1.0,
                     "read_request_units_per_million": 0.5,
                     "storage_gb_month": 0.25, "pitr_gb_month": 0.2},
        "sqs": {"requests_per_million": 0.4},
        "eventbridge": {"custom_events_per_million": 1.0},
        "sns": {"publishes_per_million": 0.5, "email_deliveries_per_100k": 2.0},
        "ses": {"emails_per_thousand": 0.1},
        "s3": {"storage_gb_month": 0.02, "put_per_thousand": 0.005, "get_per_thousand": 0.0004},
        "logs": {"ingestion_per_gb": 0.5},
        "xray": {"traces_recorded_per_million": 5.0},
        "cognito": {"essentials_per_mau": 0.015,
                    "lite_tiers": [[100000, 0.0055], [1000000, 0.0046], [None, 0.0025]]},
    },
    "assumptions": {
        "read_requests_per_dossier": 2, "read_request_rru": 1, "read_request_ms": 50,
        "lambda_memory_mb": 1024, "attachments_per_dossier": 1, "attachment_kb": 1024,
        "attachment_downloads": 1, "log_bytes_per_invocation": 0,
        "access_log_bytes_per_request": 0, "xray_sampling": 0.5,
        "sns_email_subscribers_per_publish": 2, "units": 100, "users_per_unit": 3,
        "treasury_users": 10, "queues_polled_by_lambda": 2,
        "idle_receives_per_queue_month": 1000,
    },
}
MEASURED = {"api_requests": 3, "api_ms": 100.0, "handler_invocations": 5, "handler_ms": 400.0,
            "transitions": 5, "wru": 20, "rru": 4, "stored_bytes": 0, "sqs_messages": 4,
            "events": 2, "sns_publishes": 1, "emails": 1, "s3_puts": 0, "s3_gets": 0}


def per_thousand(item_prefix: str, service: str) -> float:
    return next(line.per_thousand for line in cost.cost_lines(MEASURED, PRICES)
                if line.service == service and line.item.startswith(item_prefix))


def test_api_gateway_bills_the_measured_writes_and_the_assumed_reads():
    # (3 + 2) requests × $4 / 1e6 × 1,000 dossiers = $0.02
    assert per_thousand("REST", "API Gateway") == pytest.approx(0.02)


def test_lambda_counts_every_request_and_handler_invocation():
    # (3 + 2 + 5) invocations × $0.2 / 1e6 × 1,000 = $0.002
    assert per_thousand("invocations", "Lambda") == pytest.approx(0.002)


def test_lambda_duration_is_the_measured_time_at_the_assumed_memory():
    # 3 × 100 ms + 2 × 50 ms + 400 ms = 0.8 s at 1 GB = 0.8 GB-s × $0.00001 × 1,000 = $0.008
    assert per_thousand("duration", "Lambda") == pytest.approx(0.008)


def test_step_functions_charge_a_fortieth_of_a_cent_per_transition():
    # 5 × $0.025 / 1,000 × 1,000 = $0.125
    assert per_thousand("Standard", "Step Functions") == pytest.approx(0.125)


def test_dynamodb_reads_include_the_assumed_read_requests():
    # WRU 20 × $1 / 1e6 × 1,000 = $0.02; RRU (4 + 2 × 1) × $0.5 / 1e6 × 1,000 = $0.003
    assert per_thousand("write", "DynamoDB") == pytest.approx(0.02)
    assert per_thousand("read", "DynamoDB") == pytest.approx(0.003)


def test_each_sqs_message_is_sent_received_and_deleted():
    # 4 messages × 3 requests × $0.4 / 1e6 × 1,000 = $0.0048
    assert per_thousand("requests", "SQS") == pytest.approx(0.0048)


def test_messages_events_and_emails():
    # EventBridge 2 × $1/1e6 × 1e3 = $0.002; SNS publish 1 × $0.5/1e6 × 1e3 = $0.0005;
    # SNS e-mail 2 deliveries × $2/1e5 × 1e3 = $0.04; SES 1 × $0.1/1e3 × 1e3 = $0.1
    assert per_thousand("custom", "EventBridge") == pytest.approx(0.002)
    assert per_thousand("risk", "SNS") == pytest.approx(0.0005)
    assert per_thousand("e-mail deliveries", "SNS") == pytest.approx(0.04)
    assert per_thousand("result", "SES") == pytest.approx(0.1)


def test_s3_requests_come_from_the_assumed_attachments():
    # 1 PUT × $0.005/1e3 × 1e3 = $0.005; 1 HEAD + 1 download = 2 × $0.0004/1e3 × 1e3 = $0.0008
    assert per_thousand("PUT", "S3") == pytest.approx(0.005)
    assert per_thousand("GET", "S3") == pytest.approx(0.0008)


def test_x_ray_traces_follow_the_sampling_assumption():
    # 10 invocations × 0.5 sampled × $5/1e6 × 1e3 = $0.025
    assert per_thousand("traces", "X-Ray") == pytest.approx(0.025)


def test_storage_of_a_one_mebibyte_attachment():
    # 1 MiB = 1/1024 GB × $0.02 per GB-month × 1,000 dossiers = $0.01953125
    line = next(s for s in cost.storage_lines(MEASURED, PRICES) if s.service == "S3")
    assert line.per_thousand == pytest.approx(0.01953125)


def test_users_are_billed_monthly_whatever_the_dossier_count():
    essentials, lite, polls = cost.fixed_lines(PRICES)
    assert essentials.quantity == 310                     # 100 units × 3 + 10 officers
    assert essentials.monthly == pytest.approx(4.65)      # 310 × $0.015
    assert lite.monthly == pytest.approx(1.705)           # 310 × $0.0055 (first tier)
    assert polls.monthly == pytest.approx(0.0008)         # 2 queues × 1,000 × $0.4/1e6


def test_lite_tiers_price_each_band_at_its_own_rate():
    tiers = PRICES["services"]["cognito"]["lite_tiers"]
    # 100,000 × 0.0055 + 190,000 × 0.0046 = 550 + 874
    assert cost.tiered(290_000, tiers) == pytest.approx(1424.0)
    # 100,000 × 0.0055 + 900,000 × 0.0046 + 500,000 × 0.0025 = 550 + 4,140 + 1,250
    assert cost.tiered(1_500_000, tiers) == pytest.approx(5940.0)


# --- DynamoDB units ---------------------------------------------------------------------------------
def test_item_size_counts_names_and_values():
    # "pk" 2 + "abc" 3 = 5; "n" 1 + 3 digits (2 bytes + 1) = 4; "ok" 2 + bool 1 = 3
    assert capacity.item_size({"pk": {"S": "abc"}, "n": {"N": "123"}, "ok": {"BOOL": True}}) == 12


def _captured(*writes: dict, reads: tuple = ()) -> capacity.Capture:
    capture = capacity.Capture()
    capture.writes["b"] = list(writes)
    capture.reads["b"] = list(reads)
    return capture


SCHEMAS = {"t": {"key": ["id"], "indexes": [{"name": "by_unit", "key": ["unit_id"],
                                               "projection": "ALL"}]}}


def test_a_transactional_put_costs_twice_and_its_index_once():
    # "id"+"x" 3, "unit_id"+"u" 8, "blob"+1,500 1,504: 1,515 bytes
    item = {"id": {"S": "x"}, "unit_id": {"S": "u"}, "blob": {"S": "z" * 1500}}
    units = capacity.dynamodb_units(
        _captured({"table": "t", "kind": "put", "transactional": True, "item": item}),
        ["b"], lambda table, key: item, dossiers=1, schemas=SCHEMAS)
    assert units["write_request_units"] == {"t": 4}          # 2 KB started × 2
    assert units["index_write_request_units"] == {"t": 2}    # the ALL projection, 2 KB
    # stored: (1,515 + 100 overhead) in the table and again in the index
    assert units["stored_bytes"] == {"t": 3230}


def test_an_update_that_moves_an_index_key_writes_the_index_twice():
    after = {"id": {"S": "x"}, "unit_id": {"S": "v"}}
    update = {"table": "t", "kind": "update", "transactional": False,
              "key": {"id": {"S": "x"}}, "sets": ["unit_id"]}
    units = capacity.dynamodb_units(_captured(update), ["b"], lambda table, key: after,
                                    dossiers=2, schemas=SCHEMAS)
    assert units["write_request_units"] == {"t": 0.5}        # 1 WRU over 2 dossiers
    assert units["index_write_request_units"] == {"t": 1.0}  # delete + put, over 2 dossiers


def test_reads_cost_half_when_eventually_consistent_and_double_in_a_transaction():
    reads = ({"table": "t", "items": 2, "consistent": True, "transactional": False},
             {"table": "t", "items": 1, "consistent": False, "transactional": False},
             {"table": "t", "items": 1, "consistent": True, "transactional": True})
    units = capacity.dynamodb_units(_captured(reads=reads), ["b"], lambda t, k: None,
                                    dossiers=1, schemas=SCHEMAS)
    assert units["read_request_units"] == {"t": 4.5}          # 2 + 0.5 + 2


def test_capture_files_calls_under_the_bucket_in_flight():
    capture = capacity.Capture()
    capture.bucket_of = lambda: "submit"
    model = SimpleNamespace(name="PutEvents", service_model=SimpleNamespace(service_name="events"))
    capture(params={"Entries": [{}, {}, {}]}, model=model)
    capture.bucket_of = lambda: None
    capture(params={"Entries": [{}]}, model=model)
    assert capacity.other_facts(capture, ["submit"], dossiers=1) == {"eventbridge:events": 3}
