"""The canvas path and the image-file path give the same 28x28 for the same drawing."""

import numpy as np
import pytest

from model.imageio import load_image
from model.preprocess import preprocess

from ..conftest import draw, line


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_saved_drawing_preprocesses_like_the_canvas(make_window, tmp_path, dataset):
    window = make_window(dataset)
    canvas = window.canvas
    draw(canvas, line(140, 40, 150, 240))  # a "7": a stroke down ...
    draw(canvas, line(80, 45, 145, 40))  # ... and its bar
    from_canvas = preprocess(canvas.image(), dataset)
    saved = window.files.save_drawing(tmp_path / "drawing.png")  # rendered afresh, at its own size
    from_file = preprocess(load_image(saved), dataset)
    assert from_canvas.shape == from_file.shape == (28, 28, 1)
    assert np.abs(from_canvas - from_file).mean() < 0.005  # the ink itself averages 0.05-0.10
    assert np.abs(from_canvas - from_file).max() < 0.25
