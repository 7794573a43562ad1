"""The Explore panel's benchmark (gui/devtools/explore_bench.py): every figure is measured (the
times are wall-clock: only checked to be sane, not against their targets)."""

from gui.devtools.explore_bench import bench_explore


def test_bench_reports_hover_ablation_and_saliency_timings(qapp):
    figures = bench_explore(runs=3)
    for key in ("hover_map_ms", "hover_grid_ms", "ablation_ms", "saliency_ms",
                "ablation_roundtrip_ms", "saliency_roundtrip_ms"):
        assert figures[key]["runs"] == 3
        assert 0 < figures[key]["median_ms"] <= figures[key]["p95_ms"]
