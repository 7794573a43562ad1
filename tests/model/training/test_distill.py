import numpy as np
import pytest

from model.training.distill import mixed_targets, teacher_views, view_averaged


def test_mixed_targets_blend_smoothed_labels_with_the_mean_of_the_teachers():
    onehot = np.eye(10, dtype=np.float32)[[3, 7]]
    a = np.full((2, 10), 0.1, np.float32)
    b = np.eye(10, dtype=np.float32)[[1, 7]]
    np.testing.assert_allclose(mixed_targets(onehot, [], 0.7, 0.0), onehot)
    smoothed = mixed_targets(onehot, [], 0.7, 0.1)
    np.testing.assert_allclose(smoothed[0, [3, 0]], [0.91, 0.01], rtol=1e-6)
    got = mixed_targets(onehot, [a, b], 0.7, 0.0)
    np.testing.assert_allclose(got, 0.3 * onehot + 0.7 * (a + b) / 2, rtol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)  # still distributions
    assert got[0, 1] > got[0, 3] > got[0, 0]  # at mix 0.7 the teachers outweigh the label


def test_teacher_views_are_the_batch_its_mirror_and_four_one_pixel_shifts():
    rng = np.random.default_rng(1)
    x = rng.random((3, 28, 28, 1)).astype(np.float32)
    got = np.asarray(teacher_views(x, ("plain", "flip", "shifts")))
    assert got.shape == (18, 28, 28, 1)
    np.testing.assert_array_equal(got[0:3], x)
    np.testing.assert_array_equal(got[3:6], x[:, :, ::-1])
    down, up, right, left = got[6:9], got[9:12], got[12:15], got[15:18]
    np.testing.assert_array_equal(down[:, 1:], x[:, :-1])
    np.testing.assert_array_equal(up[:, :-1], x[:, 1:])
    np.testing.assert_array_equal(right[:, :, 1:], x[:, :, :-1])
    np.testing.assert_array_equal(left[:, :, :-1], x[:, :, 1:])
    for edge in (down[:, 0], up[:, -1], right[:, :, 0], left[:, :, -1]):
        assert not edge.any()  # shifted in, not wrapped round
    np.testing.assert_array_equal(np.asarray(teacher_views(x, ("plain",))), x)
    with pytest.raises(ValueError, match="unknown teacher view 'rotate'"):
        teacher_views(x, ("rotate",))


def test_teacher_views_turn_the_batch_5_degrees_either_way_and_thicken_its_ink():
    from scipy import ndimage

    rng = np.random.default_rng(2)
    x = np.zeros((2, 28, 28, 1), np.float32)
    x[:, 4:24, 4:24] = rng.random((2, 20, 20, 1))
    turned = np.asarray(teacher_views(x, ("rotations",)))
    assert turned.shape == (4, 28, 28, 1)
    for k, degrees in enumerate((-5, 5)):  # about the centre, bilinear, zeros outside
        ref = ndimage.rotate(x, degrees, axes=(1, 2), reshape=False, order=1)
        np.testing.assert_allclose(turned[2 * k : 2 * k + 2], ref, atol=1e-5)
    thicker = np.asarray(teacher_views(x, ("thicker",)))
    padded = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))
    ref = np.max([padded[:, dy : dy + 28, dx : dx + 28] for dy in (0, 1) for dx in (0, 1)], axis=0)
    np.testing.assert_array_equal(thicker, ref)  # each pixel the darkest of its 2x2 block


def test_a_teachers_answer_is_averaged_over_the_views_image_by_image():
    import tensorflow as tf

    def teacher(batch, training):  # "probabilities": the first 10 pixels of the top row
        assert training is False
        return tf.reshape(batch[:, 0, :10, 0], (-1, 10))

    rng = np.random.default_rng(3)
    x = rng.random((5, 28, 28, 1)).astype(np.float32)
    got = np.asarray(view_averaged([teacher], x, ("plain", "flip"))[0])
    np.testing.assert_allclose(got, (x[:, 0, :10, 0] + x[:, 0, ::-1, 0][:, :10]) / 2, rtol=1e-6)
    got = np.asarray(view_averaged([teacher], x, ("plain", "shifts"))[0])  # 5 views of 5 images
    shifted = [x[:, 0, :10, 0], x[:, 0, :10, 0] * 0, x[:, 1, :10, 0],
               np.pad(x[:, 0, :9, 0], ((0, 0), (1, 0))), x[:, 0, 1:11, 0]]
    np.testing.assert_allclose(got, sum(shifted) / 5, rtol=1e-6)


def test_the_targets_of_a_batch_mix_the_smoothed_labels_with_the_view_averaged_teachers():
    import tensorflow as tf

    from model.training.distill import targets

    def teacher(batch, training):  # always sure it is a 2
        return tf.one_hot(tf.fill([tf.shape(batch)[0]], 2), 10)

    x = np.zeros((3, 28, 28, 1), np.float32)
    y = np.array([0, 1, 2])
    smoothed = np.eye(10)[y] * 0.9 + 0.01
    got = np.asarray(targets([teacher], x, y, ("plain", "flip"), 0.7, 0.1))
    np.testing.assert_allclose(got, 0.3 * smoothed + 0.7 * np.eye(10)[[2, 2, 2]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(targets([], x, y, ("plain",), 0.7, 0.1)), smoothed,
                               rtol=1e-6)
