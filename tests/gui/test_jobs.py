"""The background jobs: plain functions, data in and data out, no Qt."""

import threading

import numpy as np

from gui.jobs import LiveRequest, ModelHub, explain_input, read_drawing, timeline
from model.drawing import NetworkPicture
from model.errors import ModelError
from model.explain import channel_masks

from .conftest import FakePredictor


def _page_with_a_bar() -> np.ndarray:
    page = np.full((280, 280), 255, np.uint8)
    page[40:240, 130:150] = 0
    return page


def page(pixels: np.ndarray) -> NetworkPicture:
    return NetworkPicture(pixels)


def hub_of(engine) -> ModelHub:
    return ModelHub(lambda dataset: engine)


def test_reading_a_drawing_is_a_plain_function_data_in_data_out():
    request = LiveRequest(7, "mnist", page(_page_with_a_bar()), dense=True)
    result = read_drawing(hub_of(FakePredictor("mnist", bias=3)), request)
    assert (result.seq, result.dataset, result.error) == (7, "mnist", "")
    assert result.image.shape == (28, 28) and result.image.dtype == np.uint8
    assert int(np.argmax(result.probabilities)) == 3
    assert result.dense_probabilities is not None
    assert [g.shape for g in result.grids] == [(215, 215, 4), (111, 111, 4), (95, 95, 4),
                                               (47, 47, 4)]
    assert result.ablated is None and result.explanation is None  # nobody asked for them


def test_reading_reports_empty_drawings_missing_models_and_crashing_models():
    blank = np.full((280, 280), 255, np.uint8)
    assert read_drawing(hub_of(FakePredictor("mnist")), LiveRequest(1, "mnist", page(blank))).empty

    def missing(dataset):
        raise ModelError("file missing")

    no_model = read_drawing(ModelHub(missing), LiveRequest(2, "mnist", page(_page_with_a_bar())))
    assert no_model.error == "file missing" and no_model.image is not None
    assert no_model.probabilities is None and not no_model.empty

    class Broken(FakePredictor):
        def run(self, image, masks=None):
            raise RuntimeError("boom\nsecond line")

    broken = read_drawing(hub_of(Broken("mnist")), LiveRequest(3, "mnist", page(_page_with_a_bar())))
    assert broken.error == "inference failed: boom"


def test_one_job_answers_the_live_view_and_explores_switched_off_channels():
    engine = FakePredictor("mnist", bias=2)
    masks = channel_masks({"conv1": [0, 5]})
    request = LiveRequest(4, "mnist", page(_page_with_a_bar()), masks=masks)
    result = read_drawing(hub_of(engine), request)
    plain = engine.run(result.net_input)
    np.testing.assert_allclose(result.probabilities, plain.probabilities)  # the live bars: as trained
    assert not result.ablated.feature_maps[0][..., [0, 5]].any()
    assert result.ablated.feature_maps[0][..., 1].any()
    assert result.explanation is None  # saliency is a job of its own (it may load TensorFlow)
    np.testing.assert_array_equal(result.masks, masks)
    again = read_drawing(hub_of(engine), LiveRequest(4, "mnist", None, net_input=result.net_input,
                                                     geometry=result.geometry))
    np.testing.assert_allclose(again.probabilities, plain.probabilities)  # no preprocessing again
    assert again.geometry is result.geometry and again.ablated is None


def test_a_picture_placed_on_the_page_maps_its_geometry_onto_the_page():
    picture = np.full((28, 28), 255, np.uint8)
    picture[4:24, 12:16] = 0
    on_page = read_drawing(hub_of(FakePredictor("mnist")),
                           LiveRequest(1, "mnist", NetworkPicture(picture, 10.0, (5.0, 3.0))))
    alone = read_drawing(hub_of(FakePredictor("mnist")), LiveRequest(1, "mnist", page(picture)))
    np.testing.assert_array_equal(on_page.net_input, alone.net_input)
    y, x = alone.geometry.to_drawing(14, 14)
    assert on_page.geometry.to_drawing(14, 14) == (3 + 10 * y, 5 + 10 * x)  # offset is (x, y)


def test_the_timeline_classifies_every_step_in_one_batch_with_nan_for_empty_pages():
    engine = FakePredictor("mnist")
    blank = np.full((280, 280), 255, np.uint8)
    answer = timeline(hub_of(engine), "mnist", (blank, _page_with_a_bar(), _page_with_a_bar().T.copy()))
    assert answer.error == "" and answer.probabilities.shape == (3, 10)
    assert np.isnan(answer.probabilities[0]).all() and not np.isnan(answer.probabilities[1:]).any()

    def missing(dataset):
        raise ModelError("no such model file")

    failed = timeline(ModelHub(missing), "mnist", (_page_with_a_bar(),))
    assert failed.error == "no such model file" and np.isnan(failed.probabilities).all()


def test_a_failed_load_is_remembered_and_not_tried_again_by_the_same_thread():
    calls = []

    def loader(dataset):
        calls.append(dataset)
        raise OSError("disk on fire\nmore")

    hub = ModelHub(loader)
    for _ in range(3):
        read = read_drawing(hub, LiveRequest(1, "mnist", page(_page_with_a_bar())))
        assert read.error == "disk on fire"
    assert calls == ["mnist"] and hub.error("mnist") == "disk on fire"


def test_saliency_is_its_own_job_and_a_failure_is_one_line():
    engine = FakePredictor("mnist", bias=2)
    image = np.zeros((28, 28, 1), np.float32)
    image[4:24, 12:16] = 1.0
    masks = channel_masks({"conv2": [3]})
    answer = explain_input(hub_of(engine), "mnist", 9, image, masks)
    assert (answer.dataset, answer.seq, answer.error) == ("mnist", 9, "")
    np.testing.assert_array_equal(answer.masks, masks)
    np.testing.assert_array_equal(answer.explanation.gradcam, image[:, :, 0])

    class NoGradients(FakePredictor):
        def explain(self, image, masks=None):
            raise ModelError("saliency needs the .keras file the network came from\nmore")

    failed = explain_input(hub_of(NoGradients("mnist")), "mnist", 10, image, None)
    assert failed.explanation is None
    assert failed.error == "saliency needs the .keras file the network came from"


def test_a_dataset_pointed_at_another_loader_is_loaded_anew_by_every_thread():
    shipped, mine = FakePredictor("mnist", bias=1), FakePredictor("mnist", bias=4)
    hub = ModelHub(lambda dataset: shipped)
    request = LiveRequest(1, "mnist", page(_page_with_a_bar()))
    assert read_drawing(hub, request).probabilities.argmax() == 1
    hub.set_loader("mnist", lambda dataset: mine)
    assert read_drawing(hub, request).probabilities.argmax() == 4
    other = []
    thread = threading.Thread(target=lambda: other.append(hub.engine("mnist")))
    thread.start()
    thread.join()
    assert other == [mine] and hub.generation("mnist") == 1
    hub.set_loader("mnist", None)  # back to the hub's own loader
    assert read_drawing(hub, request).probabilities.argmax() == 1 and hub.generation("mnist") == 2


def test_pointing_a_dataset_elsewhere_forgets_its_failed_load():
    def broken(dataset):
        raise OSError("gone")

    hub = ModelHub(broken)
    assert read_drawing(hub, LiveRequest(1, "mnist", page(_page_with_a_bar()))).error == "gone"
    hub.set_loader("mnist", lambda dataset: FakePredictor("mnist", bias=3))
    assert hub.error("mnist") == ""
    assert read_drawing(hub, LiveRequest(2, "mnist", page(_page_with_a_bar()))).error == ""
