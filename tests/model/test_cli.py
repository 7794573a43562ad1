"""The command line, run as a user runs it: python main.py ..."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model import datasets, paths
from model.training import sketch

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def redrawn_digits(tmp_path_factory):
    """Real test-split digits re-drawn as brush strokes, saved as PNG files."""
    folder = tmp_path_factory.mktemp("drawn")
    ds = datasets.load("mnist")
    rng = np.random.default_rng(2026)
    files, labels = [], []
    for i in range(8):
        page = sketch.redraw_digit(ds.x_test[i], rng, canvas=360)
        path = folder / f"digit{i}.png"
        Image.fromarray(page).save(path)
        files.append(path)
        labels.append(int(ds.y_test[i]))
    return files, labels


def test_predict_classifies_redrawn_test_digits(redrawn_digits):
    files, labels = redrawn_digits
    proc = run("predict", "--dataset", "mnist", *map(str, files))
    assert proc.returncode == 0, proc.stderr[-500:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    assert [line["label"] for line in lines] == labels
    for line in lines:
        assert line["class"] == str(line["label"]) and len(line["probabilities"]) == 10
        assert sum(line["probabilities"]) == pytest.approx(1.0, abs=1e-4)


def test_predict_reports_bad_files_one_line_each_and_goes_on(redrawn_digits, tmp_path):
    good = redrawn_digits[0][0]
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    bad = [tmp_path / "empty.png", tmp_path / "text.png", tmp_path / "missing.png",
           tmp_path / "blank.png", tmp_path]
    proc = run("predict", *map(str, bad), str(good))
    assert proc.returncode == 1
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == len(bad), proc.stderr
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"error: {path}: ")
    assert "Traceback" not in proc.stderr
    assert [json.loads(line)["file"] for line in proc.stdout.splitlines()] == [str(good)]


def test_predict_refuses_postscript_and_endless_pictures_and_goes_on(redrawn_digits, tmp_path):
    """PostScript went to Ghostscript (a loop hung predict, `file` wrote anywhere); a
    49,999,999 x 1 picture passed the pixel limit and its preprocessing needed 30 GB."""
    good = redrawn_digits[0][0]
    written = tmp_path / "written-by-postscript"
    (tmp_path / "loop.eps").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 280 280\n{} loop\n")
    (tmp_path / "writes.png").write_text(f"%!PS-Adobe-3.0\n({written}) (w) file (x) writestring\n")
    Image.new("1", (49_999_999, 1), 1).save(tmp_path / "line.png")
    bad = [tmp_path / "loop.eps", tmp_path / "writes.png", tmp_path / "line.png"]
    proc = subprocess.run([sys.executable, "main.py", "predict", *map(str, bad), str(good)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = proc.stderr.splitlines()
    assert [line.split(": ")[1] for line in errors] == [str(path) for path in bad]
    assert "not an image file Sketchscope can read" in errors[0] and "not a drawing" in errors[2]
    assert [json.loads(line)["file"] for line in proc.stdout.splitlines()] == [str(good)]
    assert not written.exists()


def test_evaluate_json_reports_dataset_n_accuracy(tmp_path):
    proc = run("evaluate", "--dataset", "fashion", "--arch", "dense", "--json",
               "--confusion", str(tmp_path / "c.png"))
    assert proc.returncode == 0, proc.stderr[-500:]
    result = json.loads(proc.stdout)
    assert result["dataset"] == "fashion" and result["n"] == 10000
    assert 0.85 < result["accuracy"] <= 1.0
    assert (tmp_path / "c.png").is_file()


def test_a_newline_in_a_file_name_cannot_forge_a_second_error_line(tmp_path, redrawn_digits):
    forged = tmp_path / "a.png\nerror: b.png: forged"
    proc = run("predict", str(forged), str(redrawn_digits[0][0]))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: {tmp_path}/a.png\\nerror: b.png: forged: no such file"]
    assert len(proc.stdout.splitlines()) == 1


def odd_models(folder: Path) -> dict[str, Path]:
    """Keras models that are not the app's classifier: 5 classes, a 32 x 32 input, two outputs."""
    import keras

    image = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(image)
    big = keras.Input((32, 32, 1))
    models = {
        "five classes": keras.Model(image, keras.layers.Dense(5, activation="softmax")(flat)),
        "32x32 input": keras.Model(big, keras.layers.Dense(10, activation="softmax")(
            keras.layers.Flatten()(big))),
        "two outputs": keras.Model(image, [keras.layers.Dense(10, activation="softmax")(flat),
                                           keras.layers.Dense(10, activation="softmax")(flat)]),
    }
    for name, model in models.items():
        model.save(folder / f"{name.replace(' ', '-')}.keras")
    return {name: folder / f"{name.replace(' ', '-')}.keras" for name in models}


def test_evaluate_refuses_a_model_that_is_not_a_ten_class_classifier_of_the_input(tmp_path):
    for name, path in odd_models(tmp_path).items():
        proc = run("evaluate", "--dataset", "mnist", "--model", str(path), "--json",
                   "--confusion", str(tmp_path / "c.png"))
        assert proc.returncode == 2 and proc.stdout == "", name
        assert proc.stderr.startswith(f"error: {path.name}: the model takes "), proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize("where, message", [
    ("folder.png", "is a folder, not a file name"),
    ("a-file/c.png", "cannot write there ("),
])
def test_evaluate_refuses_a_confusion_png_it_cannot_write_before_evaluating(tmp_path, where, message):
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    proc = run("evaluate", "--dataset", "mnist", "--arch", "dense", "--confusion", str(tmp_path / where))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"error: {tmp_path / where}: {message}")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert list((tmp_path / "folder.png").iterdir()) == []


def test_predict_refuses_a_model_with_nan_weights_in_one_line(tmp_path, redrawn_digits):
    import keras

    from model.architecture import build_cnn

    keras.utils.set_random_seed(3)
    broken = build_cnn()
    broken.set_weights([np.full_like(w, np.nan) for w in broken.get_weights()])
    broken.save(tmp_path / "nan.keras")
    proc = run("predict", "--model", str(tmp_path / "nan.keras"), str(redrawn_digits[0][0]))
    assert proc.returncode == 2 and proc.stdout == ""  # no "probabilities": [NaN, ...]
    assert proc.stderr == "error: the model's outputs are not finite (NaN or infinite weights?)\n"


def test_a_keras_config_that_picks_another_backend_does_not_decide_for_sketchscope(
        tmp_path, redrawn_digits):
    import os
    import shutil

    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text('{"backend": "jax", "floatx": "float16", '
                                                   '"image_data_format": "channels_first"}')
    shutil.copy(paths.model_path("mnist", "cnn"), tmp_path / "cnn.keras")  # no .tflite: TensorFlow
    env = dict(os.environ, HOME=str(tmp_path), KERAS_BACKEND="jax")
    proc = subprocess.run([sys.executable, "main.py", "predict", "--model", str(tmp_path / "cnn.keras"),
                           str(redrawn_digits[0][0])], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-500:]
    assert json.loads(proc.stdout)["label"] == redrawn_digits[1][0]
    (tmp_path / ".keras" / "keras.json").write_text('{"floatx": "float8"}')  # Keras refuses it
    proc = subprocess.run([sys.executable, "main.py", "predict", "--model", str(tmp_path / "cnn.keras"),
                           str(redrawn_digits[0][0])], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: Keras cannot start (") and proc.stderr.count("\n") == 1
    assert "keras.json" in proc.stderr


def test_bad_model_file_gives_a_one_line_error(tmp_path):
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 broken")
    proc = run("evaluate", "--dataset", "mnist", "--model", str(tmp_path / "broken.keras"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"error: {tmp_path / 'broken.keras'}: cannot load")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_train_refuses_an_output_that_is_not_keras():
    proc = run("train", "--dataset", "mnist", "--out", "weights.h5")
    assert proc.returncode == 2 and "must end in .keras" in proc.stderr
    assert not (ROOT / "weights.h5").exists()


def test_train_writes_under_out_by_default_and_never_the_shipped_models(tmp_path):
    shipped = paths.model_path("mnist", "dense")
    before = {p: datasets.sha256_file(p) for p in shipped.parent.iterdir()}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--dataset", "mnist",
                           "--arch", "dense", "--epochs", "1", "--limit", "100"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert {p: datasets.sha256_file(p) for p in shipped.parent.iterdir()} == before
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["mnist_dense.json", "mnist_dense.keras", "mnist_dense.tflite"]
    assert json.loads(proc.stdout.splitlines()[-1])["epochs"] == 1


@pytest.mark.parametrize("where, message", [
    ("folder.keras", "is a folder, not a file name"),
    ("a-file/m.keras", "cannot write there (" ),
])
def test_train_refuses_an_output_it_cannot_write_before_training(tmp_path, where, message):
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    out = tmp_path / where
    proc = run("train", "--dataset", "mnist", "--arch", "dense", "--epochs", "1", "--limit", "100",
               "--out", str(out))
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout[-300:]  # nothing trained
    assert proc.stderr == f"error: {out}: {message}" + proc.stderr.split(message, 1)[1]
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "folder.keras"]
    assert list((tmp_path / "folder.keras").iterdir()) == []


def test_train_checks_the_models_it_starts_from_before_training(tmp_path):
    (tmp_path / "not-a-model.keras").write_text("hello")
    for extra in (("--init", str(tmp_path / "missing.keras")),
                  ("--init", str(tmp_path / "not-a-model.keras"))):
        proc = run("train", "--dataset", "mnist", "--arch", "dense", "--epochs", "1",
                   "--limit", "100", "--out", str(tmp_path / "new.keras"), *extra)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith(f"error: {extra[1]}: ") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "new.keras").exists()


def test_a_model_card_that_cannot_be_read_stops_train_and_export_before_their_work(tmp_path):
    import shutil

    model = tmp_path / "start.keras"
    shutil.copy(ROOT / "resources" / "models" / "mnist_dense.keras", model)
    model.with_suffix(".json").write_text('{"dataset": "mnist", ')  # cut short
    for args in (("train", "--dataset", "mnist", "--arch", "dense", "--epochs", "1", "--limit",
                  "100", "--out", str(tmp_path / "new.keras"), "--init", str(model)),
                 ("export", "--model", str(model))):
        proc = run(*args)
        assert proc.returncode != 0 and proc.stdout == "", proc.stdout[-300:]
        assert proc.stderr.startswith("error: start.json: cannot read the model card"), proc.stderr
        assert proc.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["start.json", "start.keras"]


@pytest.mark.parametrize("extra, message", [
    ((), "error: the distill stage needs at least one --teacher model"),
    (("--teacher", "no/such.keras"), "error: teacher model not found: no/such.keras"),
])
def test_train_distill_stage_errors_are_one_line(extra, message, tmp_path):
    out = tmp_path / "d.keras"
    proc = run("train", "--dataset", "fashion", "--arch", "dense", "--stage", "distill",
               "--out", str(out), *extra)
    assert proc.returncode == 2 and proc.stderr.strip() == message
    assert not out.exists()


def test_train_offers_every_stage_of_the_recipes():
    from main import parse_args
    from model.training import recipes

    for stage in ("base", *recipes.STAGES):
        assert parse_args(["train", "--dataset", "mnist", "--stage", stage]).stage == stage


def test_shipped_models_exist():
    for dataset in ("mnist", "fashion"):
        for arch in ("cnn", "dense"):
            assert paths.model_path(dataset, arch).is_file()


# ---------------------------------------------------------------- the one parser (main.py)

COMMANDS = ("data", "train", "export", "evaluate", "predict", "bench")


def test_help_lists_every_command_with_one_line_and_the_apps_dataset_option():
    proc = run("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    for name in COMMANDS:
        described = [line.split(maxsplit=1) for line in lines if line.split()[:1] == [name]]
        assert len(described) == 1 and len(described[0]) == 2, f"{name}: {described}"
    assert any(line.strip().startswith("--dataset {mnist,fashion}") for line in lines)


def test_help_imports_neither_tensorflow_keras_scipy_nor_qt():
    proc = subprocess.run([sys.executable, "-X", "importtime", "main.py", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "model" in imported and "numpy" in imported  # the probe sees what was imported
    assert not imported & {"tensorflow", "keras", "scipy", "PySide6", "shiboken6", "PIL"}


def test_bench_help_lists_accuracy_and_gui_and_bench_gui_help_its_options():
    proc = run("bench", "--help")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("    ")]
    assert {"accuracy", "gui"} <= set(names)
    proc = run("bench", "gui", "--help")
    assert proc.returncode == 0
    for option in ("--updates", "--segments", "--runs", "--no-explore", "--launches"):
        assert option in proc.stdout
    assert "main.py bench gui" in proc.stdout


def test_bench_train_is_listed_and_tells_its_own_options():
    proc = run("bench", "--help")
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("    ")]
    assert "train" in names
    proc = run("bench", "train", "--help")
    assert proc.returncode == 0 and "main.py bench train" in proc.stdout
    for option in ("--json", "--seconds", "--screenshot"):
        assert option in proc.stdout
    proc = run("bench", "train", "--seconds", "soon")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "main.py bench train: error: argument --seconds: invalid float value" in proc.stderr


def test_an_unknown_command_is_one_line_and_exit_status_2():
    proc = run("frobnicate")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("main.py: error: argument COMMAND: invalid choice: 'frobnicate'")


@pytest.mark.parametrize("args, message", [
    (("--dataset", "cifar"), "main.py: error: argument --dataset: invalid choice: 'cifar'"),
    (("train", "--dataset", "cifar"), "main.py train: error: argument --dataset: invalid choice"),
    (("train", "--dataset", "mnist", "--epochs", "many"),
     "main.py train: error: argument --epochs: invalid int value: 'many'"),
    (("train", "--dataset", "mnist", "--stage", "warmup"),
     "main.py train: error: argument --stage: invalid choice: 'warmup'"),
    (("evaluate", "--dataset", "mnist", "--arch", "vgg"),
     "main.py evaluate: error: argument --arch: invalid choice: 'vgg'"),
    (("evaluate",), "main.py evaluate: error: the following arguments are required: --dataset"),
    (("predict",), "main.py predict: error: the following arguments are required: images"),
    (("data", "fetch", "--bogus"), "main.py data: error: unrecognized arguments: --bogus"),
    (("bench",), "main.py bench: error: the following arguments are required: WHAT"),
    (("bench", "speed"), "main.py bench: error: argument WHAT: invalid choice: 'speed'"),
    (("bench", "accuracy", "--n", "x"), "main.py bench accuracy: error: argument --n: invalid int"),
    (("--dataset", "fashion", "predict", "x.png"),
     "main.py: error: --dataset before predict is the app's option"),
    (("train", "--dataset", "mnist", "--epochs", "0"),
     "main.py train: error: argument --epochs: a whole number of at least 1 is needed, not 0"),
    (("train", "--dataset", "mnist", "--epochs", "-1", "--limit", "100"),
     "main.py train: error: argument --epochs: a whole number of at least 1 is needed, not -1"),
    (("train", "--dataset", "mnist", "--limit", "0"),
     "main.py train: error: argument --limit: a whole number of at least 1 is needed, not 0"),
    (("train", "--dataset", "mnist", "--seed", "-1"),
     "main.py train: error: argument --seed: a seed from 0 to 4,294,967,295 is needed, not -1"),
    (("train", "--dataset", "mnist", "--seed", "99999999999"),
     "main.py train: error: argument --seed: a seed from 0 to 4,294,967,295 is needed"),
    (("bench", "accuracy", "--n", "0"),
     "main.py bench accuracy: error: argument --n: a whole number from 1 to 10,000 is needed, not 0"),
    (("bench", "accuracy", "--n", "-1"),
     "main.py bench accuracy: error: argument --n: a whole number from 1 to 10,000 is needed"),
])
def test_a_bad_value_is_one_line_and_exit_status_2(args, message):
    proc = run(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(message), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_bench_gui_refuses_a_bad_value_of_its_own_with_exit_status_2():
    proc = run("bench", "gui", "--updates", "x")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "main.py bench gui: error: argument --updates: invalid int value: 'x'" in proc.stderr


def test_each_command_runs_its_own_handler_and_bench_gui_gets_its_arguments():
    import importlib

    from main import parse_args

    argvs = {"data": ["data", "fetch"], "train": ["train", "--dataset", "mnist"],
             "evaluate": ["evaluate", "--dataset", "mnist"], "predict": ["predict", "a.png"],
             "bench_accuracy": ["bench", "accuracy"], "export": ["export"]}
    for function, argv in argvs.items():
        module, name = parse_args(argv).handler.split(":")
        assert name == function and callable(getattr(importlib.import_module(module), name))
    args = parse_args(["bench", "gui", "--updates", "5", "--no-explore"])
    assert args.bench_gui_argv == ["--updates", "5", "--no-explore"]
    assert parse_args(["bench", "train", "--json"]).bench_gui_argv == ["--json"]
    assert parse_args(["bench", "accuracy", "--n", "7"]).n == 7
    assert parse_args([]).command is None and parse_args([]).app_dataset is None


def test_version_prints_the_packages_version():
    from model.version import version

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout == f"Sketchscope {version()}\n"
    assert version() != "unknown" and version()[0].isdigit()


def test_the_app_without_a_display_says_how_to_run_it_in_one_line_before_qt_starts():
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "main.py"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    assert len(errors) == 1 and errors[0].startswith("error: there is no display")
    assert "xvfb-run" in errors[0] and "QT_QPA_PLATFORM=offscreen" in errors[0]
    assert "PySide6.QtWidgets" not in proc.stderr  # Qt was never started


def test_export_rewrites_a_models_tflite_and_its_card_records_it(tmp_path):
    import shutil

    for suffix in (".keras", ".json"):
        shutil.copy(paths.model_path("mnist", "dense").with_suffix(suffix), tmp_path / f"d{suffix}")
    proc = run("export", "--model", str(tmp_path / "d.keras"))
    assert proc.returncode == 0, proc.stderr
    card = json.loads((tmp_path / "d.json").read_text())
    assert card["litert"]["sha256"] == datasets.sha256_file(tmp_path / "d.tflite")
    broken = tmp_path / "broken.keras"
    broken.write_text("not a model")
    proc = run("export", "--model", str(broken))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
