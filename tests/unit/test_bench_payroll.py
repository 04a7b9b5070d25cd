"""The payroll benchmark's pure helpers (bench/payroll.py): medians of latency and of our code's
CPU (the request thread's CPU less its part inside botocore), the targets' verdicts, and the split
of a payroll's AWS calls between the product and the stand-in ledger."""
from __future__ import annotations

import threading
from collections import Counter

from bench.payroll import CpuMeter, split_calls, summarise, verdicts


def test_our_cpu_is_the_request_threads_cpu_less_its_part_inside_botocore():
    row = summarise([900.0, 1200.0, 1000.0], [(400.0, 150.0), (500.0, 100.0), (300.0, 120.0)])
    assert row["n"] == 3 and row["submit_p50_ms"] == 1000.0 and row["submit_max_ms"] == 1200.0
    assert row["thread_cpu_p50_ms"] == 400.0 and row["botocore_cpu_p50_ms"] == 120.0
    assert row["our_cpu_p50_ms"] == 250.0          # median of 250, 400, 180


def test_the_targets_are_judged_on_the_medians():
    assert verdicts({"submit_p50_ms": 1999.0, "our_cpu_p50_ms": 300.0}) == {
        "submit_p50_ms": True, "our_cpu_p50_ms": True}
    assert verdicts({"submit_p50_ms": 2000.1, "our_cpu_p50_ms": 301.0}) == {
        "submit_p50_ms": False, "our_cpu_p50_ms": False}


def test_a_payrolls_calls_are_split_between_the_product_and_the_standin_ledger():
    product = {"submit": Counter(TransactWriteItems=1, PutObject=1),
               "decide": Counter(SendTaskSuccess=2),
               "background:kbnn-ledger-confirmations": Counter(GetObject=1),
               "pump polling": Counter(ReceiveMessage=40), "api:other": Counter(Query=3)}
    split = split_calls(product, Counter(BatchWriteItem=40, GetObject=1))
    assert split["product"]["total"] == 5
    assert split["product"]["by_cause"] == {"background:kbnn-ledger-confirmations": 1,
                                            "decide": 2, "submit": 2}
    assert split["product"]["operations"]["GetObject"] == 1
    assert split["standin_ledger"] == {"total": 41,
                                       "operations": {"BatchWriteItem": 40, "GetObject": 1}}


def test_the_meter_charges_cpu_spent_on_the_apps_thread_and_not_another_threads():
    meter = CpuMeter()

    def busy(ms: float) -> None:
        import time
        end = time.thread_time() + ms / 1000
        while time.thread_time() < end:
            pass

    other = threading.Thread(target=busy, args=(60,))
    meter.around_app(lambda: (other.start(), busy(20), other.join()))
    total, in_aws = meter.last()
    assert 15 <= total < 55 and in_aws == 0.0


def test_the_meter_moves_cpu_spent_inside_a_botocore_call_out_of_our_code():
    import boto3
    from botocore.stub import Stubber

    client = boto3.session.Session(region_name="ap-southeast-1", aws_access_key_id="x",
                                   aws_secret_access_key="x").client("s3")
    stubber = Stubber(client)
    stubber.add_response("list_buckets", {"Buckets": []})
    # Work inside the call (as botocore's serialising and parsing are): 30 ms of CPU.
    client.meta.events.register("before-parameter-build.s3.ListBuckets", lambda **_: _burn(30))
    meter = CpuMeter()
    meter.install()
    try:
        with stubber:
            meter.around_app(lambda: (_burn(10), client.list_buckets()))
    finally:
        meter.uninstall()
    total, in_aws = meter.last()
    assert 25 <= in_aws <= total and 5 <= total - in_aws < 25


def _burn(ms: float) -> None:
    import time
    end = time.thread_time() + ms / 1000
    while time.thread_time() < end:
        pass
