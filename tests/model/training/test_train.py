import json

from model.datasets import sha256_file
from model.training.recipes import Recipe, Schedule, SketchSet


def test_a_short_run_on_a_small_slice_learns(tmp_path):
    from model.training.train import train

    out = tmp_path / "small.keras"
    recipe = Recipe(online=("shift",), sketches=(SketchSet("strokes", 300),),
                    schedule=Schedule(learning_rate=2e-3, batch_size=64))
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
    # Its LiteRT export beside it, in step; no temporaries.
    assert {p.name for p in tmp_path.iterdir()} == {"small.keras", "small.json", "small.tflite"}
    assert card["litert"]["keras_sha256"] == sha256_file(out)


def test_a_limited_run_draws_at_most_half_as_many_sketches_as_it_has_images():
    from model.training.train import limited

    recipe = Recipe(sketches=(SketchSet("outline", 30000), SketchSet("silhouette", 100)))
    assert limited(recipe, 1000).sketches == (SketchSet("outline", 500), SketchSet("silhouette", 100))


def test_a_distilled_run_records_its_teachers(tmp_path):
    from model import paths
    from model.training.train import train

    teacher = paths.model_path("mnist", "cnn")
    recipe = Recipe(schedule=Schedule(batch_size=64, learning_rate=3e-3, teacher_weight=0.8,
                                      teacher_views=("plain", "shifts")),
                    teacher=(str(teacher),))
    result = train("mnist", "dense", epochs=3, limit=2000, out=tmp_path / "d.keras", recipe=recipe,
                   verbose=0, log=lambda *a: None)
    assert result.card["teacher"] == [str(teacher)] and result.card["teacher_weight"] == 0.8
    assert result.card["teacher_views"] == ["plain", "shifts"]
    assert result.card["test_accuracy"] > 0.8  # 3 epochs on 2,000 images; chance is 10%
