"""The GUI benchmark's machinery (its figures are wall-clock times: never asserted here)."""

import json
import math

from gui.devtools.bench import JSON_KEYS, Row, format_table, json_line, parse_args
from gui.devtools.bench_live import bench_live, bench_replay, rss_mb

from ..conftest import FakePredictor


def test_table_has_a_row_per_figure_and_says_which_targets_are_met():
    table = format_table([Row("inference", "0.9 ms", "<= 2 ms", True),
                          Row("launch", "1.4 s", "<= 1.0 s", False),
                          Row("memory", "not measured", "-", None)])
    lines = table.splitlines()
    assert len(lines) == 5 and all(line.startswith("|") for line in lines)
    assert lines[2].rstrip(" |").endswith("yes") and lines[3].rstrip(" |").endswith("NO")
    assert len({len(line) for line in lines}) == 1  # aligned


def test_resident_memory_is_read_from_proc():
    mb = rss_mb()
    assert math.isnan(mb) or 10 < mb < 100_000


def test_live_driver_draws_through_the_real_window_until_it_has_repainted(qapp):
    predictor = FakePredictor("mnist")
    live = bench_live(predictor, updates=0, segments=15, log=lambda message: None)
    assert len(live.latencies_s) == 15 and all(t > 0 for t in live.latencies_s)
    assert live.updates == 35
    assert predictor.calls >= 20  # inference really ran for the drawn segments
    assert math.isnan(live.rss_1000_mb)


def test_live_driver_in_presentation_mode_waits_for_the_presentation_views(qapp):
    predictor = FakePredictor("mnist")
    live = bench_live(predictor, updates=0, segments=10, log=lambda message: None,
                      presentation=True)
    assert len(live.latencies_s) == 10 and all(t > 0 for t in live.latencies_s)
    assert predictor.calls >= 20


def test_replay_bench_times_whole_timelines(qapp):
    predictor = FakePredictor("mnist")
    times = bench_replay(predictor, runs=2, strokes=20)
    assert len(times) == 2 and all(t > 0 for t in times)
    assert predictor.calls >= 3 * 20  # every run classified all 20 steps


def test_updates_and_json_options():
    assert parse_args([]).updates == 10_000 and not parse_args([]).json
    assert parse_args(["--updates", "2000"]).updates == 2000
    assert parse_args(["--json"]).json


def test_the_json_line_holds_every_headline_figure():
    figures = {key: i + 0.123456 for i, key in enumerate(JSON_KEYS)}
    figures["an extra"] = 1.0
    line = json_line(figures)
    assert "\n" not in line
    assert json.loads(line) == {key: round(i + 0.123456, 4) for i, key in enumerate(JSON_KEYS)}
    assert set(JSON_KEYS) == {"window_s", "first_prediction_s", "inference_ms", "repaint_p95_ms",
                              "presentation_p95_ms", "rss_mb_1000", "rss_growth_pct", "predict_cli_s"}
