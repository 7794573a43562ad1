"""Online augmentation parts and the cached sketch sets."""

import os

import numpy as np
import pytest

from model.training import augment
from model.training.recipes import RECIPES, STAGES, Recipe, SketchSet


@pytest.mark.parametrize("part", sorted(augment.ONLINE_PARTS))
def test_each_online_part_keeps_shape_and_range_and_changes_the_batch(part):
    rng = np.random.default_rng(0)
    batch = np.zeros((16, 28, 28, 1), np.float32)
    batch[:, 6:22, 9:13] = rng.random((16, 16, 4, 1)) * 0.5 + 0.5  # off-centre, asymmetric
    layers = augment.online_layers(Recipe(online=(part,)), seed=3)
    out = np.asarray(augment.apply_online(layers, batch))
    assert out.shape == batch.shape
    assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    assert not np.allclose(out, batch)


def test_the_online_parts_of_every_digit_recipe_and_stage_leave_out_flips():
    digit_parts = [RECIPES["mnist"][arch].online for arch in RECIPES["mnist"]]
    digit_parts += [s.online for stage in STAGES.values()
                    for (dataset, _), s in stage.schedules.items()
                    if dataset == "mnist" and s.online is not None]
    assert digit_parts and all("flip" not in parts for parts in digit_parts)
    kinds = {name: type(augment.ONLINE_PARTS[name](0)).__name__ for name in augment.ONLINE_PARTS}
    assert [name for name, kind in kinds.items() if kind == "RandomFlip"] == ["flip"]


def _strokes_and_bars(n=40):
    rng = np.random.default_rng(0)
    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        x[i, 6:22, 12:16] = 255  # a "1"
        x[i, rng.integers(6, 20), 8:20] = 255 * (i % 2)  # half of them a "7"-ish bar
    return x, (np.arange(n) % 2).astype(np.uint8)


def test_sketch_sets_are_labelled_drawn_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    x, y = _strokes_and_bars()
    sx, sy = augment.sketch_set(SketchSet("strokes", 30), "mnist", x, y, seed=5, log=lambda *a: None)
    assert sx.shape[1:] == (28, 28, 1) and sx.dtype == np.float32 and len(sx) == len(sy) == 30
    again, _ = augment.sketch_set(SketchSet("strokes", 30), "mnist", x, y, seed=5, log=lambda *a: None)
    np.testing.assert_array_equal(sx, again)  # cached, and reproducible


def test_a_cached_sketch_set_is_read_back_and_a_code_change_redraws_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    x, y = _strokes_and_bars(12)
    part = SketchSet("strokes", 8)
    sx, sy = augment.sketch_set(part, "mnist", x, y, seed=1, log=lambda *a: None)
    files = list((tmp_path / "sketches").iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"  # written whole: no temporary left

    def no_drawing(*args, **kwargs):
        raise AssertionError("drawn again")

    monkeypatch.setattr(augment, "render_sketches", no_drawing)
    again_x, again_y = augment.sketch_set(part, "mnist", x, y, seed=1, log=lambda *a: None)
    np.testing.assert_array_equal(again_x, sx)
    np.testing.assert_array_equal(again_y, sy)
    with pytest.raises(AssertionError, match="drawn again"):  # another seed is another set
        augment.sketch_set(part, "mnist", x, y, seed=2, log=lambda *a: None)
    monkeypatch.setattr(augment, "code_digest", lambda *sources: "0123456789ab")
    with pytest.raises(AssertionError, match="drawn again"):  # new drawing code: not served stale
        augment.sketch_set(part, "mnist", x, y, seed=1, log=lambda *a: None)


def test_render_sketches_returns_each_copy_with_the_index_of_its_source():
    x, _ = _strokes_and_bars(6)
    images, index = augment.render_sketches("strokes", "mnist", x, seed=3, processes=1)
    assert images.shape == (6, 28, 28, 1) and index.tolist() == list(range(6))
    assert images.max() > 0.5 and images.min() >= 0.0  # ink, in the network's range
    again, _ = augment.render_sketches("strokes", "mnist", x, seed=3, processes=1)
    np.testing.assert_array_equal(images, again)  # one seed, one set
    other, _ = augment.render_sketches("strokes", "mnist", x, seed=4, processes=1)
    assert not np.array_equal(images, other)


def test_worker_processes_get_single_threaded_blas_and_the_settings_come_back(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with augment.single_threaded_blas():
        assert all(os.environ[k] == "1" for k in augment.BLAS_THREAD_VARS)
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4" and "OMP_NUM_THREADS" not in os.environ
