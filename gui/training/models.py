"""Which network the app's live view reads, dataset by dataset, and what is remembered of it.

Three possibilities per dataset, chosen in the Train Live panel:

- the shipped models (``resources/models``): the default, and what "Back to the shipped model"
  returns to;
- the user's own ("Use this model"): a ``.keras`` with its LiteRT export and model card in the
  user's data folder, remembered in QSettings (``live_models/<dataset>/<arch>``) across
  restarts. A CNN becomes the live model; a dense network the comparison network;
- the network being trained live, followed step by step (``gui.training.remote``); never
  remembered.

:class:`LiveModels` turns the choice into the engine client's loader for that dataset
(``EngineClient.set_model``): the live view, Explore, the replay and the challenge all read it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from model.architecture import ARCHS
from model.datasets import DATASET_NAMES, DATASETS

SETTINGS_GROUP = "live_models"


def load_engine(cnn: str | None, dense: str | None, dataset: str):
    """The engine for ``dataset`` with the user's CNN and dense network where given, else the
    shipped ones (``gui.engine_client.load_shipped_engine`` when neither is)."""
    from model.inference import Engine
    from model.paths import model_path

    cnn_path = Path(cnn) if cnn else model_path(dataset, "cnn")
    dense_path = Path(dense) if dense else model_path(dataset, "dense")
    return Engine.load(cnn_path, dataset, dense_path if dense_path.is_file() else None)


class LiveModels(QObject):
    """The live model of each dataset: shipped, the user's own, or the network in training."""

    sig_changed = Signal(str)
    """(dataset): what its live view reads has changed."""

    def __init__(self, settings: QSettings, engines, parent: QObject | None = None):
        super().__init__(parent)
        self._settings = settings
        self._engines = engines  # gui.engine_client.EngineClient
        self._following: dict[str, object] = {}  # dataset -> the loader of the network in training

    @staticmethod
    def _key(dataset: str, arch: str) -> str:
        return f"{SETTINGS_GROUP}/{dataset}/{arch}"

    def path(self, dataset: str, arch: str = "cnn") -> Path | None:
        """The user's own model of ``arch`` for ``dataset``, or None."""
        value = self._settings.value(self._key(dataset, arch))
        return Path(str(value)) if value else None

    def owned(self, dataset: str) -> bool:
        return any(self.path(dataset, arch) for arch in ARCHS)

    def following(self, dataset: str) -> bool:
        return dataset in self._following

    def describe(self, dataset: str) -> str:
        """What ``dataset``'s live view reads, in a few words."""
        if self.following(dataset):
            return "the network in training"
        if self.owned(dataset):
            return "your own model"
        return "the shipped model"

    def restore(self) -> list[str]:
        """Apply what the settings remember; one line for each remembered model that is gone
        (it is forgotten: the shipped model takes its place)."""
        lines = []
        for dataset in DATASET_NAMES:
            for arch in ARCHS:
                path = self.path(dataset, arch)
                if path is not None and not path.is_file():
                    self._settings.remove(self._key(dataset, arch))
                    lines.append(f"Your {DATASETS[dataset].title} {arch} model is gone ({path}); "
                                 "back to the shipped one")
            if self.owned(dataset):
                self._apply(dataset)
        return lines

    def use(self, dataset: str, arch: str, keras_path: str | Path) -> None:
        """Make ``keras_path`` (exported, with its card) the live ``arch`` of ``dataset``."""
        self._settings.setValue(self._key(dataset, arch), str(keras_path))
        self._settings.sync()
        self._following.pop(dataset, None)
        self._apply(dataset)

    def back(self, dataset: str) -> None:
        """The shipped models for ``dataset`` again (the user's files stay where they are)."""
        for arch in ARCHS:
            self._settings.remove(self._key(dataset, arch))
        self._settings.sync()
        self._apply(dataset)

    def follow(self, dataset: str, loader) -> None:
        """The live view reads the network in training (``loader``), or, with None, what it
        read before."""
        if loader is None:
            if self._following.pop(dataset, None) is None:
                return
        else:
            self._following[dataset] = loader
        self._apply(dataset)

    def _apply(self, dataset: str) -> None:
        loader = self._following.get(dataset)
        if loader is None and self.owned(dataset):
            cnn, dense = (self.path(dataset, arch) for arch in ARCHS)
            loader = partial(load_engine, str(cnn) if cnn else None, str(dense) if dense else None)
        self._engines.set_model(dataset, loader)
        self.sig_changed.emit(dataset)
