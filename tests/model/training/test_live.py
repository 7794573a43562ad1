"""The live trainer without Qt: its protocol, a few steps on a small slice, the drawing's answers,
pause / resume / stop through its loop, an all-or-nothing save, and the kept drawings mixed in."""

import os
import pickle
import queue
import threading
import time

import numpy as np
import pytest

from model import datasets
from model.atomic import PARTIAL_TAG, remove_stale_partials
from model.gallery import Gallery
from model.training import live
from model.training.live_protocol import (
    Answer,
    Ask,
    DrawingAnswer,
    Failed,
    LiveConfig,
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
    Stop,
    live_plan,
)

SMALL = LiveConfig(limit=640, held_out=200, report_every=5, epochs=1, nice=0)
WAIT_S = 30


@pytest.fixture(scope="module")
def trainer():
    return live.LiveTrainer(SMALL)


def digit_page(image: np.ndarray) -> np.ndarray:
    """A 28 x 28 test digit as a user's 280 x 280 page: dark ink on white."""
    return 255 - np.kron(image, np.ones((10, 10), np.uint8))


# ---------------------------------------------------------------- protocol


def test_the_plans_say_what_each_recipe_trains_with():
    course = live_plan(LiveConfig())
    assert (course.optimizer, course.learning_rate, course.batch_size, course.cosine) == \
        ("adam", 1e-3, 32, False)
    assert course.describe() == "Adam 0.001; batch 32"
    assert live_plan(LiveConfig(start="shipped")).learning_rate == pytest.approx(1e-4)
    own = live_plan(LiveConfig(recipe="sketchscope"))
    assert own.optimizer == "adamw" and own.cosine and own.label_smoothing == 0.1
    assert own.online == ("rotation", "shift", "zoom") and own.batch_size == 128
    assert "flip" not in own.online  # a mirrored 2 is no 2
    assert "flip" in live_plan(LiveConfig(dataset="fashion", recipe="sketchscope")).online
    with pytest.raises(ValueError, match="unknown recipe"):
        live_plan(LiveConfig(recipe="magic"))


def test_every_message_crosses_a_process_boundary_intact():
    image = np.random.default_rng(0).random((28, 28, 1), dtype=np.float32)
    for message in (SetDrawing(3, image), Ask(1, "forward", image[None], np.ones((1, 4, 64))),
                    DrawingAnswer(3, np.full(10, 0.1), (np.zeros((26, 26, 64)),)),
                    Failed("one line"), State("paused"), SetInterval(7)):
        copy = pickle.loads(pickle.dumps(message))
        assert type(copy) is type(message)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(SetDrawing(3, image))).image, image)


def test_the_held_out_images_are_fixed_and_spread_over_the_whole_split():
    chosen = live.held_out_indices(10_000, 2000)
    np.testing.assert_array_equal(chosen, live.held_out_indices(10_000, 2000))
    assert len(np.unique(chosen)) == 2000 and chosen.min() < 100 and chosen.max() > 9900


# ---------------------------------------------------------------- the trainer


def test_a_few_steps_report_both_curves_and_the_kernels(trainer):
    started = trainer.started()
    assert isinstance(started, Started)
    assert (started.train_images, started.held_out, started.total_steps) == (640, 200, 20)
    assert started.keras_config["name"] == "sketchscope_cnn"
    from model.explain import layer_specs  # what Explore's facts read, following the run

    assert [spec.name for spec in layer_specs(started.keras_config)][:2] == ["conv1", "pool1"]
    before = trainer.kernels().copy()
    for _ in range(3):
        trainer.step()
    report = trainer.report()
    assert isinstance(report, Report) and report.step == 3 and report.total_steps == 20
    assert report.epoch == pytest.approx(3 * 32 / 640)
    assert 0 <= report.train_accuracy <= 1 and np.isfinite(report.train_loss)
    assert 0 <= report.test_accuracy <= 1 and np.isfinite(report.test_loss)
    assert report.kernels.shape == (3, 3, 1, 64)
    assert not np.allclose(report.kernels, before)  # the steps changed them
    np.testing.assert_array_equal(report.kernels, trainer.model.get_layer("conv1").kernel.numpy())


def test_the_drawings_maps_and_probabilities_are_the_models(trainer):
    x = trainer.x_test[:1]
    trainer.drawing = SetDrawing(7, x[0])
    answer = trainer.answer_drawing()
    assert answer.seq == 7 and [m.shape for m in answer.maps] == \
        [(26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64)]
    np.testing.assert_allclose(answer.probabilities, trainer.model(x, training=False).numpy()[0],
                               atol=1e-6)
    import keras

    conv1 = keras.Model(trainer.model.inputs, trainer.model.get_layer("conv1").output)
    np.testing.assert_allclose(answer.maps[0], conv1(x).numpy()[0], atol=1e-5)
    trainer.drawing = SetDrawing(8, None)
    assert trainer.answer_drawing() == DrawingAnswer(8, None)


def test_worker_threads_questions_are_answered_with_the_current_weights(trainer):
    x = trainer.x_test[:3]
    forward = trainer.answer(Ask(1, "forward", x, np.ones((3, 4, 64), np.float32)))
    assert forward.id == 1 and not forward.error and len(forward.values) == 6
    np.testing.assert_allclose(forward.values[-1], trainer.model(x, training=False).numpy(), atol=1e-6)
    kernels = trainer.answer(Ask(2, "kernels"))
    assert [k.shape for k in kernels.values] == [(3, 3, 1, 64), (3, 3, 64, 64)]
    assert trainer.answer(Ask(3, "gradients")).error


# ---------------------------------------------------------------- the loop


class Events:
    """What the loop sends, collected; ``wait_for`` blocks until one matches."""

    def __init__(self):
        self.items: list = []
        self._changed = threading.Condition()

    def send(self, message) -> None:
        with self._changed:
            self.items.append(message)
            self._changed.notify_all()

    def wait_for(self, check, timeout=WAIT_S):
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(check(m) for m in self.items), timeout), f"never came: {self.items[-3:]}"
            return [m for m in self.items if check(m)][-1]

    def of(self, kind) -> list:
        with self._changed:
            return [m for m in self.items if isinstance(m, kind)]


def drive(trainer, play) -> Events:
    """The loop in this thread, as in the trainer process (TensorFlow's tracing stays on the
    thread that did it before); ``play(commands, events)`` is the app, in another thread. It
    quits the loop when it is done or fails, and its failure is raised here."""
    commands, events, failed = queue.Queue(), Events(), []

    def app() -> None:
        try:
            play(commands, events)
        except BaseException as exc:  # re-raised in the test's thread
            failed.append(exc)
        finally:
            commands.put(Quit())

    thread = threading.Thread(target=app, daemon=True)
    thread.start()
    live.serve(trainer, commands, events.send)
    thread.join(WAIT_S)
    if failed:
        raise failed[0]
    return events


def test_pause_resume_and_stop_between_steps():
    trainer = live.LiveTrainer(LiveConfig(limit=6400, held_out=100, report_every=2, epochs=1, nice=0))

    def play(commands, events):
        events.wait_for(lambda m: isinstance(m, Report) and m.step > 0)
        commands.put(Pause())
        events.wait_for(lambda m: m == State("paused"))
        paused_at = trainer.step_count
        time.sleep(0.5)
        assert trainer.step_count == paused_at  # no step while paused
        commands.put(SetDrawing(4, trainer.x_test[0]))  # a paused trainer still answers it
        assert events.wait_for(lambda m: isinstance(m, DrawingAnswer)).seq == 4
        commands.put(Resume())
        events.wait_for(lambda m: isinstance(m, Report) and m.step > paused_at + 2)
        commands.put(SetInterval(1000))
        commands.put(Stop())
        events.wait_for(lambda m: m == State("stopped"))
        stopped_at = trainer.step_count
        time.sleep(0.3)
        assert trainer.step_count == stopped_at < trainer.total_steps

    events = drive(trainer, play)
    assert [s.state for s in events.of(State)] == ["running", "paused", "running", "stopped"]
    assert events.of(Report)[-1].drawing.seq == 4  # every report carries the drawing's answer


def test_a_run_that_does_every_step_finishes_and_still_answers():
    trainer = live.LiveTrainer(LiveConfig(limit=256, held_out=50, report_every=3, epochs=1, nice=0))

    def play(commands, events):
        events.wait_for(lambda m: m == State("finished"))
        commands.put(Ask(9, "forward", trainer.x_test[:1], np.ones((1, 4, 64), np.float32)))
        events.wait_for(lambda m: isinstance(m, Answer))

    events = drive(trainer, play)
    reports = events.of(Report)
    assert [r.step for r in reports] == [0, 3, 6, 8]  # the start, every 3 steps, the last
    assert np.isnan(reports[0].train_loss) and 0 <= reports[0].test_accuracy <= 1
    assert reports[-1].seconds_left == 0 and reports[-1].seconds > 0
    assert events.of(Answer)[0].id == 9 and len(events.of(Answer)[0].values) == 6


def test_the_loop_ends_when_the_app_is_gone(trainer):
    commands, events = queue.Queue(), Events()
    commands.put(Pause())
    live.serve(trainer, commands, events.send, app_alive=lambda: False)  # returns by itself
    assert events.of(State)[-1] == State("paused")


# ---------------------------------------------------------------- saving


def test_a_saved_model_is_whole_and_in_step(trainer, tmp_path):
    from model.inference import Engine
    from model.litert_net import check_in_step

    saved = trainer.save(tmp_path / "models")
    assert isinstance(saved, Saved)
    keras_path = saved.path and os.fspath(saved.path)
    folder = os.path.dirname(keras_path)
    assert sorted(os.listdir(folder)) == ["mnist_cnn.json", "mnist_cnn.keras", "mnist_cnn.tflite"]
    assert os.listdir(tmp_path / "models") == [os.path.basename(folder)]  # nothing half-built
    check_in_step(keras_path)
    card = saved.card
    assert card["trained_live"] and card["steps"] == trainer.step_count and card["start"] == "random"
    assert card["held_out_images"] == 200 and card["litert"]["float32"]
    engine = Engine.load(keras_path, "mnist")
    assert engine.backend == "litert"
    trainer.drawing = SetDrawing(1, trainer.x_test[5])
    answer = trainer.answer_drawing()
    got = engine.run(trainer.x_test[5])
    np.testing.assert_allclose(got.probabilities, answer.probabilities, atol=1e-5)
    for mine, theirs in zip(got.feature_maps, answer.maps, strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-4)


def test_a_save_that_fails_midway_leaves_nothing(trainer, tmp_path, monkeypatch):
    import model.training.export as export

    def broken(path, log=print):
        assert os.path.isfile(path)  # the .keras was written: the failure is midway
        raise OSError("disk full")

    monkeypatch.setattr(export, "export", broken)
    with pytest.raises(OSError, match="disk full"):
        trainer.save(tmp_path)
    assert os.listdir(tmp_path) == []
    commands, events = queue.Queue(), Events()  # through the loop: one line, and it goes on
    for command in (Pause(), Save(str(tmp_path)), Quit()):
        commands.put(command)
    live.serve(trainer, commands, events.send)
    assert events.of(SaveFailed) == [SaveFailed("disk full")]


KILLED_MIDWAY = """
import os, sys
from model.training import export, live
from model.training.live_protocol import LiveConfig

def die(path, log=print):  # the process dies between writing the .keras and its export
    os._exit(9)

export.export = die
trainer = live.LiveTrainer(LiveConfig(limit=64, held_out=10, epochs=1, nice=0))
trainer.step()
trainer.save(sys.argv[1])
"""


def test_a_trainer_killed_while_saving_leaves_no_folder_the_app_would_read(tmp_path):
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    proc = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, str(tmp_path)], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr[-500:]
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(".") and left[0].endswith(".partial")
    assert "mnist_cnn.keras" in os.listdir(tmp_path / left[0])  # it died midway indeed
    remove_stale_partials(tmp_path)  # what the next save does first
    assert os.listdir(tmp_path) == []


def test_what_a_killed_save_left_is_removed_by_the_next_one(trainer, tmp_path):
    dead = tmp_path / f".mnist-cnn-x.{PARTIAL_TAG}999999999-ab12.partial"
    mine = tmp_path / f".mnist-cnn-y.{PARTIAL_TAG}{os.getpid()}-cd34.partial"  # still being built
    for folder in (dead, mine):
        folder.mkdir()
        (folder / "mnist_cnn.keras").write_bytes(b"half")
    trainer.save(tmp_path)
    assert not dead.exists() and mine.exists()


# ---------------------------------------------------------------- the kept drawings


def kept(folder, labels, dataset="mnist"):
    """A gallery of test digits kept with the given true labels."""
    ds = datasets.load("mnist")
    gallery = Gallery(folder)
    for i, label in enumerate(labels):
        gallery.add(digit_page(ds.x_test[i]), dataset, int(label), int(ds.y_test[i]), 0.9)
    return folder


def test_kept_drawings_are_read_as_the_live_view_reads_them(tmp_path):
    from model.preprocess import preprocess

    folder = kept(tmp_path / "gallery", [3, 1, 4])
    Gallery(folder).add(np.full((280, 280), 255, np.uint8), "fashion", 2, 2, 0.5)
    x, y = live.gallery_images(folder, "mnist")
    assert x.shape == (3, 28, 28, 1) and y.tolist() == [3, 1, 4]
    page = Gallery(folder).image(Gallery(folder).items[0].id)
    np.testing.assert_array_equal(x[0], preprocess(page, "mnist"))
    assert live.gallery_images(tmp_path / "nowhere", "mnist")[0].shape == (0, 28, 28, 1)


def test_mixed_in_drawings_teach_the_network_their_labels(tmp_path):
    folder = kept(tmp_path / "gallery", [3] * 8)  # eight digits, all labelled 3
    config = LiveConfig(limit=2000, held_out=100, epochs=1, gallery=str(folder),
                        gallery_weight=0.5, nice=0)
    trainer = live.LiveTrainer(config)
    assert trainer.started().gallery_images == 8 and trainer.gallery_per_batch == 16
    x, y = trainer.next_batch()
    assert len(x) == 32 and (y[16:] == 3).all()
    start = trainer.gallery_start
    for _ in range(40):
        trainer.step()
    report = trainer.report()
    assert report.gallery_start == start and report.gallery_accuracy >= 0.75 > start
    plain = live.LiveTrainer(LiveConfig(limit=640, held_out=50, gallery=str(folder), nice=0))
    assert plain.gallery_per_batch == 0  # weight 0: the drawings are only measured
    assert plain.gallery_start is not None


# ---------------------------------------------------------------- failures


def test_missing_data_is_one_line_naming_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))
    commands, events = queue.Queue(), Events()
    live.run(SMALL, commands, events.send)
    failed = events.of(Failed)
    assert len(failed) == 1 and "python main.py data fetch" in failed[0].message
    assert "\n" not in failed[0].message


@pytest.mark.parametrize("dataset, arch, start, recipe", [
    ("fashion", "cnn", "random", "sketchscope"),  # flips, shifts, random erasing in the step
    ("mnist", "cnn", "shipped", "sketchscope"),  # turns, shifts, zooms; fine-tuning
    ("mnist", "dense", "shipped", "course"),
])
def test_every_kind_of_run_takes_its_steps(dataset, arch, start, recipe):
    trainer = live.LiveTrainer(LiveConfig(dataset=dataset, arch=arch, start=start, recipe=recipe,
                                          limit=512, held_out=100, epochs=1, nice=0))
    for _ in range(3):
        trainer.step()
    report = trainer.report()
    assert report.step == 3 and np.isfinite(report.train_loss)
    if start == "shipped":  # fine-tuning starts where the shipped model is, not at chance
        assert report.test_accuracy > 0.8
    trainer.drawing = SetDrawing(1, trainer.x_test[0])
    answer = trainer.answer_drawing()
    assert answer.probabilities.shape == (10,) and len(answer.maps) == (4 if arch == "cnn" else 0)
    assert report.kernels.shape == ((3, 3, 1, 64) if arch == "cnn" else (28, 28, 64))
