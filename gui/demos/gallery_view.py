"""The gallery panel (the kept drawings, their labels, export) and the "Keep this drawing" dialog.

The panel shows a :class:`model.gallery.Gallery`: a 64x64 thumbnail per drawing with a green
tick or a red cross (was the model right?), "true: 7 · model: 1 97%", a combo box to correct the
selected drawing's true label, Remove, and Export… (a new folder of PNGs plus ``labels.csv``).
Every change goes straight to the gallery, which saves it; the panel only shows what is there.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.files import data_dir
from gui.qimage import array_to_qimage
from model.datasets import class_names
from model.gallery import Gallery, GalleryError, GalleryItem

GALLERY_DIR_NAME = "gallery"  # inside the data folder, beside the autosave
THUMB_SIZE = 64
RIGHT_COLOUR = QColor(30, 150, 60)
WRONG_COLOUR = QColor(200, 40, 40)
ID_ROLE = Qt.ItemDataRole.UserRole  # an entry's item id
CORRECT_ROLE = Qt.ItemDataRole.UserRole + 1  # True when the model was right


def gallery_folder(data_folder: str | os.PathLike | None = None) -> Path:
    """Where the app keeps its gallery: ``<data folder>/gallery`` (the data folder by default
    ``gui.files.data_dir()``)."""
    return Path(data_folder or data_dir()) / GALLERY_DIR_NAME


def entry_text(item: GalleryItem) -> str:
    """A list entry's text, e.g. "✓ true: 7 · model: 7 97%" or "✗ true: Coat · model: Shirt 61%"."""
    names = class_names(item.dataset)
    mark = "✓" if item.correct else "✗"
    return (f"{mark} true: {names[item.true_label]} · "
            f"model: {names[item.predicted]} {100.0 * item.confidence:.0f}%")


def summary_text(items: Sequence[GalleryItem]) -> str:
    """"12 kept · model right on 9 (75%)", or "Nothing kept yet"."""
    if not items:
        return "Nothing kept yet"
    right = sum(item.correct for item in items)
    return f"{len(items)} kept · model right on {right} ({100.0 * right / len(items):.0f}%)"


def _thumbnail(page: QImage | None, correct: bool) -> QIcon:
    """The page shrunk into a framed 64x64 square, with a tick or a cross in the corner."""
    canvas = QImage(THUMB_SIZE, THUMB_SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    canvas.fill(QColor(255, 255, 255))
    with QPainter(canvas) as painter:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if page is not None:
            painter.drawImage(QPointF((THUMB_SIZE - page.width()) / 2,
                                      (THUMB_SIZE - page.height()) / 2), page)
        painter.setPen(QPen(QColor(170, 170, 170), 1))
        painter.drawRect(QRectF(0.5, 0.5, THUMB_SIZE - 1, THUMB_SIZE - 1))
        badge = QRectF(THUMB_SIZE - 22, THUMB_SIZE - 22, 20, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(RIGHT_COLOUR if correct else WRONG_COLOUR)
        painter.drawEllipse(badge)
        pen = QPen(QColor(255, 255, 255), 2.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        x, y = badge.x(), badge.y()
        if correct:  # drawn, not a font glyph: every platform has lines
            painter.drawPolyline([QPointF(x + 5, y + 10.5), QPointF(x + 8.5, y + 14),
                                  QPointF(x + 15, y + 6.5)])
        else:
            painter.drawLine(QPointF(x + 6, y + 6), QPointF(x + 14, y + 14))
            painter.drawLine(QPointF(x + 14, y + 6), QPointF(x + 6, y + 14))
    return QIcon(QPixmap.fromImage(canvas))


class GalleryPanel(QWidget):
    """The kept drawings as a list; correct a label, remove one, export them all.

    Call :meth:`refresh` after changing the gallery elsewhere (say, after keeping a drawing).
    """

    sig_message = Signal(str)
    """A one-line status message (an export done, a gallery that could not be read)."""

    sig_open_requested = Signal(str)
    """An item was double-clicked: the id of the drawing to put back on the page."""

    def __init__(self, gallery: Gallery | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._gallery: Gallery | None = None
        self._pages: dict[str, QImage | None] = {}  # item id -> its shrunk page (files never change)
        self._export_parent = str(Path.home())

        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._on_selection_changed)
        self.list.itemDoubleClicked.connect(self._on_item_double_clicked)

        self.label_combo = QComboBox()
        self.label_combo.setToolTip("What the selected drawing really is")
        self.label_combo.currentIndexChanged.connect(self._on_label_changed)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Forget the selected drawing (Delete)")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write every kept drawing as PNG files plus labels.csv "
                                      "into a new folder")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.summary_label = QLabel()

        self.list.installEventFilter(self)  # Delete in the list removes, not wipes the page

        label_row = QHBoxLayout()
        label_row.addWidget(QLabel("True label:"))
        label_row.addWidget(self.label_combo, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(label_row)
        layout.addLayout(buttons)
        layout.addWidget(self.summary_label)

        self.set_gallery(gallery)

    # ------------------------------------------------------------------ public

    def gallery(self) -> Gallery | None:
        return self._gallery

    def set_gallery(self, gallery: Gallery | None) -> None:
        """Show ``gallery``; its load warning, if any, goes out as :attr:`sig_message`."""
        self._gallery = gallery
        self._pages.clear()
        self.refresh()
        if gallery is not None and gallery.warning:
            self.sig_message.emit(gallery.warning)

    def refresh(self) -> None:
        """Show the gallery as it is now, keeping the selection where it can."""
        selected = self.selected_id()
        items = self._gallery.items if self._gallery is not None else []
        blocked = self.list.blockSignals(True)
        try:
            self.list.clear()
            for item in items:
                entry = QListWidgetItem(_thumbnail(self._page(item.id), item.correct),
                                        entry_text(item))
                entry.setData(ID_ROLE, item.id)
                entry.setData(CORRECT_ROLE, item.correct)
                entry.setToolTip(f"Kept {item.created.replace('T', ' ')[:19]}; "
                                 "double-click to open it")
                self.list.addItem(entry)
            ids = [item.id for item in items]
            if selected in ids:
                self.list.setCurrentRow(ids.index(selected))
        finally:
            self.list.blockSignals(blocked)
        self._pages = {i: page for i, page in self._pages.items() if i in ids}
        self.summary_label.setText("No gallery" if self._gallery is None else summary_text(items))
        self.export_button.setEnabled(bool(items))
        self._show_selected()

    def select(self, item_id: str | None) -> None:
        """Select the entry of ``item_id`` (None: select nothing)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == item_id:
                self.list.setCurrentRow(row)
                return
        self.list.setCurrentRow(-1)

    def selected_id(self) -> str | None:
        entry = self.list.currentItem()
        return None if entry is None or not entry.isSelected() else entry.data(ID_ROLE)

    def export_to(self, parent_folder: str | os.PathLike) -> Path:
        """Export the gallery into a new folder inside ``parent_folder``; announce and return it.

        Raises GalleryError (one line) when there is nothing to export or writing fails.
        """
        if self._gallery is None:
            raise GalleryError("there is no gallery to export")
        folder = self._gallery.export(parent_folder)
        count = len(self._gallery)
        self.sig_message.emit(f"Exported {count} drawing{'s' if count != 1 else ''} to {folder}")
        return folder

    # ------------------------------------------------------------------ handlers

    def _on_selection_changed(self, *_args) -> None:
        self._show_selected()

    def _on_item_double_clicked(self, entry: QListWidgetItem) -> None:
        self.sig_open_requested.emit(entry.data(ID_ROLE))

    def _on_label_changed(self, index: int) -> None:
        item_id = self.selected_id()
        if item_id is None or self._gallery is None or index < 0:
            return
        try:
            self._gallery.set_label(item_id, index)
        except GalleryError as exc:
            QMessageBox.warning(self, "Change the label", str(exc))
        self.refresh()

    def _on_remove_clicked(self) -> None:
        item_id = self.selected_id()
        if item_id is None or self._gallery is None:
            return
        row = self.list.currentRow()
        try:
            self._gallery.remove(item_id)
        except GalleryError as exc:
            QMessageBox.warning(self, "Remove the drawing", str(exc))
            return
        self.refresh()
        if self.list.count():
            self.list.setCurrentRow(min(row, self.list.count() - 1))

    def _on_export_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the gallery into…",
                                                  self._export_parent)
        if not folder:
            return
        self._export_parent = folder
        try:
            self.export_to(folder)
        except GalleryError as exc:
            QMessageBox.warning(self, "Export the gallery", f"Cannot export the gallery: {exc}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete or Backspace in the list forgets the selected drawing. The list claims the
        keys first (ShortcutOverride), so the window's Clear (the same keys) stays out of it."""
        if (watched is self.list
                and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                and not event.modifiers()):
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self._on_remove_clicked()
            return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ helpers

    def _show_selected(self) -> None:
        """Fill the label combo for the selected drawing; disable what needs a selection."""
        item_id = self.selected_id()
        item = None
        if item_id is not None and self._gallery is not None:
            item = next((i for i in self._gallery.items if i.id == item_id), None)
        blocked = self.label_combo.blockSignals(True)
        try:
            self.label_combo.clear()
            if item is not None:
                self.label_combo.addItems(list(class_names(item.dataset)))
                self.label_combo.setCurrentIndex(item.true_label)
        finally:
            self.label_combo.blockSignals(blocked)
        self.label_combo.setEnabled(item is not None)
        self.remove_button.setEnabled(item is not None)

    def _page(self, item_id: str) -> QImage | None:
        """The item's page shrunk to fit the thumbnail (read once), or None if unreadable."""
        if item_id not in self._pages:
            try:
                pixels = self._gallery.image(item_id)
            except GalleryError:
                self._pages[item_id] = None
            else:
                self._pages[item_id] = array_to_qimage(pixels).scaled(
                    THUMB_SIZE - 4, THUMB_SIZE - 4, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation)  # a copy: ``pixels`` may go
        return self._pages[item_id]


class TrueLabelDialog(QDialog):
    """"Keep this drawing": one button per class; the model's answer is the default button.

    After ``exec()``, :attr:`chosen` is the class picked, or None when cancelled. The keys
    0..9 pick the class with that index.
    """

    def __init__(self, names: Sequence[str], predicted: int, confidence: float,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keep this drawing")
        self.chosen: int | None = None
        self.names = tuple(names)
        model_says = QLabel(f"The model says: {self.names[predicted]} "
                            f"({100.0 * confidence:.0f}%)" if 0 <= predicted < len(self.names)
                            else "")
        question = QLabel("What is it really?")
        font = question.font()
        font.setBold(True)
        question.setFont(font)

        grid = QGridLayout()
        per_row = (len(self.names) + 1) // 2
        self.buttons: list[QPushButton] = []
        for index, name in enumerate(self.names):
            button = QPushButton(name.replace("&", "&&"))
            button.setAutoDefault(False)
            if index < 10:
                button.setShortcut(QKeySequence(str(index)))
                button.setToolTip(f"Key {index}")
            button.clicked.connect(functools.partial(self.choose, index))
            grid.addWidget(button, index // per_row, index % per_row)
            self.buttons.append(button)
        if 0 <= predicted < len(self.buttons):
            self.buttons[predicted].setDefault(True)
            self.buttons[predicted].setFocus()

        cancel = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(model_says)
        layout.addWidget(question)
        layout.addLayout(grid)
        layout.addWidget(cancel)

    def choose(self, index: int) -> None:
        """Pick class ``index`` and close the dialog."""
        if not 0 <= index < len(self.names):
            raise ValueError(f"no class {index}: there are {len(self.names)}")
        self.chosen = index
        self.accept()


def ask_true_label(parent: QWidget | None, class_names: Sequence[str], predicted: int,
                   confidence: float) -> int | None:
    """Ask what the drawing really is (modal); the class index, or None when cancelled."""
    dialog = TrueLabelDialog(class_names, predicted, confidence, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen
    finally:
        dialog.deleteLater()
