"""The app's handle on the live trainer process: start it, command it, hear from it.

The trainer (``model.training.live.trainer_main``) runs in a process started with
multiprocessing's "spawn" context: TensorFlow's threads do not survive a fork, and the app's
own process never imports TensorFlow for it. Commands go out on a multiprocessing queue (its
feeder thread does the writing: ``send`` never blocks the GUI thread); events come back on a
pipe whose only writer is the trainer, so its death is an end-of-file, not a hang.

A reader thread (:class:`_Reader`) receives the events and only emits signals: the GUI thread
never waits on the trainer. Answers to worker threads' questions (:meth:`TrainerClient.ask`,
the live view following the network in training) go straight back to the asking thread.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import signal
import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from model.errors import ModelError, one_line
from model.training.live_protocol import Answer, Ask, Failed, LiveConfig, Quit

ASK_TIMEOUT_S = 10.0  # a step takes a fraction of a second; a save may take a few
QUIT_WAIT_S = 0.3  # a trainer between two steps leaves at once; one busy (loading, saving) is ended
END_WAIT_S = 2.0  # how long an ended trainer may take to go


def ended_line(exitcode: int | None) -> str:
    """Why a trainer process ended, in words."""
    if exitcode is None:
        return "it does not answer"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


class _Reader(QThread):
    """Receives the trainer's events until the pipe closes. Never touches a widget."""

    sig_event = Signal(int, object)
    """(run, an event from the trainer (``model.training.live_protocol``))."""

    sig_closed = Signal(int)
    """(run): the pipe closed, the trainer process has ended."""

    def __init__(self, run: int, connection, on_answer, process):
        super().__init__()
        self._run = run
        self._connection = connection
        self._on_answer = on_answer
        self._process = process

    def run(self) -> None:
        while True:
            try:
                message = self._connection.recv()
            except (EOFError, OSError):
                break
            except Exception:  # a message cut short by a kill does not unpickle
                break
            if isinstance(message, Answer):
                self._on_answer(message)
            else:
                self.sig_event.emit(self._run, message)
        self._connection.close()
        self._process.join(END_WAIT_S)  # it closed the pipe as it left: at once, or nearly
        self.sig_closed.emit(self._run)


class TrainerClient(QObject):
    """One trainer process at a time: start, send, ask, shut down."""

    sig_event = Signal(object)
    """An event from the trainer (``Status``, ``Started``, ``Report``, ``DrawingAnswer``,
    ``State``, ``Saved``, ``SaveFailed``)."""

    sig_failed = Signal(str)
    """The trainer cannot go on, or its process died: one line for the user."""

    sig_ended = Signal()
    """The trainer process has ended (quit, failed or died); ``running()`` is False."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._process = None
        self._commands = None
        self._reader: _Reader | None = None
        self._quitting = False
        self._failed = False
        self._run = 0  # which process the reader's signals are about
        self._ids = itertools.count(1)
        self._waiting: dict[int, queue.Queue] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the process

    def start(self, config: LiveConfig) -> bool:
        """Start a trainer for ``config`` (ending any before it). False, with ``sig_failed``,
        when no process could be started."""
        from model.training.live import trainer_main  # NumPy only: TensorFlow stays in the child

        self.shutdown()
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        commands = context.Queue()
        commands.cancel_join_thread()  # leaving the app never waits on a dead trainer's queue
        process = context.Process(target=trainer_main, args=(config, commands, send),
                                  name="sketchscope-trainer", daemon=True)
        try:
            process.start()
        except OSError as exc:
            receive.close()
            send.close()
            self.sig_failed.emit(f"Cannot start the trainer: {one_line(exc)}")
            return False
        finally:
            send.close()  # the trainer holds the only writing end now: its death is an EOF
        self._process, self._commands = process, commands
        self._quitting, self._failed = False, False
        self._run += 1
        self._reader = _Reader(self._run, receive, self._on_answer, process)
        self._reader.sig_event.connect(self._on_event)  # queued: the client lives in the GUI thread
        self._reader.sig_closed.connect(self._on_closed)
        self._reader.start()
        return True

    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def send(self, command) -> None:
        """Queue ``command`` for the trainer (dropped when there is none)."""
        if self._commands is not None and self.running():
            try:
                self._commands.put(command)
            except (OSError, ValueError):  # the queue is closed: the trainer is gone
                pass

    def shutdown(self) -> None:
        """Ask the trainer to leave, end it if it does not within QUIT_WAIT_S, and forget it."""
        process, reader = self._process, self._reader
        if process is None:
            return
        self._quitting = True
        self.send(Quit())
        process.join(QUIT_WAIT_S)
        if process.is_alive():
            process.terminate()  # what a save was building is left hidden, and removed later
            process.join(END_WAIT_S)
        if process.is_alive():
            process.kill()
            process.join()
        if reader is not None:
            reader.wait()  # the pipe closed with the process: it has left its loop
        self._run += 1  # what the reader said and is still queued is about a trainer now gone
        self._fail_waiting("the trainer has stopped")
        if self._commands is not None:
            self._commands.close()
        self._process, self._commands, self._reader = None, None, None
        self.sig_ended.emit()

    # ------------------------------------------------------------ questions from worker threads

    def ask(self, what: str, images: np.ndarray | None = None, masks: np.ndarray | None = None,
            timeout: float = ASK_TIMEOUT_S) -> list:
        """The trainer's answer to ``what`` ("forward", "kernels"), from any thread but the GUI's
        (it waits). ModelError (one line) when there is no trainer or it does not answer."""
        box: queue.Queue = queue.Queue(maxsize=1)
        ask_id = next(self._ids)
        with self._lock:
            self._waiting[ask_id] = box
        try:
            if not self.running():
                raise ModelError("the network in training is gone (its trainer has stopped)")
            self.send(Ask(ask_id, what, images, masks))
            try:
                answer: Answer = box.get(timeout=timeout)
            except queue.Empty:
                raise ModelError("the trainer did not answer in time") from None
        finally:
            with self._lock:
                self._waiting.pop(ask_id, None)
        if answer.error:
            raise ModelError(answer.error)
        return answer.values

    def _on_answer(self, answer: Answer) -> None:  # the reader thread
        with self._lock:
            box = self._waiting.get(answer.id)
        if box is not None:
            box.put(answer)

    def _fail_waiting(self, why: str) -> None:
        with self._lock:
            waiting = list(self._waiting.items())
        for ask_id, box in waiting:
            box.put(Answer(ask_id, error=why))

    # ------------------------------------------------------------ events (GUI thread)

    def _on_event(self, run: int, message) -> None:
        if run != self._run:
            return
        if isinstance(message, Failed):
            self._failed = True
            self.sig_failed.emit(message.message)
        else:
            self.sig_event.emit(message)

    def _on_closed(self, run: int) -> None:
        """The pipe closed: the process has ended. Unasked, that is a failure."""
        process, reader = self._process, self._reader
        if run != self._run or process is None or self._quitting:
            return
        reader.wait()  # it is leaving run() now; a QThread must not go while it runs
        self._fail_waiting("the trainer has stopped")
        if not self._failed:
            self.sig_failed.emit(f"The trainer stopped unexpectedly ({ended_line(process.exitcode)}); "
                                 "the app goes on with its own models")
        self._process, self._reader = None, None
        if self._commands is not None:
            self._commands.close()
            self._commands = None
        self.sig_ended.emit()
