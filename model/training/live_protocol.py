"""What the app and the live trainer process (``model.training.live``) say to each other.

Plain frozen dataclasses: they cross the process boundary pickled, so they hold only numbers,
strings, NumPy arrays and dicts of those. Commands go from the app to the trainer, events come
back. Importing this module imports neither TensorFlow nor Qt: the app's side uses it as it is.

A run's settings are a :class:`LiveConfig`; how it trains (optimizer, learning rate, batch,
augmentation) is its :class:`LivePlan`, made by :func:`live_plan` from one of two recipes:

- ``course``: the seed course's ``model.fit``: plain Adam at Keras's default 1e-3 (1e-4 when
  fine-tuning the shipped model, which a full step would knock back), Keras's default batch of
  32, no augmentation, constant rate;
- ``sketchscope``: the parts of the project's own recipe (``recipes.RECIPES``) that suit a
  live run: its batch size, its online augmentation and label smoothing, AdamW with weight
  decay 1e-4, a 5% warm-up then a cosine decay over the run's steps to its peak rate (a tenth
  of it when fine-tuning). Not used live: the drawn-style sketch sets (minutes to render),
  weight EMA and distillation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.training.recipes import RECIPES

RECIPE_NAMES = ("course", "sketchscope")
STARTS = ("random", "shipped")
HELD_OUT = 2000  # test images the held-out curve is measured on
FINE_TUNE_FACTOR = 0.1  # the learning rate from the shipped model, relative to the recipe's


@dataclass(frozen=True)
class LiveConfig:
    """One live run. ``limit`` (the first N training images) and ``init_path`` (instead of the
    shipped model) are for tests; the app leaves them unset."""

    dataset: str = "mnist"
    arch: str = "cnn"
    start: str = "random"  # one of STARTS
    recipe: str = "course"  # one of RECIPE_NAMES
    epochs: int = 2
    report_every: int = 100  # steps between reports
    held_out: int = HELD_OUT
    gallery: str | None = None  # the gallery folder whose kept drawings may be mixed in
    gallery_weight: float = 0.0  # the share of each batch drawn from the kept drawings
    seed: int = 0
    threads: int = 0  # TensorFlow's threads; 0: one fewer than the cores, at least one
    nice: int = 5  # lower priority than the app: the drawing stays smooth
    limit: int | None = None
    init_path: str | None = None


@dataclass(frozen=True)
class LivePlan:
    optimizer: str  # "adam" | "adamw"
    learning_rate: float  # the constant rate, or the cosine schedule's peak
    batch_size: int
    cosine: bool  # warm-up then cosine decay over the run, else constant
    label_smoothing: float = 0.0
    online: tuple[str, ...] = ()  # augment.ONLINE_PARTS applied to every batch

    def describe(self) -> str:
        rate = f"{'peak ' if self.cosine else ''}{self.learning_rate:g}"
        parts = [f"{'AdamW' if self.optimizer == 'adamw' else 'Adam'} {rate}",
                 f"batch {self.batch_size}"]
        if self.cosine:
            parts.append("warm-up + cosine")
        if self.label_smoothing:
            parts.append(f"label smoothing {self.label_smoothing:g}")
        if self.online:
            parts.append("augmentation: " + ", ".join(self.online))
        return "; ".join(parts)


def live_plan(config: LiveConfig) -> LivePlan:
    """How ``config`` trains; ValueError for a recipe or start that does not exist."""
    if config.recipe not in RECIPE_NAMES:
        raise ValueError(f"unknown recipe {config.recipe!r}; choose one of {', '.join(RECIPE_NAMES)}")
    if config.start not in STARTS:
        raise ValueError(f"unknown start {config.start!r}; choose one of {', '.join(STARTS)}")
    factor = FINE_TUNE_FACTOR if config.start == "shipped" else 1.0
    if config.recipe == "course":
        return LivePlan("adam", 1e-3 * factor, 32, cosine=False)
    recipe = RECIPES[config.dataset][config.arch]
    schedule = recipe.schedule
    return LivePlan("adamw", schedule.learning_rate * factor, schedule.batch_size, cosine=True,
                    label_smoothing=schedule.label_smoothing, online=tuple(recipe.online))


# ---------------------------------------------------------------- commands (app -> trainer)


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Stop:
    """Stop training for good; the trainer stays to answer (drawings, Save) until Quit."""


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class SetInterval:
    steps: int


@dataclass(frozen=True)
class SetDrawing:
    """The network input of the drawing now on the canvas (None: the page is empty)."""

    seq: int
    image: np.ndarray | None  # (28, 28, 1) float32


@dataclass(frozen=True)
class Ask:
    """A question from one of the app's worker threads, answered by :class:`Answer` with the
    same ``id``: ``what`` is "forward" (``images`` (n, 28, 28, 1) and ``masks`` (n, 4, 64) ->
    the four maps, the dense layer, the probabilities) or "kernels" (conv1's and conv2's)."""

    id: int
    what: str
    images: np.ndarray | None = None
    masks: np.ndarray | None = None


@dataclass(frozen=True)
class Save:
    """Save the network as it is now into a new folder under ``parent``: the ``.keras``, its
    LiteRT export and the model card, all or nothing."""

    parent: str


# ---------------------------------------------------------------- events (trainer -> app)


@dataclass(frozen=True)
class Status:
    """What the trainer is doing before it can train (one line)."""

    text: str


@dataclass(frozen=True)
class Started:
    dataset: str
    arch: str
    total_steps: int
    steps_per_epoch: int
    plan: str  # LivePlan.describe()
    held_out: int
    train_images: int
    gallery_images: int  # kept drawings of this dataset that can be mixed in
    keras_config: dict = field(default_factory=dict)  # the model's get_config(), for its facts


@dataclass(frozen=True)
class DrawingAnswer:
    """The network's answer for the drawing: probabilities and, for the CNN, its four layers'
    maps ((26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64))."""

    seq: int
    probabilities: np.ndarray | None  # None: the page is empty
    maps: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class Report:
    """Every ``report_every`` steps (and at the last): the newest point of each curve."""

    step: int
    total_steps: int
    epoch: float  # passes over the training images so far
    seconds: float  # training time so far, pauses and saves left out
    seconds_left: float
    train_loss: float  # the mean over the steps since the last report
    train_accuracy: float
    test_loss: float  # on the fixed held-out test images
    test_accuracy: float
    kernels: np.ndarray  # conv1's (3, 3, 1, 64); for the dense network its first 64 units (28, 28, 64)
    gallery_accuracy: float | None = None  # on the kept drawings, now
    gallery_start: float | None = None  # ... and before the first step
    drawing: DrawingAnswer | None = None


@dataclass(frozen=True)
class State:
    """"running", "paused", "stopped" (by the user) or "finished" (every step done)."""

    state: str


@dataclass(frozen=True)
class Answer:
    id: int
    values: list | None = None
    error: str = ""


@dataclass(frozen=True)
class Saved:
    path: str  # the .keras file
    card: dict


@dataclass(frozen=True)
class SaveFailed:
    message: str


@dataclass(frozen=True)
class Failed:
    """The trainer cannot go on (one line); its process ends."""

    message: str
