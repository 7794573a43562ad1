"""What ``python main.py train`` trains with: typed recipes, stage by stage.

A :class:`Recipe` names the data (the online augmentation parts of :mod:`model.training.augment`
and the drawn-style sketch sets of :mod:`model.training.sketch`) and carries a :class:`Schedule`.
``RECIPES[dataset][arch]`` is the base stage, from fresh weights. Each later stage (``--stage``,
from a trained model given with ``--init``) replaces the schedule: ``STAGES[name]`` holds the
schedule of every dataset and architecture that has that stage. How the shipped models went
through these stages, with the figures each stage reached: ``docs/training.md``.

Plain data: importing this module imports neither NumPy nor Keras (main.py's parser reads the
stage names from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class SketchSet:
    kind: str  # a key of sketch.GENERATORS
    count: int  # how many training images get a drawn copy


@dataclass(frozen=True)
class Schedule:
    """How one stage trains. The defaults are what a schedule that does not say gets."""

    epochs: int = 10
    learning_rate: float = 1e-3  # the peak, after the warm-up, of a cosine decay
    batch_size: int = 128
    # A random share of each sketch set, drawn once per run: below 1 the training split's own
    # images get more of the epochs.
    sketch_fraction: float = 1.0
    label_smoothing: float = 0.0
    # With teachers (distillation): the share of each target that is their mean probabilities,
    # and the views of each batch they answer for (averaged; distill.TEACHER_VIEWS).
    teacher_weight: float = 0.5
    teacher_views: tuple[str, ...] = ("plain",)
    online: tuple[str, ...] | None = None  # when given, replaces the recipe's online parts


@dataclass(frozen=True)
class Recipe:
    online: tuple[str, ...] = ()  # names of augment.ONLINE_PARTS, applied in order
    sketches: tuple[SketchSet, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    # Distillation: an arch name (that arch's shipped model), or .keras files whose averaged
    # probabilities are mixed into the targets.
    teacher: str | tuple[str, ...] | None = None


@dataclass(frozen=True)
class Stage:
    """A stage after the base run: a one-line description and the schedule of every
    (dataset, arch) that has it."""

    help: str
    schedules: dict[tuple[str, str], Schedule]
    needs_teacher: bool = False


# Flips are never used for digits (online parts or teacher views): a mirrored 2 is no 2.
RECIPES: dict[str, dict[str, Recipe]] = {
    "mnist": {
        "cnn": Recipe(
            online=("rotation", "shift", "zoom"),
            sketches=(SketchSet("strokes", 60000),),
            schedule=Schedule(epochs=60, learning_rate=2e-3, sketch_fraction=0.5, label_smoothing=0.1),
        ),
        "dense": Recipe(online=("small_shift",), schedule=Schedule(epochs=40, learning_rate=1e-3)),
    },
    "fashion": {
        "cnn": Recipe(
            online=("flip", "small_shift", "erase"),
            sketches=(SketchSet("outline", 30000), SketchSet("silhouette", 30000)),
            schedule=Schedule(epochs=70, learning_rate=2e-3, sketch_fraction=0.5, label_smoothing=0.1),
        ),
        "dense": Recipe(online=("flip", "erase"), schedule=Schedule(epochs=60, learning_rate=1e-3)),
    },
}

# What a teacher looks at in the last stages. Clothing: the batch, its mirror image and its four
# one-pixel shifts. Digits, which must not be mirrored: the batch, its 5-degree turns and its ink
# one pixel thicker. Averaged over such views, a teacher answers better than for the batch alone.
CLOTHING_VIEWS = ("plain", "flip", "shifts")
DIGIT_VIEWS = ("plain", "rotations", "thicker")

STAGES: dict[str, Stage] = {
    # From the base model's weights: a lower learning rate, and for clothing a smaller share of
    # the sketch sets, so the original data gets more of the last epochs.
    "finetune": Stage(
        "the base model again at a lower learning rate",
        {
            ("mnist", "cnn"): Schedule(epochs=10, learning_rate=3e-4, sketch_fraction=0.5,
                                       label_smoothing=0.1),
            ("fashion", "cnn"): Schedule(epochs=12, learning_rate=3e-4, sketch_fraction=0.3,
                                         label_smoothing=0.1),
        },
    ),
    # A warm restart of the cosine schedule from the fine-tuned weights; run with another --seed,
    # so that its sketch sets are freshly drawn.
    "restart": Stage(
        "a warm restart of the schedule after finetune",
        {("fashion", "cnn"): Schedule(epochs=28, learning_rate=1e-3, sketch_fraction=0.3,
                                      label_smoothing=0.1)},
    ),
    # The targets mix the labels with the mean probabilities of trained teacher models on the
    # same augmented batch: an ensemble's answers taught to one network of the same size.
    "distill": Stage(
        "targets mixed with the --teacher models' probabilities",
        {
            ("mnist", "cnn"): Schedule(epochs=20, learning_rate=1e-3, sketch_fraction=0.5,
                                       teacher_weight=0.7),
            ("fashion", "cnn"): Schedule(epochs=28, learning_rate=1e-3, sketch_fraction=0.3,
                                         teacher_weight=0.7),
            # A fresh dense network taught by CNNs: the teachers' answers are most of the target.
            ("fashion", "dense"): Schedule(epochs=100, learning_rate=1e-3, teacher_weight=0.9),
        },
        needs_teacher=True,
    ),
    "distill-finetune": Stage(
        "a gentler distill after distill",
        {("mnist", "cnn"): Schedule(epochs=8, learning_rate=3e-4, sketch_fraction=0.5,
                                    teacher_weight=0.7)},
        needs_teacher=True,
    ),
    "distill-views": Stage(
        "distill, the teachers answering for several views of each batch",
        {
            ("fashion", "cnn"): Schedule(epochs=28, learning_rate=1e-3, sketch_fraction=0.3,
                                         teacher_weight=0.7, teacher_views=CLOTHING_VIEWS),
            ("fashion", "dense"): Schedule(epochs=30, learning_rate=5e-4, teacher_weight=0.9,
                                           teacher_views=CLOTHING_VIEWS),
        },
        needs_teacher=True,
    ),
    # The last stage: distill-views with fewer online parts (no random erasing for clothing, none
    # at all for digits), so that the teacher answers for whole items and the student's last
    # epochs see the data as the test split and the drawings have it. Digits train on all their
    # strokes here, which is what the drawn-style benchmark measures.
    "distill-clean": Stage(
        "distill-views with fewer online augmentations, the last stage",
        {
            ("mnist", "cnn"): Schedule(epochs=8, learning_rate=3e-4, sketch_fraction=1.0,
                                       teacher_weight=0.7, teacher_views=DIGIT_VIEWS, online=()),
            ("fashion", "dense"): Schedule(epochs=30, learning_rate=5e-4, teacher_weight=0.9,
                                           teacher_views=CLOTHING_VIEWS, online=("flip",)),
        },
        needs_teacher=True,
    ),
}
BASE = "base"
BASE_HELP = "the first run, from fresh weights"
STAGE_NAMES = (BASE, *STAGES)
DISTILL_STAGES = tuple(name for name, stage in STAGES.items() if stage.needs_teacher)


def recipe_for(dataset: str, arch: str, stage: str = BASE, teachers=None) -> Recipe:
    """The recipe of ``stage`` (one of STAGE_NAMES); ``teachers`` (.keras paths) replace the
    recipe's teacher. ValueError if there is no such stage, if a distill stage has no teacher,
    or if a teacher file is missing."""
    recipe = RECIPES[dataset][arch]
    if stage not in STAGE_NAMES:
        raise ValueError(f"unknown stage {stage!r}; choose one of: {', '.join(STAGE_NAMES)}")
    if stage in DISTILL_STAGES and not teachers:
        raise ValueError(f"the {stage} stage needs at least one --teacher model")
    if stage != BASE:
        schedule = STAGES[stage].schedules.get((dataset, arch))
        if schedule is None:
            raise ValueError(f"there is no {stage} stage for {dataset} {arch}")
        online = recipe.online if schedule.online is None else schedule.online
        recipe = replace(recipe, online=online, schedule=schedule)
    if teachers:
        missing = [str(t) for t in teachers if not Path(t).is_file()]
        if missing:
            raise ValueError(f"teacher model not found: {', '.join(missing)}")
        recipe = replace(recipe, teacher=tuple(str(t) for t in teachers))
    return recipe


def warm_cosine(learning_rate: float, steps: int):
    """The learning rate over ``steps`` steps: a linear warm-up over the first 5% to
    ``learning_rate``, then a cosine decay to 1% of it."""
    import keras

    warm_up = steps // 20
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warm_up), warmup_target=float(learning_rate),
        warmup_steps=warm_up, alpha=0.01)
