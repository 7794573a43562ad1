"""The drawn-style generators: what people's drawings look like, reproducibly."""

import numpy as np
import pytest

from model import datasets
from model.training import sketch

SOURCES = {"strokes": "mnist", "outline": "fashion", "silhouette": "fashion"}


@pytest.fixture(scope="module")
def images():
    """Real test-split images: 30 digits and 30 clothing items."""
    return {name: datasets.load(name).x_test[:30] for name in ("mnist", "fashion")}


def ink(page: np.ndarray) -> np.ndarray:
    return page < 128


@pytest.mark.parametrize("kind", sorted(sketch.GENERATORS))
@pytest.mark.parametrize("canvas", [160, 300])
def test_each_generator_draws_dark_ink_on_a_white_page_of_the_requested_size(kind, canvas, images):
    for i, img in enumerate(images[SOURCES[kind]][:10]):
        page = sketch.GENERATORS[kind](img, np.random.default_rng(i), canvas=canvas)
        assert page.shape == (canvas, canvas) and page.dtype == np.uint8
        assert page.min() < 40 and (page == 255).mean() > 0.3  # dark ink, white paper round it
        assert 0.002 < ink(page).mean() < 0.7  # a filled silhouette may cover most of the page


@pytest.mark.parametrize("kind", sorted(sketch.GENERATORS))
def test_the_drawing_lies_on_the_page_at_a_drawn_size(kind, images):
    """Outlines and silhouettes never reach the page's edge; a thick brush stroke drawn near it
    may graze it (as a user's stroke can), with a sliver of its ink, never more."""
    for i, img in enumerate(images[SOURCES[kind]]):
        page = sketch.GENERATORS[kind](img, np.random.default_rng(i), canvas=200)
        mask = ink(page)
        edge = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
        if kind == "strokes":
            assert edge.sum() <= 0.02 * mask.sum()
        else:
            assert not edge.any()
        ys, xs = np.nonzero(mask)
        assert max(np.ptp(ys), np.ptp(xs)) >= 0.25 * 200  # drawn large enough to read


@pytest.mark.parametrize("kind", sorted(sketch.GENERATORS))
def test_a_seed_gives_one_drawing_and_another_seed_another(kind, images):
    img = images[SOURCES[kind]][0]
    draw = sketch.GENERATORS[kind]
    first = draw(img, np.random.default_rng(7), canvas=200, jitter=sketch.TRAIN_JITTER)
    again = draw(img, np.random.default_rng(7), canvas=200, jitter=sketch.TRAIN_JITTER)
    other = draw(img, np.random.default_rng(8), canvas=200, jitter=sketch.TRAIN_JITTER)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("kind", sorted(sketch.GENERATORS))
def test_a_blank_image_is_a_clear_error(kind):
    with pytest.raises(ValueError, match="the image has no ink to trace"):
        sketch.GENERATORS[kind](np.zeros((28, 28), np.uint8), np.random.default_rng(0))


def test_thinning_leaves_a_one_pixel_skeleton_inside_the_shape():
    bar = np.zeros((20, 40), bool)
    bar[6:13, 4:36] = True  # 7 pixels thick
    skeleton = sketch.thin(bar)
    assert skeleton.any() and not (skeleton & ~bar).any()
    assert (skeleton[:, 10:30].sum(axis=0) == 1).all()  # one pixel across, along its length
