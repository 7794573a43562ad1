"""The gallery panel and the "Keep this drawing" dialog, driven as a user would."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from gui.demos.gallery_view import (
    CORRECT_ROLE,
    GALLERY_DIR_NAME,
    ID_ROLE,
    RIGHT_COLOUR,
    THUMB_SIZE,
    WRONG_COLOUR,
    GalleryPanel,
    TrueLabelDialog,
    ask_true_label,
    gallery_folder,
)
from model.datasets import class_names
from model.gallery import CSV_NAME, INDEX_NAME, Gallery


def page(seed: int) -> np.ndarray:
    image = np.full((280, 280), 255, np.uint8)
    image[30 + 20 * seed: 60 + 20 * seed, 40:240] = 0
    return image


@pytest.fixture
def gallery(tmp_path):
    gallery = Gallery(tmp_path / "gallery")
    gallery.add(page(0), "mnist", 7, 7, 0.97)  # right
    gallery.add(page(1), "mnist", 4, 9, 0.614)  # wrong
    gallery.add(page(2), "fashion", 4, 6, 0.5, drawing_json='{"strokes": []}')  # wrong
    return gallery


@pytest.fixture
def panel(qtbot, gallery):
    panel = GalleryPanel(gallery)
    qtbot.addWidget(panel)
    panel.resize(360, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def entries(panel):
    return [panel.list.item(row) for row in range(panel.list.count())]


def badge_colour(entry):
    image = entry.icon().pixmap(THUMB_SIZE, THUMB_SIZE).toImage()
    return image.pixelColor(THUMB_SIZE - 12, THUMB_SIZE - 6)  # inside the badge, off the mark


def close_to(colour, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(colour.getRgb()[:3], expected.getRgb()[:3],
                                                        strict=True))


def test_the_panel_lists_every_drawing_with_its_answer_and_mark(panel, gallery):
    shown = entries(panel)
    assert [e.text() for e in shown] == [
        "✓ true: 7 · model: 7 97%",
        "✗ true: 4 · model: 9 61%",
        "✗ true: Coat · model: Shirt 50%",
    ]
    assert [e.data(ID_ROLE) for e in shown] == [i.id for i in gallery.items]
    assert [e.data(CORRECT_ROLE) for e in shown] == [True, False, False]
    assert close_to(badge_colour(shown[0]), RIGHT_COLOUR)
    assert close_to(badge_colour(shown[1]), WRONG_COLOUR)
    assert not shown[0].icon().isNull()
    assert panel.summary_label.text() == "3 kept · model right on 1 (33%)"
    assert panel.selected_id() is None
    assert not panel.remove_button.isEnabled() and not panel.label_combo.isEnabled()


def test_the_thumbnail_shows_the_drawing(qtbot, tmp_path):
    gallery = Gallery(tmp_path / "g")
    top = np.full((280, 280), 255, np.uint8)
    top[:140] = 0  # ink on the top half only
    gallery.add(top, "mnist", 1, 1, 0.9)
    panel = GalleryPanel(gallery)
    qtbot.addWidget(panel)
    image = entries(panel)[0].icon().pixmap(THUMB_SIZE, THUMB_SIZE).toImage()
    assert image.pixelColor(THUMB_SIZE // 2, THUMB_SIZE // 4).lightness() < 60
    assert image.pixelColor(THUMB_SIZE // 4, 3 * THUMB_SIZE // 4).lightness() > 200


def test_changing_the_true_label_updates_the_gallery_the_mark_and_the_summary(panel, gallery, qtbot):
    wrong = gallery.items[1]
    panel.select(wrong.id)
    assert panel.selected_id() == wrong.id
    assert panel.label_combo.isEnabled() and panel.label_combo.currentIndex() == 4
    assert panel.label_combo.count() == 10 and panel.label_combo.itemText(9) == "9"

    panel.label_combo.setCurrentIndex(9)  # as the user would pick it
    assert gallery.item(wrong.id).true_label == 9
    assert Gallery(gallery.folder).items[1].true_label == 9  # saved
    assert entries(panel)[1].text() == "✓ true: 9 · model: 9 61%"
    assert close_to(badge_colour(entries(panel)[1]), RIGHT_COLOUR)
    assert panel.summary_label.text() == "3 kept · model right on 2 (67%)"
    assert panel.selected_id() == wrong.id


def test_the_label_combo_offers_the_classes_of_the_selected_drawings_dataset(panel, gallery):
    panel.select(gallery.items[2].id)
    names = [panel.label_combo.itemText(i) for i in range(panel.label_combo.count())]
    assert names == list(class_names("fashion"))
    assert panel.label_combo.currentText() == "Coat"
    panel.select(gallery.items[0].id)
    assert panel.label_combo.itemText(0) == "0" and panel.label_combo.currentText() == "7"
    assert gallery.items[0].true_label == 7  # filling the combo changed nothing


def test_remove_forgets_the_selected_drawing_and_selects_the_next(panel, gallery, qtbot):
    first, second, third = (i.id for i in gallery.items)
    panel.select(second)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert [i.id for i in gallery.items] == [first, third]
    assert not (gallery.folder / f"{second}.png").exists()
    assert [e.data(ID_ROLE) for e in entries(panel)] == [first, third]
    assert panel.selected_id() == third
    assert panel.summary_label.text() == "2 kept · model right on 1 (50%)"


def test_export_to_writes_the_folder_and_announces_it(panel, gallery, qtbot, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(panel.sig_message, timeout=1000) as message:
        folder = panel.export_to(out)
    assert folder.parent == out and folder.is_dir()
    assert message.args == [f"Exported 3 drawings to {folder}"]
    with open(folder / CSV_NAME, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [row["true_class"] for row in table] == ["7", "4", "Coat"]
    assert sum(1 for p in folder.iterdir() if p.suffix == ".png") == 3


def test_the_export_button_exports_into_the_chosen_folder(panel, qtbot, tmp_path, monkeypatch):
    out = tmp_path / "chosen"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(out))
    with qtbot.waitSignal(panel.sig_message, timeout=1000) as message:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    [folder] = out.iterdir()
    assert message.args == [f"Exported 3 drawings to {folder}"]


def test_a_failed_export_is_a_warning_not_a_message(panel, qtbot, tmp_path, monkeypatch,
                                                     capture_warnings):
    missing = tmp_path / "gone"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(missing))
    messages = []
    panel.sig_message.connect(messages.append)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert messages == []
    assert len(capture_warnings) == 1 and "not a folder" in capture_warnings[0]
    assert "\n" not in capture_warnings[0]


def test_an_empty_gallery_cannot_be_exported(qtbot, tmp_path):
    panel = GalleryPanel(Gallery(tmp_path / "empty"))
    qtbot.addWidget(panel)
    assert panel.summary_label.text() == "Nothing kept yet"
    assert not panel.export_button.isEnabled()


def test_double_click_asks_to_open_the_drawing(panel, gallery, qtbot):
    entry = entries(panel)[2]
    rect = panel.list.visualItemRect(entry)
    with qtbot.waitSignal(panel.sig_open_requested, timeout=1000) as opened:
        qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [gallery.items[2].id]


def test_refresh_shows_a_drawing_kept_elsewhere(panel, gallery):
    gallery.add(page(3), "mnist", 3, 3, 0.99)
    assert panel.list.count() == 3
    panel.refresh()
    assert panel.list.count() == 4 and entries(panel)[3].text() == "✓ true: 3 · model: 3 99%"
    assert panel.summary_label.text() == "4 kept · model right on 2 (50%)"


def test_a_gallery_that_could_not_be_read_is_reported(qtbot, gallery):
    (gallery.folder / INDEX_NAME).write_text("{broken")
    damaged = Gallery(gallery.folder)
    panel = GalleryPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.sig_message, timeout=1000) as message:
        panel.set_gallery(damaged)
    assert "Could not read the gallery" in message.args[0]
    assert panel.list.count() == 0


def test_the_gallery_lives_in_the_data_folder(tmp_path):
    assert gallery_folder() == tmp_path / "data" / GALLERY_DIR_NAME


# ---------------------------------------------------------------------- the dialog


def test_the_dialog_offers_every_class_with_the_models_answer_as_default(qtbot):
    names = class_names("fashion")
    dialog = TrueLabelDialog(names, predicted=6, confidence=0.61)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Keep this drawing"
    assert [b.text() for b in dialog.buttons] == list(names)
    assert [b.isDefault() for b in dialog.buttons] == [i == 6 for i in range(10)]
    rows = {dialog.layout().itemAt(2).layout().getItemPosition(i)[0] for i in range(10)}
    assert rows == {0, 1}
    assert dialog.chosen is None


def test_choose_and_the_buttons_pick_the_class(qtbot):
    dialog = TrueLabelDialog(class_names("mnist"), predicted=1, confidence=0.9)
    qtbot.addWidget(dialog)
    dialog.choose(7)
    assert dialog.chosen == 7 and dialog.result() == QDialog.DialogCode.Accepted
    clicked = TrueLabelDialog(class_names("mnist"), predicted=1, confidence=0.9)
    qtbot.addWidget(clicked)
    qtbot.mouseClick(clicked.buttons[3], Qt.MouseButton.LeftButton)
    assert clicked.chosen == 3
    with pytest.raises(ValueError):
        clicked.choose(10)


@pytest.fixture
def answer_dialog():
    """``answer_dialog(act)``: while the next modal dialog runs, call ``act(dialog)``; a dialog
    still open after 5 s is rejected, so a broken test fails instead of hanging."""
    timers = []

    def arrange(act):
        def answer():
            dialog = QApplication.activeModalWidget()
            assert isinstance(dialog, TrueLabelDialog)
            act(dialog)

        def rescue():
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QDialog) and widget.isVisible():
                    widget.reject()

        for delay, slot in ((50, answer), (5000, rescue)):
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(slot)
            timer.start(delay)
            timers.append(timer)

    yield arrange
    for timer in timers:
        timer.stop()


def test_ask_true_label_returns_the_clicked_class(answer_dialog):
    answer_dialog(lambda dialog: dialog.buttons[8].click())
    assert ask_true_label(None, class_names("mnist"), 3, 0.8) == 8


def test_ask_true_label_returns_the_prediction_on_enter_and_none_on_cancel(qtbot, answer_dialog):
    def press_enter(dialog):
        assert dialog.focusWidget() is dialog.buttons[3]
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    answer_dialog(press_enter)
    assert ask_true_label(None, class_names("mnist"), 3, 0.8) == 3
    answer_dialog(lambda dialog: qtbot.keyClick(dialog, Qt.Key.Key_Escape))
    assert ask_true_label(None, class_names("mnist"), 3, 0.8) is None


def test_the_digit_keys_pick_a_class(qtbot, answer_dialog):
    answer_dialog(lambda dialog: qtbot.keyClick(dialog, Qt.Key.Key_5))
    assert ask_true_label(None, class_names("fashion"), 0, 0.4) == 5
