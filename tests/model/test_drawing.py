"""model.drawing without Qt: the page being edited and its history, the strokes' geometry, and
drawings as .json and .svg, read back bit for bit; anything bad is one clear line, never a crash."""

import base64
import errno
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model import drawing
from model.drawing import (
    ERASER_FACTOR,
    HISTORY_LIMIT,
    INK,
    PAGE_SIZE,
    Change,
    Dot,
    Drawing,
    DrawingFileError,
    Line,
    Quad,
    Sketch,
    SketchChange,
    StrokeData,
    drawing_from_json,
    drawing_from_svg,
    drawing_to_json,
    drawing_to_svg,
    fit_picture,
    picture_placement,
    read_drawing,
    step_drawings,
    stroke_piece,
    stroke_pieces,
    write_drawing,
)

SVG = "{http://www.w3.org/2000/svg}"
AWKWARD = (0.1 + 0.2, 1e-17, 279.99999999999997, -0.0, 5e-324, 1 / 3, 2.0**-40 + 100)


def awkward_drawing() -> Drawing:
    """Every kind of stroke, floats that print badly, a background that cannot sit on whole pixels."""
    background = (np.arange(91 * 125, dtype=np.uint32) * 7 % 256).astype(np.uint8).reshape(91, 125)
    return Drawing(
        strokes=(
            StrokeData(False, ((AWKWARD[0], AWKWARD[1], 18.0), (AWKWARD[2], AWKWARD[3], 18.0),
                               (AWKWARD[4], AWKWARD[5], 18.0), (-12.5, 300.25, 18.0))),
            StrokeData(False, ((10.0, 20.0, 4.5), (40.0, 25.0, 9.75), (70.0, 80.0, AWKWARD[6]),
                               (90.0, 60.0, 13.0), (120.0, 61.0, 2.0 / 3.0))),  # pen pressure
            StrokeData(True, ((100.0, 100.0, 18.0), (180.0, 140.0, 18.0))),
            StrokeData(False, ((17.125, 18.0625, 5.5),)),  # a click: a dot
            StrokeData(True, ((200.0, 50.0, 7.0),)),
        ),
        background=background,
        dataset="fashion",
        label=0,  # falsy, and still a label
    )


def bits(d: Drawing) -> list:
    """Every float as its exact bits (== alone calls -0.0 and 0.0 equal)."""
    return [(s.erase, [tuple(v.hex() for v in p) for p in s.points]) for s in d.strokes]


def one_line_error(call, *args) -> str:
    with pytest.raises(DrawingFileError) as info:
        call(*args)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message, message
    return message


# ---------------------------------------------------------------------------- exact round trips


@pytest.mark.parametrize("write, read", [(drawing_to_json, drawing_from_json),
                                         (drawing_to_svg, drawing_from_svg)], ids=["json", "svg"])
def test_a_drawing_reads_back_bit_for_bit(write, read):
    original = awkward_drawing()
    again = read(write(original))
    assert again == original
    assert bits(again) == bits(original)
    assert again.background.dtype == np.uint8 and again.background.shape == (91, 125)
    assert (again.dataset, again.label) == ("fashion", 0)
    assert read(write(again)) == original  # and again


@pytest.mark.parametrize("write, read", [(drawing_to_json, drawing_from_json),
                                         (drawing_to_svg, drawing_from_svg)], ids=["json", "svg"])
def test_an_empty_page_and_whole_numbers_read_back(write, read):
    assert read(write(Drawing())) == Drawing()
    ints = Drawing((StrokeData(False, ((1, 2, 3), (np.float32(4.5), np.int64(6), 7))),), dataset="mnist")
    again = read(write(ints))
    assert again == ints and again.strokes[0].points[1] == (4.5, 6.0, 7.0)
    assert all(type(v) is float for p in again.strokes[0].points for v in p)


def test_equality_sees_one_ulp_and_one_pixel():
    """What the round-trip tests rely on: a drawing that differs in the least detail is unequal."""
    d = awkward_drawing()
    (x, y, w), *rest = d.strokes[0].points
    nudged = StrokeData(False, ((math.nextafter(x, 1.0), y, w), *rest))
    assert Drawing((nudged, *d.strokes[1:]), d.background, d.dataset, d.label) != d
    pixels = d.background.copy()
    pixels[45, 60] ^= 1
    assert Drawing(d.strokes, pixels, d.dataset, d.label) != d
    assert Drawing(d.strokes, None, d.dataset, d.label) != d
    assert Drawing(d.strokes, d.background, "mnist", d.label) != d
    assert Drawing(d.strokes, d.background, d.dataset, None) != d


def test_the_autosave_files_of_earlier_versions_read():
    gray = base64.b64encode(bytes(range(6))).decode()
    text = json.dumps({"version": 1, "strokes": [{"erase": False, "points": [[1, 2.5, 3]]},
                                                 {"erase": True, "points": [[4, 5, 6], [7, 8, 9]]}],
                       "background": {"width": 3, "height": 2, "gray": gray}})
    d = drawing_from_json(text)
    assert d.strokes == (StrokeData(False, ((1.0, 2.5, 3.0),)),
                         StrokeData(True, ((4.0, 5.0, 6.0), (7.0, 8.0, 9.0))))
    assert d.background.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert d.dataset is None and d.label is None
    assert drawing_from_json('{"version": 1, "strokes": []}') == Drawing()


# ---------------------------------------------------------------------------- the SVG looks like the canvas

_NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def parse_path(d: str) -> list[tuple[str, list[float]]]:
    """'M1,2 L3,4 Q5,6 7,8' -> [('M', [1, 2]), ('L', [3, 4]), ('Q', [5, 6, 7, 8])]."""
    commands = re.findall(r"([MLQ])([^MLQ]*)", d)
    assert "".join(c + a for c, a in commands) == d, f"unexpected path syntax: {d}"
    return [(c, [float(v) for v in re.findall(_NUMBER, a)]) for c, a in commands]


def expected_pieces(points) -> list[list[tuple[str, list[float]]]]:
    """gui.views.canvas's midpoint rule, written out independently: the commands of each piece."""
    def mid(i):
        return [(points[i][0] + points[i + 1][0]) / 2, (points[i][1] + points[i + 1][1]) / 2]

    n, pieces = len(points), []
    for k, (x, y, _) in enumerate(points):
        if k == 0:
            pieces.append([("M", [x, y]), ("L", mid(0))])
        elif k < n - 1:
            pieces.append([("M", mid(k - 1)), ("Q", [x, y, *mid(k)])])
        else:
            pieces.append([("M", mid(k - 1)), ("L", [x, y])])
    return pieces


def assert_commands_close(got, want):
    assert [c for c, _ in got] == [c for c, _ in want]
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert a == pytest.approx(b, abs=1e-3)


def test_the_svg_draws_every_stroke_as_the_canvas_does():
    d = awkward_drawing()
    root = ET.fromstring(drawing_to_svg(d))
    assert root.tag == SVG + "svg" and root.get("viewBox") == f"0 0 {PAGE_SIZE} {PAGE_SIZE}"
    assert (root.get("width"), root.get("height")) == ("560", "560")
    page = root[0]
    assert page.tag == SVG + "rect" and page.get("fill") == "#ffffff"
    assert (page.get("width"), page.get("height")) == (str(PAGE_SIZE), str(PAGE_SIZE))

    groups = root.findall(f"{SVG}g")
    assert len(groups) == len(d.strokes)
    for group, stroke in zip(groups, d.strokes, strict=True):
        colour = "#ffffff" if stroke.erase else INK
        factor = ERASER_FACTOR if stroke.erase else 1.0
        assert group.get("class") == "stroke"
        assert (group.get("stroke-linecap"), group.get("stroke-linejoin")) == ("round", "round")
        children = list(group)
        points = stroke.points
        if len(points) == 1:
            (circle,) = children
            assert circle.tag == SVG + "circle" and circle.get("fill") == colour
            assert float(circle.get("r")) == points[0][2] * factor / 2
            centre = [float(circle.get("cx")), float(circle.get("cy"))]
            assert centre == pytest.approx(points[0][:2], abs=1e-3)
            continue
        assert group.get("stroke") == colour and group.get("fill") == "none"
        assert all(child.tag == SVG + "path" for child in children)
        pieces = expected_pieces(points)
        if len({p[2] for p in points}) == 1:  # one path: the pieces joined end to start
            (path,) = children
            assert float(path.get("stroke-width")) == points[0][2] * factor
            joined = pieces[0] + [command for piece in pieces[1:] for command in piece[1:]]
            assert_commands_close(parse_path(path.get("d")), joined)
        else:  # pressure: a path per piece, each as wide as its point
            assert len(children) == len(points)
            for path, piece, point in zip(children, pieces, points, strict=True):
                assert float(path.get("stroke-width")) == point[2] * factor
                assert_commands_close(parse_path(path.get("d")), piece)


def test_the_svg_shows_the_background_fitted_and_centred_as_a_png():
    d = awkward_drawing()  # a 91 x 125 background: 2.24 page pixels to each of its pixels
    root = ET.fromstring(drawing_to_svg(d))
    (image,) = root.findall(f"{SVG}image")
    assert list(root).index(image) == 1  # over the white page, under every stroke
    placed = [float(image.get(name)) for name in ("x", "y", "width", "height")]
    assert placed == pytest.approx([0, (PAGE_SIZE - 91 * 2.24) / 2, PAGE_SIZE, 91 * 2.24], abs=1e-3)
    assert (image.get("data-width"), image.get("data-height")) == ("125", "91")
    href = image.get("{http://www.w3.org/1999/xlink}href")
    assert href.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))) as png:
        assert png.format == "PNG" and np.array_equal(np.array(png.convert("L")), d.background)


def piece_commands(piece) -> list[tuple[str, list[float]]]:
    if isinstance(piece, Quad):
        return [("M", list(piece.start)), ("Q", [*piece.control, *piece.end])]
    return [("M", list(piece.start)), ("L", list(piece.end))]


@pytest.mark.parametrize("points", [
    ((10.0, 20.0, 4.0), (30.0, 60.0, 5.0)),
    ((AWKWARD[0], AWKWARD[1], 18.0), (AWKWARD[2], AWKWARD[3], 9.5), (AWKWARD[4], AWKWARD[5], 18.0),
     (-12.5, 300.25, 2.0 / 3.0)),
], ids=["two points", "four points"])
def test_stroke_pieces_are_the_midpoint_rule_the_svg_draws(points):
    pieces = stroke_pieces(points)
    assert [piece_commands(p) for p in pieces] == expected_pieces(points)  # exact, not to 3 decimals
    assert [p.width for p in pieces] == [w for _, _, w in points]
    assert all(a.end == b.start for a, b in zip(pieces[:-1], pieces[1:], strict=True))  # one unbroken line
    assert stroke_pieces(points, 1, 1) == [stroke_piece(points, 1)] == pieces[1:2]


def test_a_stroke_of_one_point_is_a_dot():
    assert stroke_pieces(((17.125, 18.0625, 5.5),)) == [Dot((17.125, 18.0625), 5.5)]
    assert isinstance(stroke_piece(((1.0, 2.0, 3.0), (4.0, 5.0, 6.0)), 0), Line)


# ---------------------------------------------------------------------------- bad input, one line each


def legacy(strokes="[]", background="null") -> str:
    return f'{{"version": 1, "strokes": {strokes}, "background": {background}}}'


def new(**fields) -> str:
    data = {"format": "sketchscope-drawing", "version": 1, "page": 280, "dataset": None, "label": None,
            "strokes": [], "background": None}
    data.update(fields)
    return json.dumps(data)


BAD_JSON = {
    "empty": "",
    "truncated": drawing_to_json(awkward_drawing())[:-40],
    "a list": "[]",
    "a string": '"drawing"',
    "no version": "{}",
    "another format": new(format="excalidraw"),
    "a newer version": new(version=2),
    "version as text": legacy().replace('"version": 1', '"version": "1"'),
    "version as true": legacy().replace('"version": 1', '"version": true'),
    "another page": new(page=560),
    "no strokes": '{"version": 1}',
    "strokes as object": legacy(strokes="{}"),
    "stroke as number": legacy(strokes="[1]"),
    "erase as 0": legacy(strokes='[{"erase": 0, "points": [[1, 2, 3]]}]'),
    "erase as text": legacy(strokes='[{"erase": "false", "points": [[1, 2, 3]]}]'),
    "no erase": legacy(strokes='[{"points": [[1, 2, 3]]}]'),
    "no points": legacy(strokes='[{"erase": false, "points": []}]'),
    "points as text": legacy(strokes='[{"erase": false, "points": "1,2,3"}]'),
    "two numbers": legacy(strokes='[{"erase": false, "points": [[1, 2]]}]'),
    "four numbers": legacy(strokes='[{"erase": false, "points": [[1, 2, 3, 4]]}]'),
    "a text number": legacy(strokes='[{"erase": false, "points": [["1", 2, 3]]}]'),
    "a boolean number": legacy(strokes='[{"erase": false, "points": [[true, 2, 3]]}]'),
    "null": legacy(strokes='[{"erase": false, "points": [[1, 2, null]]}]'),
    "NaN": legacy(strokes='[{"erase": false, "points": [[NaN, 2, 3]]}]'),
    "Infinity": legacy(strokes='[{"erase": false, "points": [[1, Infinity, 3]]}]'),
    "-Infinity width": legacy(strokes='[{"erase": false, "points": [[1, 2, -Infinity]]}]'),
    "1e999": legacy(strokes='[{"erase": false, "points": [[1e999, 2, 3]]}]'),
    "far off the page": legacy(strokes='[{"erase": false, "points": [[1e300, 2, 3]]}]'),
    "a 400-digit integer": legacy(strokes='[{"erase": false, "points": [[1' + "0" * 400 + ', 2, 3]]}]'),
    "a 5000-digit integer": legacy(strokes='[{"erase": false, "points": [[' + "9" * 5000 + ", 2, 3]]}]"),
    "zero width": legacy(strokes='[{"erase": false, "points": [[1, 2, 0]]}]'),
    "negative width": legacy(strokes='[{"erase": false, "points": [[1, 2, -3]]}]'),
    "nested too deeply": "[" * 200_000,
    "background as list": legacy(background="[]"),
    "background too wide": legacy(background='{"width": 9999, "height": 1, "gray": ""}'),
    "background of no pixels": legacy(background='{"width": 0, "height": 0, "gray": ""}'),
    "background width as text": legacy(background='{"width": "2", "height": 1, "gray": "AAA="}'),
    "background not base64": legacy(background='{"width": 2, "height": 1, "gray": "!!!!"}'),
    "background too few pixels": legacy(background='{"width": 2, "height": 2, "gray": "AAA="}'),
    "background pixels as list": legacy(background='{"width": 1, "height": 1, "gray": [0]}'),
    "unknown dataset": new(dataset="cifar10"),
    "dataset as number": new(dataset=1),
    "label 10": new(label=10),
    "label -1": new(label=-1),
    "label 1.0": new(label=1.0),
    "label true": new(label=True),
    "label as text": new(label="3"),
}


@pytest.mark.parametrize("text", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bad_json_is_one_line(text):
    one_line_error(drawing_from_json, text)


def test_too_many_strokes_or_points_are_refused():
    assert drawing.MAX_STROKES == drawing.MAX_POINTS == 5_000  # restored in under a second
    dot = {"erase": False, "points": [[1, 2, 3]]}
    assert "too many strokes" in one_line_error(drawing_from_json, legacy(json.dumps([dot] * 5_001)))
    drawing_from_json(legacy(json.dumps([dot] * 5_000)))  # the limit itself is fine
    long = {"erase": False, "points": [[1, 2, 3]] * 2_500}
    assert "too many points" in one_line_error(drawing_from_json, legacy(json.dumps([long, long, dot])))
    drawing_from_json(legacy(json.dumps([long, long])))


def test_a_sketch_takes_no_more_points_or_strokes_than_a_file_holds():
    """So every drawing the app holds can be saved and read back."""
    from model.drawing import Change, Sketch

    sketch, told = Sketch(), []
    sketch.subscribe(lambda change: told.append(change.kind))
    sketch.add_stroke([(float(i % 200), float(i // 200), 5.0) for i in range(drawing.MAX_POINTS - 3)])
    sketch.begin_stroke(1.0, 1.0, 5.0)
    for i in range(10):
        sketch.extend_stroke(1.0 + i, 2.0, 5.0)
    sketch.finish_stroke()
    assert sum(len(s.points) for s in sketch.drawing.strokes) == drawing.MAX_POINTS
    assert told.count(Change.FULL) == 1
    sketch.begin_stroke(5.0, 5.0, 5.0)  # no room for a stroke at all
    assert not sketch.in_stroke and told[-1] == Change.FULL
    assert drawing_from_json(drawing_to_json(sketch.drawing)) == sketch.drawing
    dots = Sketch()
    for i in range(drawing.MAX_STROKES + 2):
        dots.add_stroke([(float(i % 280), float(i // 280), 5.0)])
    assert len(dots.drawing.strokes) == drawing.MAX_STROKES


def test_too_large_text_is_refused_unparsed(monkeypatch):
    text = drawing_to_json(awkward_drawing())
    monkeypatch.setattr(drawing, "MAX_FILE_BYTES", len(text) - 1)
    assert "too large" in one_line_error(drawing_from_json, text)
    assert "too large" in one_line_error(drawing_from_svg, drawing_to_svg(Drawing()) + " " * len(text))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<svg xmlns="http://www.w3.org/2000/svg" data-sketchscope-version="1"><text>&lol2;</text></svg>"""


def ours(body: str = "", **root: str) -> str:
    root = {"data_sketchscope_version": "1", **root}
    attrs = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in root.items())
    return f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}>{body}</svg>'


def group(erase="false", points="[[1,2,3]]") -> str:
    return f'<g class="stroke" data-erase="{erase}" data-points="{points}"/>'


def image(width="2", height="1", gray="AAA=") -> str:
    return f'<image data-width="{width}" data-height="{height}" data-gray="{gray}"/>'


BAD_SVG = {
    "empty": "",
    "truncated": drawing_to_svg(awkward_drawing())[:2000],
    "not XML": "<svg><g></svg>",
    "an entity bomb": BILLION_LAUGHS,
    "a lone entity": '<!ENTITY x SYSTEM "file:///etc/passwd"><svg/>',
    "a lower-case doctype": "<!doctype svg><svg/>",
    "an undefined entity": ours("<text>&xxe;</text>"),
    "HTML": "<html><body/></html>",
    "someone else's SVG": '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0,0 L9,9"/></svg>',
    "a newer version": ours(data_sketchscope_version="2"),
    "erase maybe": ours(group(erase="maybe")),
    "no erase": ours('<g class="stroke" data-points="[[1,2,3]]"/>'),
    "no points": ours('<g class="stroke" data-erase="false"/>'),
    "points not JSON": ours(group(points="[[1,2,3]")),
    "two numbers": ours(group(points="[[1,2]]")),
    "NaN": ours(group(points="[[NaN,2,3]]")),
    "empty points": ours(group(points="[]")),
    "unknown dataset": ours(data_dataset="cifar10"),
    "label 12": ours(data_label="12"),
    "label x": ours(data_label="x"),
    "label empty": ours(data_label=""),
    "background too wide": ours(image(width="9999")),
    "background width negative": ours(image(width="-2")),
    "background without height": ours('<image data-width="2" data-gray="AAA="/>'),
    "background not base64": ours(image(gray="!!!!")),
    "background too many pixels": ours(image(width="1")),
    "two backgrounds": ours(image() + image()),
}


@pytest.mark.parametrize("text", BAD_SVG.values(), ids=BAD_SVG.keys())
def test_bad_svg_is_one_line(text):
    one_line_error(drawing_from_svg, text)


def test_svg_that_is_not_ours_says_so_and_entities_are_never_expanded():
    assert "no stroke data" in one_line_error(drawing_from_svg, BAD_SVG["someone else's SVG"])
    assert "DOCTYPE" in one_line_error(drawing_from_svg, BILLION_LAUGHS)
    assert "too many strokes" in one_line_error(drawing_from_svg, ours(group() * 5_001))
    assert len(drawing_from_svg(ours(group() * 5_000)).strokes) == 5_000


def test_the_writers_refuse_what_the_readers_would():
    good = awkward_drawing()
    stroke = StrokeData(False, ((1.0, float("nan"), 3.0),))
    for bad in (Drawing((stroke,)), Drawing(label=10), Drawing(label=True), Drawing(dataset="cifar10"),
                Drawing(background=good.background.astype(np.float32)),
                Drawing(background=np.zeros((281, 3), np.uint8)),
                Drawing((StrokeData(1, ((1.0, 2.0, 3.0),)),)),  # type: ignore[arg-type]
                Drawing(([1.0, 2.0, 3.0],))):  # type: ignore[arg-type]
        one_line_error(drawing_to_json, bad)
        one_line_error(drawing_to_svg, bad)


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", ["seven.json", "seven.svg", "SEVEN.SVG"])
def test_files_read_back_exactly(tmp_path, name):
    path = tmp_path / "sub" / name
    write_drawing(path, awkward_drawing())
    assert read_drawing(path) == awkward_drawing() and bits(read_drawing(path)) == bits(awkward_drawing())
    assert [p.name for p in path.parent.iterdir()] == [name]
    head = path.read_bytes()[:100]
    assert head.startswith(b"<?xml") if name.lower().endswith(".svg") else head.startswith(b'{"format"')
    write_drawing(str(path), Drawing())  # overwrites, and takes a str
    assert read_drawing(str(path)) == Drawing()


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + drawing_to_json(awkward_drawing()).encode())
    assert read_drawing(path) == awkward_drawing()


def bad_file(tmp_path, name: str, content: bytes | None) -> Path:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("name, content, reason", [
    ("drawing.png", b"\x89PNG", ".json or .svg"),
    ("drawing", b"{}", "without a suffix"),
    ("missing.json", None, "no such file"),
    ("empty.svg", b"", "empty"),
    ("latin1.json", b'{"version": 1, "strokes": [], "x": "\xe9"}', "UTF-8"),
    ("garbage.svg", b"\xff\xfe\x00<svg", "UTF-8"),
    ("broken.json", b'{"version": 1, "strokes": [', "not valid JSON"),
    ("other.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "no stroke data"),
    ("multi\nline.json", None, "no such file"),
])
def test_a_bad_file_names_itself_in_one_line(tmp_path, name, content, reason):
    message = one_line_error(read_drawing, bad_file(tmp_path, name, content))
    assert message.startswith(" ".join(name.split()) + ": ") and reason in message, message


def test_a_folder_or_an_oversized_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "folder.json").mkdir()
    assert "folder" in one_line_error(read_drawing, tmp_path / "folder.json")
    path = tmp_path / "big.json"
    write_drawing(path, awkward_drawing())
    monkeypatch.setattr(drawing, "MAX_FILE_BYTES", path.stat().st_size - 1)
    assert one_line_error(read_drawing, path).startswith("big.json: too large")


def test_writing_an_unknown_suffix_or_a_bad_drawing_writes_nothing(tmp_path):
    assert one_line_error(write_drawing, tmp_path / "x.png", Drawing()).startswith("x.png: ")
    target = tmp_path / "keep.svg"
    target.write_text("old")
    message = one_line_error(write_drawing, target, Drawing(label=42))
    assert message.startswith("keep.svg: ") and "label" in message
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["keep.svg"]


@pytest.mark.parametrize("name", ["keep.json", "keep.svg"])
@pytest.mark.parametrize("failure", [RuntimeError("killed mid-write"),
                                     OSError(errno.ENOSPC, "No space left")])
def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch, name, failure):
    target = tmp_path / name
    write_drawing(target, awkward_drawing())
    before = target.read_bytes()

    def half_then_fail(self, data):
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise failure

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    with pytest.raises((RuntimeError, DrawingFileError)) as info:
        write_drawing(target, Drawing())
    if isinstance(failure, OSError):  # the disk's complaint, for the user
        assert str(info.value) == f"{name}: cannot write (No space left)"
    else:  # anything else is a bug: it is not dressed up as a file error
        assert info.value is failure
    monkeypatch.undo()
    assert target.read_bytes() == before and read_drawing(target) == awkward_drawing()
    assert [p.name for p in tmp_path.iterdir()] == [name]


# ---------------------------------------------------------------------------- the page being edited


class Recorder:
    """A Sketch's callback that keeps every change."""

    def __init__(self, sketch: Sketch):
        self.changes: list[SketchChange] = []
        sketch.subscribe(self.changes.append)

    def kinds(self) -> list[Change]:
        kinds = [c.kind for c in self.changes]
        self.changes.clear()
        return kinds


def stroke(sketch: Sketch, x: float, erase: bool = False) -> None:
    sketch.add_stroke([(x, 10.0, 18.0), (x, 100.0, 18.0)], erase)


def test_a_stroke_is_drawn_piece_by_piece_and_becomes_one_undo_step():
    sketch = Sketch()
    seen = Recorder(sketch)
    assert sketch.is_empty() and not sketch.can_undo() and sketch.live_stroke is None
    before = sketch.drawing
    sketch.begin_stroke(10.0, 20.0, 18.0, erase=True)
    assert sketch.in_stroke and not sketch.is_empty() and seen.kinds() == [Change.STROKE_BEGUN]
    assert sketch.extend_stroke(30.0, 40.0, 16.0) and sketch.extend_stroke(50.0, 20.0, 14.0)
    assert not sketch.extend_stroke(50.2, 19.8, 14.0)  # the pen has not moved a visible distance
    assert sketch.extend_stroke(50.3, 20.0, 14.0)  # a quarter pixel has
    points = ((10.0, 20.0, 18.0), (30.0, 40.0, 16.0), (50.0, 20.0, 14.0), (50.3, 20.0, 14.0))
    assert sketch.live_stroke == StrokeData(True, points)
    assert sketch.drawing is before  # the drawing holds finished strokes only
    # Each new point lets the piece before it be drawn: the views paint exactly those.
    assert [c.pieces for c in seen.changes] == [(stroke_piece(points, k),) for k in range(3)]
    assert all(c.kind is Change.STROKE_EXTENDED and c.erase for c in seen.changes)
    seen.kinds()
    sketch.finish_stroke()
    (finished,) = seen.changes
    assert finished.kind is Change.STROKE_FINISHED and finished.pieces == (stroke_piece(points, 3),)
    assert sketch.drawing.strokes == (StrokeData(True, points),) and not sketch.in_stroke
    assert sketch.can_undo() and not sketch.extend_stroke(60.0, 60.0, 14.0)  # no stroke to extend
    sketch.undo()
    assert sketch.drawing is before and sketch.can_redo()


def test_a_click_finishes_as_a_dot():
    sketch = Sketch()
    seen = Recorder(sketch)
    sketch.add_stroke([(17.125, 18.0625, 5.5)])
    assert seen.kinds() == [Change.STROKE_BEGUN, Change.STROKE_FINISHED]
    assert sketch.drawing.strokes == (StrokeData(False, ((17.125, 18.0625, 5.5),)),)


def test_undo_and_redo_step_through_whole_drawings_and_a_new_stroke_drops_the_redo():
    sketch = Sketch()
    drawings = [sketch.drawing]
    for x in (10.0, 50.0, 90.0):
        stroke(sketch, x)
        drawings.append(sketch.drawing)
    assert [len(d.strokes) for d in drawings] == [0, 1, 2, 3]
    seen = Recorder(sketch)
    sketch.undo()
    sketch.undo()
    assert sketch.drawing is drawings[1] and seen.kinds() == [Change.DRAWING] * 2
    sketch.redo()
    assert sketch.drawing is drawings[2] and sketch.can_redo()
    stroke(sketch, 130.0)
    assert not sketch.can_redo() and sketch.drawing.strokes[:2] == drawings[2].strokes
    sketch.redo()  # nothing to redo: nothing changes
    assert len(sketch.drawing.strokes) == 3 and seen.kinds()[-1] is Change.STROKE_FINISHED


def test_the_history_keeps_the_newest_steps_up_to_its_limit():
    sketch = Sketch()
    assert sketch.history_limit == HISTORY_LIMIT == 200
    for i in range(HISTORY_LIMIT + 5):
        stroke(sketch, float(i))
    undone = 0
    while sketch.can_undo():
        sketch.undo()
        undone += 1
    assert undone == HISTORY_LIMIT and len(sketch.drawing.strokes) == 5
    small = Sketch(history_limit=3)
    for x in (1.0, 2.0, 3.0, 4.0, 5.0):
        stroke(small, x)
    for _ in range(10):
        small.undo()
    assert [s.points[0][0] for s in small.drawing.strokes] == [1.0, 2.0]


def test_clear_is_undoable_and_clearing_an_empty_page_is_no_step():
    sketch = Sketch()
    sketch.clear()
    assert not sketch.can_undo()
    stroke(sketch, 10.0)
    drawn = sketch.drawing
    sketch.begin_stroke(200.0, 200.0, 18.0)  # a stroke still being drawn is finished, then wiped
    sketch.extend_stroke(220.0, 220.0, 18.0)
    sketch.clear()
    assert sketch.drawing.empty and sketch.is_empty()
    sketch.undo()
    assert len(sketch.drawing.strokes) == 2
    sketch.undo()
    assert sketch.drawing is drawn


def test_a_background_replaces_the_page_undoably_and_is_the_sketchs_own_copy():
    sketch = Sketch()
    stroke(sketch, 10.0)
    drawn = sketch.drawing
    picture = np.full((20, 30), 200, np.uint8)
    sketch.set_background(picture)
    picture[:] = 0  # the caller's array is theirs
    background = sketch.drawing.background
    assert sketch.drawing.strokes == () and (background == 200).all()
    with pytest.raises(ValueError):
        background[0, 0] = 1  # and the drawing's cannot change behind the history's back
    stroke(sketch, 50.0)
    assert sketch.drawing.background is background  # strokes go over the picture
    sketch.undo()
    sketch.undo()
    assert sketch.drawing is drawn


def test_load_is_undoable_and_keeps_the_page_not_the_files_dataset_and_label():
    sketch = Sketch()
    stroke(sketch, 10.0)
    drawn = sketch.drawing
    opened = awkward_drawing()
    sketch.load(opened)
    d = sketch.drawing
    assert d.strokes == opened.strokes and np.array_equal(d.background, opened.background)
    assert (d.dataset, d.label) == (None, None)
    sketch.undo()
    assert sketch.drawing is drawn


def test_restore_starts_afresh_without_history_stroke_or_preview():
    sketch = Sketch()
    stroke(sketch, 10.0)
    sketch.set_preview(Drawing())
    sketch.begin_stroke(50.0, 50.0, 18.0)  # ends the preview
    sketch.set_preview(Drawing())
    seen = Recorder(sketch)
    sketch.restore(awkward_drawing())
    assert seen.kinds() == [Change.DRAWING]  # a restore is no edit that ends a preview
    assert sketch.preview is None and not sketch.in_stroke
    assert not sketch.can_undo() and not sketch.can_redo()
    assert sketch.drawing.strokes == awkward_drawing().strokes and sketch.drawing.dataset is None


def test_a_preview_is_shown_without_touching_the_drawing_and_editing_ends_it():
    sketch = Sketch()
    stroke(sketch, 10.0)
    stroke(sketch, 50.0)
    drawing, steps = sketch.drawing, step_drawings(sketch.drawing)
    seen = Recorder(sketch)
    sketch.set_preview(steps[0])
    sketch.set_preview(steps[0])  # the same preview again: nothing to redraw
    assert sketch.preview is steps[0] and sketch.shown is steps[0] and sketch.drawing is drawing
    assert seen.kinds() == [Change.PREVIEW]
    sketch.set_preview(None)
    assert sketch.shown is drawing and seen.kinds() == [Change.PREVIEW]  # not PREVIEW_ENDED
    sketch.set_preview(steps[0])
    sketch.undo()  # an edit: the preview gives way first, then the edit happens
    assert seen.kinds() == [Change.PREVIEW, Change.PREVIEW_ENDED, Change.DRAWING]
    assert sketch.preview is None and len(sketch.drawing.strokes) == 1
    sketch.set_preview(steps[1])
    sketch.begin_stroke(100.0, 100.0, 18.0)
    assert seen.kinds() == [Change.PREVIEW, Change.PREVIEW_ENDED, Change.STROKE_BEGUN]
    sketch.extend_stroke(120.0, 120.0, 18.0)
    sketch.set_preview(steps[1])  # a preview finishes the stroke being drawn first
    assert seen.kinds() == [Change.STROKE_EXTENDED, Change.STROKE_FINISHED, Change.PREVIEW]
    assert len(sketch.drawing.strokes) == 2 and sketch.can_undo()


def test_every_callback_hears_every_change_until_it_unsubscribes():
    sketch = Sketch()
    first, second = Recorder(sketch), Recorder(sketch)
    stroke(sketch, 10.0)
    assert first.kinds() == second.kinds() == [Change.STROKE_BEGUN, Change.STROKE_EXTENDED,
                                               Change.STROKE_FINISHED]
    sketch.unsubscribe(first.changes.append)
    sketch.clear()
    assert first.kinds() == [] and second.kinds() == [Change.DRAWING]


def test_step_drawings_grow_stroke_by_stroke_over_the_background():
    d = awkward_drawing()
    steps = step_drawings(d)
    assert [s.strokes for s in steps] == [d.strokes[: k + 1] for k in range(len(d.strokes))]
    assert all(s.background is d.background for s in steps)
    assert steps[-1].strokes == d.strokes and step_drawings(Drawing()) == []


# ---------------------------------------------------------------- pictures, and what the network reads


def no_page():
    raise AssertionError("the page was rendered, but the network should read the picture itself")


def test_a_test_image_is_kept_as_it_is_and_is_what_the_network_reads():
    image = (np.arange(28 * 28) * 5 % 256).astype(np.uint8).reshape(28, 28)  # as 255 - test image
    sketch = Sketch()
    sketch.set_background(image)
    assert np.array_equal(sketch.drawing.background, image) and sketch.drawing.background.shape == (28, 28)
    picture = sketch.network_picture(no_page)
    assert np.array_equal(picture.pixels, image) and picture.pixels.dtype == np.uint8
    assert picture.scale == 10.0 and picture.offset == (0.0, 0.0)
    assert picture.to_page(28, 28) == (280.0, 280.0)
    assert picture.rect_to_page(3, 4, 5, 6) == (30.0, 40.0, 50.0, 60.0)


def test_once_there_is_ink_the_network_reads_the_page():
    sketch = Sketch()
    sketch.set_background(np.full((28, 28), 255, np.uint8))
    page = np.zeros((PAGE_SIZE, PAGE_SIZE), np.uint8)
    sketch.begin_stroke(10.0, 10.0, 18.0)  # a stroke being drawn is ink too
    assert sketch.network_picture(lambda: page).pixels is page
    sketch.extend_stroke(100.0, 100.0, 18.0)
    sketch.finish_stroke()
    picture = sketch.network_picture(lambda: page)
    assert picture.pixels is page and picture.scale == 1.0 and picture.offset == (0.0, 0.0)
    assert picture.rect_to_page(3, 4, 5, 6) == (3.0, 4.0, 5.0, 6.0)
    sketch.set_preview(Drawing((), sketch.drawing.background))  # a replay's first frame
    assert sketch.network_picture(no_page).scale == 10.0
    sketch.set_preview(None)
    sketch.undo()  # the stroke undone: the picture alone again
    assert sketch.network_picture(no_page).pixels.shape == (28, 28)
    sketch.clear()  # an empty page is a (white) page
    assert sketch.network_picture(lambda: page).pixels is page


def test_a_picture_is_painted_fitted_to_the_page_and_centred():
    assert picture_placement(28, 28) == (10.0, (0.0, 0.0))
    assert picture_placement(14, 28) == (10.0, (0.0, 70.0))
    assert picture_placement(90, 125) == (2.24, (0.0, pytest.approx((280 - 90 * 2.24) / 2)))
    # A background of earlier versions, already fitted to the page: drawn 1:1 where they drew it.
    assert picture_placement(201, 280) == (1.0, (0.0, 39.5))
    assert picture_placement(280, 93) == (1.0, (93.5, 0.0))


def test_a_large_picture_is_fitted_down_once_by_area_averaging():
    blocks = (np.arange(280 * 140) % 251).astype(np.uint8).reshape(140, 280)
    big = np.repeat(np.repeat(blocks, 3, axis=0), 3, axis=1)  # 420 x 840: each pixel a 3 x 3 block
    fitted = fit_picture(big)
    assert fitted.shape == (140, 280) and np.array_equal(fitted, blocks)
    tall = fit_picture(np.zeros((600, 400), np.uint8))
    assert tall.shape == (280, 187) and picture_placement(*tall.shape) == (1.0, (46.5, 0.0))
    assert fit_picture(np.zeros((1, 5000), np.uint8)).shape == (1, 280)  # never zero pixels
    sketch = Sketch()
    sketch.load(Drawing(background=big))  # however it comes in
    assert sketch.drawing.background.shape == (140, 280)
    with pytest.raises(ValueError):
        fit_picture(np.zeros((0, 5), np.uint8))
