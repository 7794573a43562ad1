"""The trainer client with a real, short-lived trainer process: events arrive as signals, the
GUI thread never waits, and a killed trainer is one line while the app goes on."""

import os
import signal

import numpy as np
import pytest

from gui.training.client import TrainerClient, ended_line
from model.errors import ModelError
from model.training.live_protocol import LiveConfig, Pause, Report, Started, State

TINY = LiveConfig(limit=1280, held_out=100, report_every=2, epochs=1, nice=0)
START_MS = 90_000  # a new process imports TensorFlow: seconds, more on a busy machine


@pytest.fixture
def client(qtbot):
    client = TrainerClient()
    yield client
    client.shutdown()


def test_a_killed_trainer_is_one_line_and_questions_fail_cleanly(qtbot, client):
    events, failures = [], []
    client.sig_event.connect(events.append)
    client.sig_failed.connect(failures.append)
    assert client.start(TINY)
    qtbot.waitUntil(lambda: any(isinstance(e, Report) for e in events), timeout=START_MS)
    started = [e for e in events if isinstance(e, Started)]
    assert len(started) == 1 and started[0].total_steps == 40
    client.send(Pause())
    qtbot.waitUntil(lambda: State("paused") in events, timeout=10_000)
    x = np.zeros((2, 28, 28, 1), np.float32)
    outputs = client.ask("forward", x, np.ones((2, 4, 64), np.float32))  # from this test's thread
    assert [o.shape for o in outputs][-1] == (2, 10)
    with pytest.raises(ModelError):
        client.ask("saliency", x)
    with qtbot.waitSignal(client.sig_ended, timeout=10_000):
        os.kill(client.pid, signal.SIGKILL)
    assert failures == ["The trainer stopped unexpectedly (killed by SIGKILL); "
                        "the app goes on with its own models"]
    assert not client.running()
    with pytest.raises(ModelError, match="gone"):
        client.ask("forward", x, np.ones((2, 4, 64), np.float32))


def test_missing_data_is_one_line_naming_the_fetch_command(qtbot, client, tmp_path, monkeypatch):
    monkeypatch.setenv("SKETCHSCOPE_CACHE", str(tmp_path))  # the spawned trainer inherits it
    with qtbot.waitSignal(client.sig_failed, timeout=START_MS) as failed:
        client.start(TINY)
    assert "python main.py data fetch" in failed.args[0] and "\n" not in failed.args[0]
    qtbot.waitUntil(lambda: not client.running(), timeout=10_000)


def test_how_a_process_ended_reads():
    assert ended_line(-9) == "killed by SIGKILL" and ended_line(1) == "exit status 1"
