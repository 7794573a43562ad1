"""The live trainer: the seed network trained step by step in a process of its own.

The app starts :func:`trainer_main` in a process made with multiprocessing's "spawn" (TensorFlow
does not survive a fork), with a queue of commands and the sending end of a pipe for events
(``model.training.live_protocol``). This process owns TensorFlow; the app never imports it for
training. It runs on one fewer thread than the machine has cores, at a lower priority, so the
app keeps a core for drawing.

:class:`LiveTrainer` is the arithmetic: a custom training step (one ``tf.function``), the
held-out evaluation, the answers for the drawing on the canvas, and an all-or-nothing save
(``.keras``, its LiteRT export and the model card built in a hidden folder that is renamed into
place last). :func:`serve` is the loop around it: it drains the commands between two steps,
and blocks on them while paused or stopped.
"""

from __future__ import annotations

import json
import math
import os
import queue
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model import datasets, paths
from model.architecture import FEATURE_LAYERS, INPUT_SHAPE, NUM_CLASSES
from model.atomic import build_folder
from model.errors import one_line
from model.litert_net import read_card
from model.training.live_protocol import (
    Answer,
    Ask,
    DrawingAnswer,
    Failed,
    LiveConfig,
    LivePlan,
    Pause,
    Quit,
    Report,
    Resume,
    Save,
    Saved,
    SaveFailed,
    SetDrawing,
    SetInterval,
    Started,
    State,
    Status,
    Stop,
    live_plan,
)
from model.training.recipes import warm_cosine

EVAL_BATCH = 500
GALLERY_SHIFT = 2  # kept drawings are shifted by up to this many pixels each time they are used
HELD_OUT_SEED = 0  # the held-out subset is the same in every run, whatever the run's seed
IDLE_WAIT_S = 0.5  # how often a paused trainer looks whether the app is still there
DRAWING_EVERY_S = 0.25  # while training, the drawing's maps are answered at most this often

Send = Callable[[object], None]


def default_threads() -> int:
    """One fewer than the cores (the app keeps one), at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


# ---------------------------------------------------------------- data


def held_out_indices(n_test: int, count: int) -> np.ndarray:
    """The fixed test images of the held-out curve: ``count`` of them, drawn once with a fixed
    seed from the whole split (its two halves differ in difficulty)."""
    count = min(count, n_test)
    return np.sort(np.random.default_rng(HELD_OUT_SEED).choice(n_test, count, replace=False))


def gallery_images(folder: str | os.PathLike | None, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The kept drawings of ``dataset`` with their true labels, as the network reads them (the
    kept page through ``preprocess``, as the live view read it). Unreadable ones are skipped."""
    empty = np.zeros((0, *INPUT_SHAPE), np.float32), np.zeros(0, np.int64)
    if not folder or not Path(folder).is_dir():
        return empty
    from model.gallery import Gallery, GalleryError
    from model.preprocess import EmptyDrawing, preprocess

    gallery = Gallery(folder)
    xs, ys = [], []
    for item in gallery.items:
        if item.dataset != dataset:
            continue
        try:
            xs.append(preprocess(gallery.image(item.id), dataset))
        except (GalleryError, EmptyDrawing, ValueError):
            continue
        ys.append(item.true_label)
    if not xs:
        return empty
    return np.stack(xs).astype(np.float32), np.asarray(ys, np.int64)


def shifted(images: np.ndarray, rng: np.random.Generator, most: int = GALLERY_SHIFT) -> np.ndarray:
    """Each image moved by a random whole-pixel offset of up to ``most`` (paper fills in)."""
    padded = np.pad(images, ((0, 0), (most, most), (most, most), (0, 0)))
    out = np.empty_like(images)
    for k, (dy, dx) in enumerate(rng.integers(0, 2 * most + 1, size=(len(images), 2))):
        out[k] = padded[k, dy:dy + INPUT_SHAPE[0], dx:dx + INPUT_SHAPE[1]]
    return out


# ---------------------------------------------------------------- the trainer


class LiveTrainer:
    """One run: data, network, optimizer, and the answers the app asks for between steps."""

    def __init__(self, config: LiveConfig, status: Callable[[str], None] = lambda _text: None):
        from model.keras_net import quiet_tensorflow

        quiet_tensorflow()
        self.config = config
        self.plan: LivePlan = live_plan(config)
        self.report_every = max(1, int(config.report_every))
        self._rng = np.random.default_rng(config.seed)
        self._load_data(status)
        status("Building the network…")
        self.model = self._initial_model()
        self._compile_steps()
        self.step_count = 0
        self.active_seconds = 0.0  # training time: steps, reports; not pauses or saves
        self.drawing: SetDrawing | None = None
        self._order = self._rng.permutation(len(self.x))
        self._cursor = 0
        self._seen = 0
        self._since_report: list[tuple[float, float]] = []
        self.gallery_start = self.gallery_accuracy()

    # ------------------------------------------------------------ set-up

    def _load_data(self, status: Callable[[str], None]) -> None:
        from model.cache import preprocessed_split

        config = self.config
        status(f"Loading {datasets.info(config.dataset).title}…")
        ds = datasets.load(config.dataset)  # DataError names `python main.py data fetch`
        self.data_sha256 = ds.sha256

        def log(message: str) -> None:
            status(message[:1].upper() + message[1:].rstrip(" ."))

        x = preprocessed_split(ds, "train", log)
        y = ds.y_train.astype(np.int32)
        if config.limit:
            x, y = x[: config.limit], y[: config.limit]
        self.x, self.y = x, y
        x_test = preprocessed_split(ds, "test", log)
        chosen = held_out_indices(len(x_test), config.held_out)
        self.x_test, self.y_test = x_test[chosen], ds.y_test[chosen].astype(np.int32)
        gx, gy = gallery_images(config.gallery, config.dataset)
        self.gx, self.gy = gx, gy.astype(np.int32)
        share = config.gallery_weight if len(gx) else 0.0
        self.gallery_per_batch = min(self.plan.batch_size - 1, round(self.plan.batch_size * share))
        self.steps_per_epoch = math.ceil(len(x) / (self.plan.batch_size - self.gallery_per_batch))
        self.total_steps = max(1, int(config.epochs) * self.steps_per_epoch)

    def _initial_model(self):
        from model.architecture import build
        from model.keras_net import load_keras_model

        config = self.config
        if config.start == "shipped" or config.init_path:
            return load_keras_model(config.init_path or paths.model_path(config.dataset, config.arch))
        import keras

        keras.utils.set_random_seed(config.seed)
        return build(config.arch)

    def _optimizer(self):
        import keras

        plan = self.plan
        if not plan.cosine:
            return keras.optimizers.Adam(plan.learning_rate)
        return keras.optimizers.AdamW(learning_rate=warm_cosine(plan.learning_rate, self.total_steps),
                                      weight_decay=1e-4)

    def _compile_steps(self) -> None:
        """The training step and the forward passes, each one ``tf.function``."""
        import keras
        import tensorflow as tf

        from model.training.augment import ONLINE_PARTS

        model, optimizer = self.model, self._optimizer()
        online = [ONLINE_PARTS[name](self.config.seed + i) for i, name in enumerate(self.plan.online)]
        loss_of = keras.losses.CategoricalCrossentropy(label_smoothing=self.plan.label_smoothing)
        images = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)
        labels = tf.TensorSpec((None,), tf.int32)

        @tf.function(input_signature=[images, labels])
        def train_step(x, y):
            for layer in online:
                x = layer(x, training=True)
            with tf.GradientTape() as tape:
                probabilities = model(x, training=True)
                loss = loss_of(tf.one_hot(y, NUM_CLASSES), probabilities)
            variables = model.trainable_variables
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
            right = tf.equal(tf.argmax(probabilities, axis=1, output_type=tf.int32), y)
            return loss, tf.reduce_mean(tf.cast(right, tf.float32))

        self._train_step = train_step
        self._predict = tf.function(lambda x: model(x, training=False), input_signature=[images])
        self._cnn = None
        if self.config.arch == "cnn":
            from model.keras_net import KerasCNN

            self._cnn = KerasCNN(model)  # the same layers: it always has the current weights

    def started(self) -> Started:
        return Started(self.config.dataset, self.config.arch, self.total_steps, self.steps_per_epoch,
                       self.plan.describe(), len(self.x_test), len(self.x), len(self.gx),
                       self.model.get_config())

    # ------------------------------------------------------------ training

    @property
    def done(self) -> bool:
        return self.step_count >= self.total_steps

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next images of the shuffled training split, plus the kept drawings' share."""
        take = self.plan.batch_size - self.gallery_per_batch
        if self._cursor + take > len(self._order):
            self._order, self._cursor = self._rng.permutation(len(self.x)), 0
        index = self._order[self._cursor:self._cursor + take]
        self._cursor += take
        self._seen += len(index)
        x, y = self.x[index], self.y[index]
        if self.gallery_per_batch:
            kept = self._rng.integers(len(self.gx), size=self.gallery_per_batch)
            x = np.concatenate([x, shifted(self.gx[kept], self._rng)])
            y = np.concatenate([y, self.gy[kept]])
        return x, y

    def step(self) -> None:
        loss, accuracy = self._train_step(*self.next_batch())
        self._since_report.append((float(loss), float(accuracy)))
        self.step_count += 1

    def report_due(self) -> bool:
        return self.step_count % self.report_every == 0 or self.done

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) of the network as it is now on ``x``."""
        if not len(x):
            return float("nan"), float("nan")
        probabilities = np.concatenate([self._predict(x[i:i + EVAL_BATCH]).numpy()
                                        for i in range(0, len(x), EVAL_BATCH)])
        picked = np.clip(probabilities[np.arange(len(y)), y], 1e-7, 1.0)
        return float(-np.log(picked).mean()), float((probabilities.argmax(axis=1) == y).mean())

    def gallery_accuracy(self) -> float | None:
        return self.evaluate(self.gx, self.gy)[1] if len(self.gx) else None

    def kernels(self) -> np.ndarray:
        """conv1's 64 kernels (3, 3, 1, 64); for the dense network, its first 64 hidden units'
        weights seen as pictures (28, 28, 64)."""
        if self.config.arch == "cnn":
            return self.model.get_layer("conv1").kernel.numpy()
        return self.model.get_layer("dense").kernel.numpy()[:, :64].reshape(28, 28, 64)

    def report(self) -> Report:
        recent = np.asarray(self._since_report or [(np.nan, np.nan)], np.float64)
        self._since_report = []
        test_loss, test_accuracy = self.evaluate(self.x_test, self.y_test)
        per_step = self.active_seconds / self.step_count if self.step_count else 0.0
        return Report(
            step=self.step_count, total_steps=self.total_steps, epoch=self._seen / len(self.x),
            seconds=self.active_seconds, seconds_left=per_step * (self.total_steps - self.step_count),
            train_loss=float(recent[:, 0].mean()), train_accuracy=float(recent[:, 1].mean()),
            test_loss=test_loss, test_accuracy=test_accuracy, kernels=self.kernels(),
            gallery_accuracy=self.gallery_accuracy(), gallery_start=self.gallery_start,
            drawing=self.answer_drawing())

    # ------------------------------------------------------------ answers

    def answer_drawing(self) -> DrawingAnswer | None:
        """The network's answer, as it is now, for the drawing the app sent last."""
        drawing = self.drawing
        if drawing is None:
            return None
        if drawing.image is None:
            return DrawingAnswer(drawing.seq, None)
        x = np.asarray(drawing.image, np.float32).reshape(1, *INPUT_SHAPE)
        if self._cnn is None:
            return DrawingAnswer(drawing.seq, self._predict(x).numpy()[0])
        *maps, _dense, probabilities = self._cnn.forward(x, np.ones((1, len(FEATURE_LAYERS), 64),
                                                                     np.float32))
        return DrawingAnswer(drawing.seq, probabilities[0], tuple(m[0] for m in maps))

    def answer(self, ask: Ask) -> Answer:
        """A worker thread's question: forward passes, or the conv kernels."""
        if self._cnn is None:
            return Answer(ask.id, error="the network in training is the dense one: it has no "
                                        "feature maps to show")
        if ask.what == "kernels":
            return Answer(ask.id, [self._cnn.model.get_layer(name).kernel.numpy()
                                   for name in ("conv1", "conv2")])
        if ask.what != "forward" or ask.images is None or ask.masks is None:
            return Answer(ask.id, error=f"the trainer cannot answer {ask.what!r}")
        return Answer(ask.id, self._cnn.forward(np.asarray(ask.images, np.float32),
                                                np.asarray(ask.masks, np.float32)))

    # ------------------------------------------------------------ saving

    def card(self) -> dict:
        import keras
        import tensorflow as tf

        config, test_loss_accuracy = self.config, self.evaluate(self.x_test, self.y_test)
        return {
            "dataset": config.dataset, "arch": config.arch, "trained_live": True,
            "start": config.start,
            "init": str(config.init_path or paths.model_path(config.dataset, config.arch))
            if config.start == "shipped" or config.init_path else None,
            "recipe": config.recipe, "plan": self.plan.describe(), "seed": config.seed,
            "steps": self.step_count, "epochs": round(self._seen / len(self.x), 3),
            "train_images": len(self.x), "train_seconds": round(self.active_seconds, 1),
            "held_out_images": len(self.x_test),
            "held_out_accuracy": round(test_loss_accuracy[1], 5),
            "gallery_drawings": len(self.gx), "gallery_weight": config.gallery_weight,
            "gallery_accuracy": self.gallery_accuracy(), "gallery_accuracy_start": self.gallery_start,
            "tensorflow": tf.__version__, "keras": keras.__version__, "data_sha256": self.data_sha256,
        }

    def save(self, parent: str | os.PathLike) -> Saved:
        """The network as it is now, in a new folder under ``parent``, which appears only when
        the ``.keras``, its card and its checked LiteRT export are all written
        (``model.atomic.build_folder``: a kill leaves no folder the app would read)."""
        from model.training.export import export

        parent = Path(parent)
        parent.mkdir(parents=True, exist_ok=True)
        name = (f"{self.config.dataset}-{self.config.arch}-"
                f"{time.strftime('%Y%m%d-%H%M%S')}-step{self.step_count}")
        file_name = f"{self.config.dataset}_{self.config.arch}.keras"

        def write(building: Path) -> None:
            keras_path = building / file_name
            self.model.save(keras_path)
            paths.card_path(keras_path).write_text(json.dumps(self.card(), indent=2) + "\n")
            export(keras_path, log=lambda _message: None)

        final = build_folder(parent, name, write) / file_name
        return Saved(str(final), read_card(final))


# ---------------------------------------------------------------- the loop


def _drain(commands, block: bool) -> list:
    """Every command waiting (after waiting up to IDLE_WAIT_S for one when ``block``)."""
    found = []
    try:
        found.append(commands.get(timeout=IDLE_WAIT_S) if block else commands.get_nowait())
        while True:
            found.append(commands.get_nowait())
    except queue.Empty:
        pass
    return found


def _handle(trainer: LiveTrainer, command, state: str, send: Send) -> str:
    """Do ``command``; the state after it ("quit" ends the loop)."""
    if isinstance(command, Quit):
        return "quit"
    if isinstance(command, Pause) and state == "running":
        state = "paused"
    elif isinstance(command, Resume) and state == "paused":
        state = "running"
    elif isinstance(command, Stop) and state in ("running", "paused"):
        state = "stopped"
    elif isinstance(command, SetInterval):
        trainer.report_every = max(1, int(command.steps))
        return state
    elif isinstance(command, Ask):
        send(trainer.answer(command))
        return state
    elif isinstance(command, Save):
        try:
            send(trainer.save(command.parent))
        except Exception as exc:  # a full disk, a failed export: the run goes on
            send(SaveFailed(one_line(exc)))
        return state
    else:
        return state
    send(State(state))
    return state


def serve(trainer: LiveTrainer, commands, send: Send, app_alive: Callable[[], bool] = lambda: True):
    """Report the starting weights, then train until every step is done, answering commands
    between steps; then keep answering (drawings, questions, Save) until Quit, or until the app
    is gone. While it trains, a new drawing is answered at most every DRAWING_EVERY_S (and with
    every report)."""
    state, answered_at, drawing_waits = "running", 0.0, False
    send(State(state))
    send(trainer.report())  # step 0: about 10% right, kernels of noise, every class alike
    while True:
        block = state != "running" and not drawing_waits
        waiting = _drain(commands, block)
        for command in waiting:
            if isinstance(command, SetDrawing):  # only the newest drawing matters
                trainer.drawing, drawing_waits = command, True
                continue
            state = _handle(trainer, command, state, send)
            if state == "quit":
                return
        now = time.perf_counter()
        if drawing_waits and (state != "running" or now - answered_at >= DRAWING_EVERY_S):
            send(trainer.answer_drawing())
            answered_at, drawing_waits = now, False
        if state == "running":
            trainer.step()
            trainer.active_seconds += time.perf_counter() - now
            if trainer.report_due():
                started = time.perf_counter()
                report = trainer.report()  # it carries the drawing's answer
                trainer.active_seconds += time.perf_counter() - started
                send(report)
                answered_at, drawing_waits = time.perf_counter(), False
            if trainer.done:
                state = "finished"
                send(State(state))
        elif block and not waiting and not app_alive():
            return


def _limit_threads(config: LiveConfig) -> None:
    """TensorFlow on ``config.threads`` threads (default: one fewer than the cores), niced."""
    threads = config.threads or default_threads()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    try:
        os.nice(config.nice)
    except (OSError, AttributeError):
        pass
    from model.keras_net import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised (a test running the trainer in its own process)
        pass


def trainer_main(config: LiveConfig, commands, events) -> None:
    """The trainer process: :func:`run`, with the process set up first (TensorFlow's threads,
    a lower priority, nothing printed) and the pipe closed last."""
    import sys
    import warnings

    warnings.simplefilter("ignore")  # Keras's notices are not for the app's user
    sys.stdout = open(os.devnull, "w")  # nor the converter's "Saved artifact at ..." lines
    try:
        run(config, commands, events.send, setup=lambda: _limit_threads(config))
    finally:
        events.close()


def run(config: LiveConfig, commands, send: Send, setup: Callable[[], None] = lambda: None) -> None:
    """Train ``config``, taking commands from ``commands`` (a queue) and sending events with
    ``send``, until Quit or until the app is gone. Every failure is one :class:`Failed` line,
    never a traceback."""
    parent = os.getppid()
    try:
        setup()
        trainer = LiveTrainer(config, lambda text: send(Status(text)))
        send(trainer.started())
        serve(trainer, commands, send, app_alive=lambda: os.getppid() == parent)
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        pass  # the app is gone, or the user pressed Ctrl+C in its terminal
    except BaseException as exc:  # MemoryError too: the app reads one line
        try:
            send(Failed(one_line(exc)))
        except OSError:
            pass
