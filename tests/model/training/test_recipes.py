"""The recipes are typed data, and they are what the shipped models were trained with."""

import json

import pytest

from model import paths
from model.training import augment
from model.training.distill import TEACHER_VIEWS
from model.training.recipes import (
    DISTILL_STAGES,
    RECIPES,
    STAGE_NAMES,
    STAGES,
    Recipe,
    recipe_for,
)


def every_recipe(dataset: str, arch: str, teacher) -> dict[str, Recipe]:
    """Every stage's recipe for ``dataset`` and ``arch``, by stage name."""
    found = {}
    for stage in STAGE_NAMES:
        try:
            found[stage] = recipe_for(dataset, arch, stage, teachers=[teacher])
        except ValueError:
            continue  # no such stage for this dataset and arch
    return found


def test_recipes_suit_each_dataset():
    for arch in ("cnn", "dense"):
        assert "flip" not in RECIPES["mnist"][arch].online  # a mirrored 2 is no 2
    assert "flip" in RECIPES["fashion"]["cnn"].online
    assert {s.kind for s in RECIPES["mnist"]["cnn"].sketches} == {"strokes"}
    assert {s.kind for s in RECIPES["fashion"]["cnn"].sketches} == {"outline", "silhouette"}
    for recipes in RECIPES.values():
        for recipe in recipes.values():
            assert set(recipe.online) <= set(augment.ONLINE_PARTS)


def test_every_stage_names_known_parts_views_datasets_and_archs():
    assert STAGE_NAMES[0] == "base" and set(DISTILL_STAGES) < set(STAGES)
    for stage in STAGES.values():
        assert stage.help and stage.schedules
        for (dataset, arch), schedule in stage.schedules.items():
            assert arch in RECIPES[dataset]
            assert set(schedule.online or ()) <= set(augment.ONLINE_PARTS)
            assert set(schedule.teacher_views) <= set(TEACHER_VIEWS)


def test_an_unknown_stage_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown stage 'warmup'; choose one of: base, finetune"):
        recipe_for("mnist", "cnn", "warmup")


def test_the_restart_stage_exists_for_fashion_only():
    assert recipe_for("fashion", "cnn", "restart").schedule.learning_rate == 1e-3
    with pytest.raises(ValueError, match="no restart stage for mnist"):
        recipe_for("mnist", "cnn", "restart")


def test_a_stage_may_replace_the_online_parts_and_the_others_keep_the_recipes(tmp_path):
    teacher = tmp_path / "t.keras"
    teacher.write_bytes(b"")
    clean = recipe_for("fashion", "dense", "distill-clean", teachers=[teacher])
    assert clean.online == ("flip",) and "erase" in RECIPES["fashion"]["dense"].online
    assert clean.schedule.online == clean.online and clean.teacher == (str(teacher),)
    views = recipe_for("fashion", "dense", "distill-views", teachers=[teacher])
    assert views.online == RECIPES["fashion"]["dense"].online and views.schedule.online is None
    assert recipe_for("mnist", "cnn", "distill-clean", teachers=[teacher]).online == ()
    with pytest.raises(ValueError, match="no distill-clean stage for mnist dense"):
        recipe_for("mnist", "dense", "distill-clean", teachers=[teacher])


def test_teachers_are_an_arch_name_or_model_files(tmp_path):
    from pathlib import Path

    from model.training.distill import teacher_models

    assert teacher_models("fashion", None) == []
    assert teacher_models("fashion", "cnn") == [paths.model_path("fashion", "cnn")]
    assert teacher_models("mnist", ["a.keras", "b.keras"]) == [Path("a.keras"), Path("b.keras")]
    with pytest.raises(ValueError, match="needs at least one --teacher"):
        recipe_for("fashion", "cnn", "distill")
    with pytest.raises(ValueError, match="teacher model not found: .*nope.keras"):
        recipe_for("fashion", "cnn", teachers=[tmp_path / "nope.keras"])
    shipped = paths.model_path("fashion", "cnn")
    recipe = recipe_for("fashion", "dense", teachers=[shipped, shipped])
    assert recipe.teacher == (str(shipped),) * 2
    assert recipe.online == RECIPES["fashion"]["dense"].online
    gentle = recipe_for("mnist", "cnn", "distill-finetune", teachers=[shipped])
    first = recipe_for("mnist", "cnn", "distill", teachers=[shipped])
    assert gentle.schedule.learning_rate < first.schedule.learning_rate
    with pytest.raises(ValueError, match="no distill-finetune stage for fashion cnn"):
        recipe_for("fashion", "cnn", "distill-finetune", teachers=[shipped])


def test_digit_stages_never_show_a_teacher_a_mirrored_digit():
    for stage in STAGES.values():
        for (dataset, _arch), schedule in stage.schedules.items():
            if dataset == "mnist":
                assert "flip" not in schedule.teacher_views
                assert "flip" not in (schedule.online or ())


def _stages_of(card: dict):
    """The card and the cards of the stages it was trained from, last stage first."""
    while card:
        yield card
        card = card.get("init_card")


def _as_trained(card: dict) -> dict:
    """What a card says its stage trained with (fields older cards lack are left out)."""
    keys = ("epochs", "learning_rate", "sketch_fraction", "label_smoothing", "augmentation")
    got = {k: card[k] for k in keys if card.get(k) is not None}
    if card.get("teacher"):
        got["teacher_weight"] = card["teacher_weight"]
        got["teacher_views"] = card.get("teacher_views") or ["plain"]  # before views: the batch
    return got


def _recipe_as_trained(recipe: Recipe, card: dict) -> dict:
    s = recipe.schedule
    got = {"epochs": s.epochs, "learning_rate": s.learning_rate,
           "sketch_fraction": s.sketch_fraction, "label_smoothing": s.label_smoothing,
           "augmentation": list(recipe.online) + [f"{k.kind}x{k.count}" for k in recipe.sketches]}
    if card.get("teacher"):
        got.update(teacher_weight=s.teacher_weight, teacher_views=list(s.teacher_views))
    return {k: v for k, v in got.items() if k in _as_trained(card)}


@pytest.mark.parametrize("dataset, arch", [("mnist", "cnn"), ("mnist", "dense"),
                                           ("fashion", "cnn"), ("fashion", "dense")])
def test_every_stage_of_the_shipped_models_is_a_stage_of_the_recipes(dataset, arch, tmp_path):
    """The shipped models stay reproducible: each stage their model cards record (schedule,
    augmentation, teachers' weight and views) is exactly one of the recipes' stages."""
    teacher = tmp_path / "t.keras"
    teacher.write_bytes(b"")
    card = json.loads(paths.card_path(paths.model_path(dataset, arch)).read_text())
    recipes = every_recipe(dataset, arch, teacher)
    chain = list(_stages_of(card))
    for stage_card in chain:
        assert (stage_card["dataset"], stage_card["arch"]) == (dataset, arch)
        trained = _as_trained(stage_card)
        assert {"epochs", "augmentation"} <= set(trained)
        matches = [stage for stage, recipe in recipes.items()
                   if _recipe_as_trained(recipe, stage_card) == trained]
        assert matches, f"no recipe trains like this stage: {trained}"
    assert chain[-1].get("init") is None  # the first stage starts from fresh weights

