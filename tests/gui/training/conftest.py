"""A network saved as "Use this model" saves it, made once for the session (in-process)."""

import pytest


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
    """A briefly trained CNN saved by the live trainer: (keras path, its card)."""
    from model.training.live import LiveTrainer
    from model.training.live_protocol import LiveConfig

    trainer = LiveTrainer(LiveConfig(limit=640, held_out=100, epochs=1, nice=0))
    for _ in range(5):
        trainer.step()
    saved = trainer.save(tmp_path_factory.mktemp("user-models"))
    return saved.path, saved.card
