import numpy as np
import pytest

from gui.colormap import VIRIDIS, feature_grid, input_pixels, tile


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
    assert tuple(rgba[6, 12, :3]) == tuple(VIRIDIS[127])  # map 10, next to it
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
