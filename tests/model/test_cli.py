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


def test_evaluate_json_reports_dataset_n_accuracy(tmp_path):
    proc = run("evaluate", "--dataset", "fashion", "--arch", "dense", "--json",
               "--confusion", str(tmp_path / "c.png"))
    assert proc.returncode == 0, proc.stderr[-500:]
    result = json.loads(proc.stdout)
    assert result["dataset"] == "fashion" and result["n"] == 10000
    assert 0.85 < result["accuracy"] <= 1.0
    assert (tmp_path / "c.png").is_file()


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
    from model import cli
    from model.training import recipes

    parser = cli._parser()
    for stage in ("base", *recipes.STAGES):
        assert parser.parse_args(["train", "--dataset", "mnist", "--stage", stage]).stage == stage


def test_shipped_models_exist():
    for dataset in ("mnist", "fashion"):
        for arch in ("cnn", "dense"):
            assert paths.model_path(dataset, arch).is_file()
