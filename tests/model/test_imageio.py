"""Every kind of bad or unusual image file: a one-line reason, or a usable array."""

import numpy as np
import pytest
from PIL import Image

from model.imageio import MAX_PIXELS, ImageLoadError, load_image
from model.preprocess import preprocess


def _drawing(size=120):
    page = np.full((size, size), 255, np.uint8)
    page[20:100, 55:65] = 0  # a "1"
    return page


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(tmp_path / "nope.png")


def test_directory(tmp_path):
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        load_image(tmp_path / "empty.png")


def test_random_bytes_and_a_text_file_with_an_image_extension(tmp_path):
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(5000))
    (tmp_path / "notes.jpg").write_text("this is not a picture\n")
    for name in ("noise.png", "notes.jpg"):
        with pytest.raises(ImageLoadError, match="not an image") as info:
            load_image(tmp_path / name)
        assert "\n" not in str(info.value)


def test_truncated_png(tmp_path):
    Image.fromarray(_drawing(400)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="cannot decode"):
        load_image(tmp_path / "cut.png")


def test_huge_image_is_refused_before_decoding(tmp_path):
    # Refused from the header's size alone, without decoding pixels: a 20000x20000 bomb
    # (Pillow's own limit) and a 8000x8000 one (over ours).
    Image.new("1", (20000, 20000)).save(tmp_path / "huge.png", optimize=True)
    with pytest.raises(ImageLoadError, match="too large: 400,000,000 pixels.*50 megapixels"):
        load_image(tmp_path / "huge.png")
    Image.new("1", (8000, 8000)).save(tmp_path / "big.png", optimize=True)
    with pytest.raises(ImageLoadError, match="too large: 8000x8000 pixels.*50 megapixels"):
        load_image(tmp_path / "big.png")
    assert MAX_PIXELS == 50_000_000


@pytest.mark.parametrize(
    "mode,ext",
    [("L", "png"), ("RGB", "jpg"), ("RGB", "bmp"), ("P", "gif"), ("I;16", "png"), ("CMYK", "jpg"),
     ("1", "png"), ("LA", "png")],
)
def test_formats_and_modes_read_to_the_same_drawing(tmp_path, mode, ext):
    page = Image.fromarray(_drawing())
    if mode == "I;16":
        img = Image.fromarray(_drawing().astype(np.uint16) * 257)
    elif mode == "CMYK":
        img = page.convert("RGB").convert("CMYK")
    else:
        img = page.convert(mode)
    path = tmp_path / f"drawing.{ext}"
    img.save(path)
    reference = preprocess(_drawing(), "mnist")
    out = preprocess(load_image(path), "mnist")
    assert np.abs(out - reference).mean() < 0.02


def test_rgba_with_transparent_background(tmp_path):
    rgba = np.zeros((120, 120, 4), np.uint8)
    rgba[20:100, 55:65] = (0, 0, 0, 255)
    Image.fromarray(rgba).save(tmp_path / "t.png")
    out = preprocess(load_image(tmp_path / "t.png"), "mnist")
    assert np.abs(out - preprocess(_drawing(), "mnist")).mean() < 0.02


def test_palette_png_with_transparency(tmp_path):
    rgba = np.zeros((120, 120, 4), np.uint8)
    rgba[20:100, 55:65] = (0, 0, 0, 255)
    Image.fromarray(rgba).convert("P").save(tmp_path / "p.png", transparency=0)
    out = preprocess(load_image(tmp_path / "p.png"), "mnist")
    assert out.max() == pytest.approx(1.0)


def test_animated_gif_uses_the_first_frame(tmp_path):
    first = Image.fromarray(_drawing())
    second = Image.fromarray(np.full((120, 120), 255, np.uint8))
    first.save(tmp_path / "a.gif", save_all=True, append_images=[second], duration=100)
    out = preprocess(load_image(tmp_path / "a.gif"), "mnist")
    assert np.abs(out - preprocess(_drawing(), "mnist")).mean() < 0.02


def test_one_by_one_image_is_empty_not_a_crash(tmp_path):
    Image.new("L", (1, 1), 0).save(tmp_path / "dot.png")
    from model.preprocess import EmptyDrawing

    with pytest.raises(EmptyDrawing):
        preprocess(load_image(tmp_path / "dot.png"), "mnist")


# ---------------------------------------------------------------- hostile files (round 2)

EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 280 280\n"
       b"(MARKER) (w) file (x) writestring\n{} loop\n")


@pytest.mark.parametrize("name", ["drawing.eps", "drawing.png"])
def test_postscript_is_refused_without_running_anything(tmp_path, monkeypatch, name):
    import subprocess

    def never(*args, **kwargs):
        raise AssertionError(f"an external program was started: {args[:1]}")

    monkeypatch.setattr(subprocess, "Popen", never)
    marker = tmp_path / "created-by-postscript"
    (tmp_path / name).write_bytes(EPS.replace(b"MARKER", str(marker).encode()))
    with pytest.raises(ImageLoadError, match="not an image file Sketchscope can read") as info:
        load_image(tmp_path / name)
    assert "\n" not in str(info.value) and not marker.exists()


def test_fifos_and_devices_are_not_regular_files(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.png")  # opening it would block for ever
    for path in (tmp_path / "pipe.png", "/dev/zero"):
        with pytest.raises(ImageLoadError, match="not a regular file"):
            load_image(path)


def test_a_picture_far_wider_than_tall_is_refused_before_preprocessing(tmp_path):
    Image.new("L", (10_000_000, 1), 255).save(tmp_path / "line.png")  # 10 megapixels: under the limit
    with pytest.raises(ImageLoadError, match="more than 100 times the other"):
        load_image(tmp_path / "line.png")
    Image.new("L", (2000, 20), 255).save(tmp_path / "wide.png")  # 100:1 still opens
    assert load_image(tmp_path / "wide.png").shape == (20, 2000)


def test_exif_orientation_is_applied(tmp_path):
    upright = np.full((60, 40), 255, np.uint8)
    upright[5:12, 5:35] = 0  # the bar of a 7 at the top ...
    upright[12:55, 28:35] = 0  # ... and its stem on the right
    stored = np.rot90(upright, k=1)  # as a phone held sideways stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    read = load_image(tmp_path / "phone.jpg")
    assert read.shape[:2] == upright.shape
    assert np.abs(read.astype(int) - upright).mean() < 8  # JPEG noise only
