import numpy as np
import pytest

from gui.colormap import (
    VIRIDIS,
    cell_at,
    feature_grid,
    input_pixels,
    mosaic,
    mosaic_for_export,
    tile,
    to_indices,
)


def test_viridis_is_a_256_entry_table_from_violet_to_yellow():
    assert VIRIDIS.shape == (256, 3) and VIRIDIS.dtype == np.uint8
    # The published end points and middle: #440154, #21918c, #fde725.
    for index, hex_colour in ((0, "440154"), (128, "21918c"), (255, "fde725")):
        expected = [int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)]
        assert VIRIDIS[index].tolist() == expected


def test_viridis_gets_steadily_lighter():
    luminance = VIRIDIS.astype(float) @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luminance) > -0.5)  # no visible step back (8-bit rounding aside)
    assert np.all(luminance[16::16] - luminance[:-16:16] > 5)
    assert luminance[-1] - luminance[0] > 180


def test_tile_puts_map_k_at_row_k_div_8_and_column_k_mod_8():
    h, w = 3, 4
    maps = np.zeros((h, w, 64), np.int32)
    maps[:, :, :] = np.arange(64)
    mosaic, mask = tile(maps)
    assert mosaic.shape == (8 * (h + 1) - 1, 8 * (w + 1) - 1)
    for k in (0, 7, 8, 35, 63):
        row, col = divmod(k, 8)
        block = mosaic[row * (h + 1) : row * (h + 1) + h, col * (w + 1) : col * (w + 1) + w]
        assert np.all(block == k)
    assert not mask[h, :].any() and not mask[:, w].any()  # the first gaps
    assert mask.sum() == 64 * h * w


def test_tile_refuses_the_wrong_number_of_maps():
    with pytest.raises(ValueError):
        tile(np.zeros((5, 5, 32)))


def test_feature_grid_colours_by_the_layer_maximum_with_transparent_gaps():
    maps = np.zeros((5, 5, 64), np.float32)
    maps[:, :, 9] = 2.0  # the strongest map: yellow
    maps[:, :, 10] = 1.0  # half as strong: the middle of viridis
    rgba = feature_grid(maps)
    assert rgba.shape == (47, 47, 4) and rgba.dtype == np.uint8
    assert tuple(rgba[6, 6, :3]) == tuple(VIRIDIS[255])  # map 9 is at row 1, column 1
    assert tuple(rgba[6, 12, :3]) == tuple(VIRIDIS[128])  # map 10, next to it (127.5 rounds up)
    assert tuple(rgba[0, 0, :3]) == tuple(VIRIDIS[0])
    assert rgba[5, 0, 3] == 0 and rgba[0, 0, 3] == 255


def test_an_all_zero_layer_is_all_dark_not_nan():
    rgba = feature_grid(np.zeros((11, 11, 64), np.float32))
    assert np.all(rgba[rgba[:, :, 3] > 0][:, :3] == VIRIDIS[0])


def test_input_pixels_maps_zero_to_one_onto_0_to_255():
    image = np.zeros((28, 28, 1), np.float32)
    image[3, 4] = 1.0
    image[5, 6] = 0.5
    pixels = input_pixels(image)
    assert pixels.shape == (28, 28) and pixels.dtype == np.uint8
    assert pixels[3, 4] == 255 and pixels[5, 6] == 128 and pixels[0, 0] == 0


def test_one_rounding_rule_for_the_live_maps_and_the_explore_view():
    """Both go through to_indices: half-way rounds up, the ends are the table's ends."""
    assert to_indices(np.array([0.0, 1.0, 2.0]), 0.0, 2.0).tolist() == [0, 128, 255]
    assert to_indices(np.array([-1.0, 0.0, 1.0]), -1.0, 1.0).tolist() == [0, 128, 255]
    assert to_indices(np.array([5.0, -5.0]), 0.0, 0.0).tolist() == [0, 0]  # no range: all 0


def test_a_mosaic_shows_the_maps_in_the_given_order_with_coloured_gaps():
    h, w = 2, 3
    rgb = np.zeros((h, w, 64, 3), np.uint8)
    rgb[:, :, :, 0] = np.arange(64)  # map k is red k
    order = np.arange(64)[::-1]
    picture = mosaic(rgb, order, background=(1, 2, 250))
    assert picture.shape == (8 * (h + 1) - 1, 8 * (w + 1) - 1, 3)
    assert picture[0, 0, 0] == 63 and picture[0, w + 1, 0] == 62  # cell k shows map order[k]
    assert tuple(picture[h, 0]) == (1, 2, 250)  # a gap
    assert cell_at(w + 1, 0, (h, w)) == (1, 0, 0) and cell_at(w, 0, (h, w)) is None


@pytest.mark.parametrize("size, cell", [(26, 26), (5, 5)])
def test_exported_mosaics_are_enlarged_with_white_gaps(size, cell):
    rgba = np.zeros((8 * (size + 1) - 1, 8 * (size + 1) - 1, 4), np.uint8)
    rgba[:size, :size] = (10, 20, 30, 255)
    rgb = mosaic_for_export(rgba)
    factor = -(-48 // cell)
    assert rgb.shape == (rgba.shape[0] * factor, rgba.shape[1] * factor, 3)
    assert tuple(rgb[0, 0]) == (10, 20, 30)
    assert tuple(rgb[size * factor, 0]) == (255, 255, 255)  # the first gap row


@pytest.mark.parametrize("shape", [(26, 26, 64), (13, 13, 64), (11, 11, 64), (5, 5, 64)])
def test_every_map_pixel_of_the_grid_is_its_activation_coloured_on_the_layer_scale(shape):
    maps = np.maximum(np.random.default_rng(sum(shape)).normal(size=shape), 0).astype(np.float32)
    rgba = feature_grid(maps)
    h, w, _ = shape
    assert rgba.shape == (8 * (h + 1) - 1, 8 * (w + 1) - 1, 4) and rgba.dtype == np.uint8
    top = maps.max()
    for k in (0, 9, 37, 63):  # map k sits at row k // 8, column k % 8
        cell = rgba[(k // 8) * (h + 1):(k // 8) * (h + 1) + h, (k % 8) * (w + 1):(k % 8) * (w + 1) + w]
        expected = VIRIDIS[np.clip(maps[:, :, k] * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)]
        np.testing.assert_array_equal(cell[..., :3], expected)
        assert (cell[..., 3] == 255).all()
    assert (rgba[h, :, 3] == 0).all() and (rgba[:, w, 3] == 0).all()  # the gaps show through
