"""The network in training as the engine's CNN, so that the app's live view can follow it.

:class:`RemoteCNN` has what ``model.inference.Engine`` needs of a network (``config``, the conv
kernels, ``forward``), and asks the trainer process for each forward pass. It is called from
the engine client's worker threads, never from the GUI thread: a question waits for the
trainer's next pause between two steps (a fraction of a second). The answers are the weights
as they are at that moment, so drawing while it trains shows the network changing.

Batched questions over thousands of images (the test split's answers, top examples) would
stream hundreds of megabytes of maps out of the trainer: they get a one-line ModelError.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from model.errors import ModelError

MAX_IMAGES = 64  # a replay's timeline asks for one image per stroke


class RemoteCNN:
    """Forward passes of the CNN the trainer process is training."""

    def __init__(self, ask, keras_config: dict):
        self._ask = ask  # TrainerClient.ask
        self.config = keras_config
        self.conv1, self.conv2 = ask("kernels")  # as they are now: Explore's facts take them once

    def forward(self, images: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
        if len(images) > MAX_IMAGES:
            raise ModelError(f"the network in training answers up to {MAX_IMAGES} drawings at a "
                             "time; use it as your model (Use this model) for the test split")
        return self._ask("forward", np.asarray(images, np.float32), np.asarray(masks, np.float32))


def _engine(ask, keras_config: dict, dataset: str):
    from model.inference import Engine

    return Engine(RemoteCNN(ask, keras_config), dataset)


def remote_loader(ask, keras_config: dict):
    """A ``gui.jobs.Loader`` for ``EngineClient.set_model``: engines on the network in training."""
    return partial(_engine, ask, keras_config)
