"""The Train Live benchmark's arithmetic and table (its run is wall-clock time: not here)."""

from gui.devtools.train_bench import Timeline, _figures, rows


def test_the_first_report_past_each_level_is_when_it_was_reached():
    timeline = Timeline([(14.0, 100, 0.92), (19.5, 200, 0.955), (24.0, 300, 0.981)])
    assert timeline.first(0.95) == 19.5 and timeline.first(0.98) == 24.0
    assert timeline.first(0.99) is None


def test_the_table_says_which_targets_are_met_and_what_was_not_reached():
    figures = _figures(Timeline([(14.0, 100, 0.92), (35.0, 200, 0.955)]), [0.010] * 20,
                       [0.012] * 10 + [0.050] * 10, 174.0, [175.0, 200.0], 150.0)
    assert figures["seconds_to_95"] == 35.0 and figures["seconds_to_98"] is None
    assert figures["gui_rss_mb_training"] == 200.0 and figures["repaint_p95_ms"] > 12
    table = {row.figure: row for row in rows(figures)}
    assert [row.met for row in table.values()] == [False, False, False, False]
    assert table["Train -> >= 98% of them"].measured == "not reached"
    assert set(figures) >= {"seconds_to_95", "seconds_to_98", "repaint_p95_ms", "gui_rss_mb_idle",
                            "gui_rss_mb_training"}
