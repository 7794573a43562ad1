import json
from pathlib import Path

import numpy as np
import pytest

from model.training import augment
from model.training.augment import RECIPES, Recipe, SketchSet


def test_a_short_run_on_a_small_slice_learns(tmp_path):
    from model.training.train import train

    out = tmp_path / "small.keras"
    recipe = Recipe(online=("shift",), sketches=(SketchSet("strokes", 300),),
                    extra={"learning_rate": 2e-3, "batch_size": 64})
    result = train("mnist", "cnn", epochs=2, limit=3000, out=out, recipe=recipe, verbose=0,
                   log=lambda *a: None)
    assert out.is_file()
    card = json.loads(out.with_suffix(".json").read_text())
    assert card == result.card
    assert card["dataset"] == "mnist" and card["epochs"] == 2 and card["seed"] == 0
    assert card["train_images"] == 3000 and 250 <= card["sketch_images"] <= 300
    assert card["augmentation"] == ["shift", "strokesx300"]
    assert len(card["data_sha256"]) == 64 and card["keras"] and card["tensorflow"]
    # Measured on the full 10,000-image test split; chance is 10%.
    assert card["test_accuracy"] > 0.8
    assert {p.name for p in tmp_path.iterdir()} == {"small.keras", "small.json"}  # no temporaries


def test_recipes_suit_each_dataset():
    for arch in ("cnn", "dense"):
        assert "flip" not in RECIPES["mnist"][arch].online  # a mirrored 2 is no 2
    assert "flip" in RECIPES["fashion"]["cnn"].online
    assert {s.kind for s in RECIPES["mnist"]["cnn"].sketches} == {"strokes"}
    assert {s.kind for s in RECIPES["fashion"]["cnn"].sketches} == {"outline", "silhouette"}
    for recipes in RECIPES.values():
        for recipe in recipes.values():
            assert set(recipe.online) <= set(augment.ONLINE_PARTS)


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


def test_sketch_sets_are_labelled_drawn_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    rng = np.random.default_rng(0)
    x = np.zeros((40, 28, 28), np.uint8)
    for i in range(40):
        x[i, 6:22, 12:16] = 255  # a "1"
        x[i, rng.integers(6, 20), 8:20] = 255 * (i % 2)  # half of them a "7"-ish bar
    y = (np.arange(40) % 2).astype(np.uint8)
    sx, sy = augment.sketch_set(SketchSet("strokes", 30), "mnist", x, y, seed=5, log=lambda *a: None)
    assert sx.shape[1:] == (28, 28, 1) and sx.dtype == np.float32 and len(sx) == len(sy) == 30
    again, _ = augment.sketch_set(SketchSet("strokes", 30), "mnist", x, y, seed=5, log=lambda *a: None)
    np.testing.assert_array_equal(sx, again)  # cached, and reproducible


def test_the_restart_stage_exists_for_fashion_only():
    from model.training.augment import recipe_for

    assert recipe_for("fashion", "cnn", "restart").extra["learning_rate"] == 1e-3
    with pytest.raises(ValueError, match="no restart stage for mnist"):
        recipe_for("mnist", "cnn", "restart")


def test_a_stage_may_replace_the_online_parts_and_the_others_keep_the_recipes(tmp_path):
    from model.training.augment import RECIPES, recipe_for

    teacher = tmp_path / "t.keras"
    teacher.write_bytes(b"")
    clean = recipe_for("fashion", "dense", "distill-clean", teachers=[teacher])
    assert clean.online == ("flip",) and "erase" in RECIPES["fashion"]["dense"].online
    assert "online" not in clean.extra and clean.extra["teacher"] == [str(teacher)]
    views = recipe_for("fashion", "dense", "distill-views", teachers=[teacher])
    assert views.online == RECIPES["fashion"]["dense"].online
    assert recipe_for("mnist", "cnn", "distill-clean", teachers=[teacher]).online == ()
    with pytest.raises(ValueError, match="no distill-clean stage for mnist dense"):
        recipe_for("mnist", "dense", "distill-clean", teachers=[teacher])


def test_mixed_targets_blend_smoothed_labels_with_the_mean_of_the_teachers():
    from model.training.train import mixed_targets

    onehot = np.eye(10, dtype=np.float32)[[3, 7]]
    a = np.full((2, 10), 0.1, np.float32)
    b = np.eye(10, dtype=np.float32)[[1, 7]]
    np.testing.assert_allclose(mixed_targets(onehot, [], 0.7, 0.0), onehot)
    smoothed = mixed_targets(onehot, [], 0.7, 0.1)
    np.testing.assert_allclose(smoothed[0, [3, 0]], [0.91, 0.01], rtol=1e-6)
    got = mixed_targets(onehot, [a, b], 0.7, 0.0)
    np.testing.assert_allclose(got, 0.3 * onehot + 0.7 * (a + b) / 2, rtol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)  # still distributions
    assert got[0, 1] > got[0, 3] > got[0, 0]  # at mix 0.7 the teachers outweigh the label


def test_teachers_are_an_arch_name_or_model_files(tmp_path):
    from model import paths
    from model.training.augment import recipe_for
    from model.training.train import teacher_models

    assert teacher_models("fashion", None) == []
    assert teacher_models("fashion", "cnn") == [paths.model_path("fashion", "cnn")]
    assert teacher_models("mnist", ["a.keras", "b.keras"]) == [Path("a.keras"), Path("b.keras")]
    with pytest.raises(ValueError, match="needs at least one --teacher"):
        recipe_for("fashion", "cnn", "distill")
    with pytest.raises(ValueError, match="teacher model not found: .*nope.keras"):
        recipe_for("fashion", "cnn", teachers=[tmp_path / "nope.keras"])
    shipped = paths.model_path("fashion", "cnn")
    recipe = recipe_for("fashion", "dense", teachers=[shipped, shipped])
    assert recipe.extra["teacher"] == [str(shipped)] * 2
    assert recipe.online == RECIPES["fashion"]["dense"].online
    gentle = recipe_for("mnist", "cnn", "distill-finetune", teachers=[shipped])
    first = recipe_for("mnist", "cnn", "distill", teachers=[shipped])
    assert gentle.extra["learning_rate"] < first.extra["learning_rate"]
    with pytest.raises(ValueError, match="no distill-finetune stage for fashion cnn"):
        recipe_for("fashion", "cnn", "distill-finetune", teachers=[shipped])


def test_teacher_views_are_the_batch_its_mirror_and_four_one_pixel_shifts():
    from model.training.train import teacher_views

    rng = np.random.default_rng(1)
    x = rng.random((3, 28, 28, 1)).astype(np.float32)
    got = np.asarray(teacher_views(x, ("plain", "flip", "shifts")))
    assert got.shape == (18, 28, 28, 1)
    np.testing.assert_array_equal(got[0:3], x)
    np.testing.assert_array_equal(got[3:6], x[:, :, ::-1])
    down, up, right, left = got[6:9], got[9:12], got[12:15], got[15:18]
    np.testing.assert_array_equal(down[:, 1:], x[:, :-1])
    np.testing.assert_array_equal(up[:, :-1], x[:, 1:])
    np.testing.assert_array_equal(right[:, :, 1:], x[:, :, :-1])
    np.testing.assert_array_equal(left[:, :, :-1], x[:, :, 1:])
    for edge in (down[:, 0], up[:, -1], right[:, :, 0], left[:, :, -1]):
        assert not edge.any()  # shifted in, not wrapped round
    np.testing.assert_array_equal(np.asarray(teacher_views(x, ("plain",))), x)
    with pytest.raises(ValueError, match="unknown teacher view 'rotate'"):
        teacher_views(x, ("rotate",))


def test_teacher_views_turn_the_batch_5_degrees_either_way_and_thicken_its_ink():
    from scipy import ndimage

    from model.training.train import teacher_views

    rng = np.random.default_rng(2)
    x = np.zeros((2, 28, 28, 1), np.float32)
    x[:, 4:24, 4:24] = rng.random((2, 20, 20, 1))
    turned = np.asarray(teacher_views(x, ("rotations",)))
    assert turned.shape == (4, 28, 28, 1)
    for k, degrees in enumerate((-5, 5)):  # about the centre, bilinear, zeros outside
        ref = ndimage.rotate(x, degrees, axes=(1, 2), reshape=False, order=1)
        np.testing.assert_allclose(turned[2 * k : 2 * k + 2], ref, atol=1e-5)
    thicker = np.asarray(teacher_views(x, ("thicker",)))
    padded = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))
    ref = np.max([padded[:, dy : dy + 28, dx : dx + 28] for dy in (0, 1) for dx in (0, 1)], axis=0)
    np.testing.assert_array_equal(thicker, ref)  # each pixel the darkest of its 2x2 block


def test_a_teachers_answer_is_averaged_over_the_views_image_by_image():
    import tensorflow as tf

    from model.training.train import view_averaged

    def teacher(batch, training):  # "probabilities": the first 10 pixels of the top row
        assert training is False
        return tf.reshape(batch[:, 0, :10, 0], (-1, 10))

    rng = np.random.default_rng(3)
    x = rng.random((5, 28, 28, 1)).astype(np.float32)
    got = np.asarray(view_averaged([teacher], x, ("plain", "flip"))[0])
    np.testing.assert_allclose(got, (x[:, 0, :10, 0] + x[:, 0, ::-1, 0][:, :10]) / 2, rtol=1e-6)
    got = np.asarray(view_averaged([teacher], x, ("plain", "shifts"))[0])  # 5 views of 5 images
    shifted = [x[:, 0, :10, 0], x[:, 0, :10, 0] * 0, x[:, 1, :10, 0],
               np.pad(x[:, 0, :9, 0], ((0, 0), (1, 0))), x[:, 0, 1:11, 0]]
    np.testing.assert_allclose(got, sum(shifted) / 5, rtol=1e-6)


def test_digit_stages_never_show_a_teacher_a_mirrored_digit():
    for table in augment.STAGES.values():
        for extra in table.get("mnist", {}).values():
            assert "flip" not in extra.get("teacher_views", ())


def test_a_distilled_run_records_its_teachers(tmp_path):
    from model import paths
    from model.training.train import train

    teacher = paths.model_path("mnist", "cnn")
    recipe = Recipe(extra={"batch_size": 64, "learning_rate": 3e-3, "teacher": [str(teacher)],
                           "teacher_weight": 0.8, "teacher_views": ["plain", "shifts"]})
    result = train("mnist", "dense", epochs=3, limit=2000, out=tmp_path / "d.keras", recipe=recipe,
                   verbose=0, log=lambda *a: None)
    assert result.card["teacher"] == [str(teacher)] and result.card["teacher_weight"] == 0.8
    assert result.card["teacher_views"] == ["plain", "shifts"]
    assert result.card["test_accuracy"] > 0.8  # 3 epochs on 2,000 images; chance is 10%
