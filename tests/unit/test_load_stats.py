"""The load run's arithmetic (bench/load.py): the request mix, percentiles, outcome counting and
the CPU profile's attribution to components. No stack, no locust, no timing."""
import random

import pytest

from bench.load import (
    MIX,
    Mix,
    Sample,
    attribute_cpu,
    classify,
    delta,
    knee,
    percentile,
    summarise,
)


def test_percentile_is_nearest_rank_and_always_an_observed_value():
    values = [float(v) for v in range(1, 101)]           # 1..100
    random.Random(1).shuffle(values)
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.5], 99) == 7.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 1) == 1.0


def test_percentile_refuses_no_values_and_a_rank_outside_0_to_100():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 0)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_mix_picks_each_kind_on_its_own_share_of_the_unit_interval():
    mix = Mix({"a": 1, "b": 3})
    assert mix.pick(0.0) == "a"
    assert mix.pick(0.2499) == "a"
    assert mix.pick(0.25) == "b"
    assert mix.pick(0.9999999) == "b"
    with pytest.raises(ValueError):
        mix.pick(1.0)


def test_morning_peak_mix_is_realised_over_many_draws():
    mix, rng = Mix(MIX), random.Random(42)
    n = 100_000
    drawn = [mix.pick(rng.random()) for _ in range(n)]
    total = sum(MIX.values())
    for kind, weight in MIX.items():
        assert abs(drawn.count(kind) / n - weight / total) < 0.01, kind


def test_mix_skips_zero_weights_and_refuses_an_empty_or_negative_mix():
    assert Mix({"a": 0, "b": 1}).pick(0.0) == "b"
    for weights in ({}, {"a": 0}, {"a": -1, "b": 2}):
        with pytest.raises(ValueError):
            Mix(weights)


def test_a_lost_race_for_a_task_is_expected_but_other_4xx_and_5xx_are_errors():
    assert classify("decide", 409) == "expected_4xx"
    assert classify("status", 409) == "unexpected_4xx"
    assert classify("decide", 403) == "unexpected_4xx"
    assert classify("submit", 201) == "ok"
    assert classify("inbox", 503) == "server_error"
    assert classify("list", 0) == "transport_error"


def test_summary_counts_throughput_errors_and_latency_per_kind():
    samples = ([Sample("status", ms, "ok") for ms in (10.0, 20.0, 30.0, 40.0)]
               + [Sample("decide", 50.0, "expected_4xx"), Sample("submit", 60.0, "server_error"),
                  Sample("inbox", 0.1, "transport_error"), Sample("list", 5.0, "unexpected_4xx")])
    s = summarise(samples, seconds=2.0)
    assert s["requests"] == 8 and s["rps"] == 4.0
    assert s["error_rate"] == 3 / 8                 # 5xx, transport, unexpected 4xx; not the 409
    assert s["server_error_rate"] == 1 / 8
    assert s["outcomes"]["expected_4xx"] == 1
    assert s["by_kind"]["status"]["p50_ms"] == 20.0
    assert s["by_kind"]["status"]["p99_ms"] == 40.0
    assert s["by_kind"]["inbox"]["n"] == 0          # a transport error has no latency to rank
    assert s["overall"]["n"] == 7
    assert list(s["by_kind"]) == ["status", "list", "inbox", "submit", "decide"]


def test_knee_is_the_fewest_users_within_ten_percent_of_the_best_throughput():
    steps = [{"users": 1, "rps": 10.0}, {"users": 2, "rps": 18.0}, {"users": 4, "rps": 19.5},
             {"users": 8, "rps": 20.0}, {"users": 16, "rps": 17.0}]
    assert knee(steps) == 2
    assert knee([{"users": 1, "rps": 5.0}]) == 1


def test_delta_subtracts_nested_counters_and_treats_new_ones_as_from_zero():
    before = {"cpu_s": 1.0, "requests": {"GET /a": {"n": 2, "total_s": 0.5}}}
    after = {"cpu_s": 3.5, "requests": {"GET /a": {"n": 5, "total_s": 1.5}, "GET /b": {"n": 1}}}
    assert delta(after, before) == {"cpu_s": 2.5, "requests": {
        "GET /a": {"n": 3, "total_s": 1.0}, "GET /b": {"n": 1}}}


def test_profile_time_of_a_shared_function_goes_to_its_callers_in_proportion():
    ours, moto, dumps, deepcopy = (("/r/chalicelib/x.py", 1, "handler"), ("/s/moto/m.py", 1, "m"),
                                   ("/lib/json/__init__.py", 1, "dumps"), ("/lib/copy.py", 1, "dc"))
    stats = {
        ours: (1, 1, 0.2, 1.0, {}),
        moto: (1, 1, 0.5, 2.0, {}),
        # json.dumps: 0.3 s called by our code, 0.1 s by moto
        dumps: (2, 2, 0.4, 0.4, {ours: (1, 1, 0.3, 0.3), moto: (1, 1, 0.1, 0.1)}),
        # deepcopy: recursive, called by moto only
        deepcopy: (5, 1, 1.0, 1.0, {moto: (1, 1, 0.6, 1.0), deepcopy: (4, 4, 0.4, 0.4)}),
    }

    def category(func):
        return {ours: "ours", moto: "moto"}.get(func)

    seconds = attribute_cpu(stats, category)
    assert seconds["ours"] == pytest.approx(0.2 + 0.3)
    assert seconds["moto"] == pytest.approx(0.5 + 0.1 + 1.0)
    assert sum(seconds.values()) == pytest.approx(0.2 + 0.5 + 0.4 + 1.0)
