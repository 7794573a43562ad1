"""The GUI's one background-job runner: worker threads, one job at a time each, newest request wins.

Every view that needs work off the GUI thread (the live prediction, Explore, the replay's
timeline, the test-set browser, top examples) goes through one :class:`Scheduler`, after
Orange3's ``ConcurrentMixin``: a job is a plain function, data in and data out, that never
touches a widget; the view only submits it and handles the answer.

- A job goes into a named *slot*. A slot holds at most one waiting job, so a newer request
  replaces an older one that has not started yet: a burst of pen movement coalesces into one
  job instead of a queue. An answer is delivered only if nothing newer was asked of its slot
  since (a stale drawing is never shown).
- Jobs run on *lanes*, each a worker thread running one job at a time; when a lane is free the
  waiting job with the highest priority goes next (ties: the one asked first). Long jobs (a
  pass over 10,000 test images) get a lane of their own so that live drawing never waits for
  them.
- A job that raises does not take its thread down: the one-line message goes to its
  ``on_error``.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from model.errors import one_line


class WorkerThread(QThread):
    """A QThread whose event loop runs inside one Python call.

    With a plain QThread every queued slot call gets a fresh Python thread state, so
    ``threading.local`` data does not survive from one call to the next; TensorFlow keeps its
    graph-building context there, and tracing a second model then crashes the process. Running
    ``exec()`` from a Python ``run()`` keeps one thread state for the thread's whole life.
    """

    def run(self) -> None:
        self.exec()


@dataclass
class Job:
    id: int
    slot: str
    fn: Callable
    args: tuple
    priority: int
    on_done: Callable[[object], None]
    on_error: Callable[[str], None] | None
    on_progress: Callable[[int, int], None] | None


class _Runner(QObject):
    """Lives in a lane's thread and runs what it is given. Never touches a widget."""

    sig_finished = Signal(int, object, str)
    """(job id, the job's return value, one-line error or "")."""

    sig_progress = Signal(int, int, int)
    """(job id, done, in all)."""

    @Slot(object)
    def run(self, job: Job) -> None:
        kwargs = {}
        if job.on_progress is not None:
            kwargs["progress"] = lambda done, total: self.sig_progress.emit(job.id, done, total)
        try:
            value, error = job.fn(*job.args, **kwargs), ""
        except Exception as exc:  # a job must never take its thread down
            value, error = None, one_line(exc) or type(exc).__name__
        self.sig_finished.emit(job.id, value, error)


class _Lane(QObject):
    """One worker thread and what waits for it."""

    sig_run = Signal(object)

    def __init__(self, name: str, parent: QObject):
        super().__init__(parent)
        self.running: Job | None = None
        self.waiting: dict[str, Job] = {}
        self.thread = WorkerThread()
        self.thread.setObjectName(f"sketchscope-{name}")
        self.runner = _Runner()
        self.runner.moveToThread(self.thread)
        self.thread.finished.connect(self.runner.deleteLater)
        self.sig_run.connect(self.runner.run)
        self.thread.start()


# The worker threads share the GIL with the GUI thread, and Qt's calls release it: a GUI thread
# that emits or paints while a job runs Python waits for the interpreter's switch interval to get
# it back. Python's default of 5 ms is a dropped frame per stroke; a tenth of it is not.
SWITCH_INTERVAL_S = 0.0005


class Scheduler(QObject):
    """Runs plain functions on worker threads, newest request per slot winning."""

    def __init__(self, lanes: tuple[str, ...] = ("live",), parent: QObject | None = None):
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._ids = itertools.count(1)
        self._newest: dict[str, int] = {}  # slot -> the id of the newest job asked of it
        self._jobs: dict[int, Job] = {}  # running or waiting
        self._lanes = {name: _Lane(name, self) for name in lanes}
        for lane in self._lanes.values():
            lane.runner.sig_finished.connect(self._on_finished)
            lane.runner.sig_progress.connect(self._on_progress)
        app = QCoreApplication.instance()
        if app is not None:  # a safety net: the owner should call shutdown() itself
            app.aboutToQuit.connect(self.shutdown)

    def submit(self, slot: str, fn: Callable, *args, on_done: Callable[[object], None],
               on_error: Callable[[str], None] | None = None,
               on_progress: Callable[[int, int], None] | None = None,
               lane: str = "live", priority: int = 0) -> int:
        """Run ``fn(*args)`` (plus ``progress=`` when ``on_progress`` is given) on ``lane``,
        replacing any job still waiting in ``slot``; ``on_done(value)`` or ``on_error(line)``
        follow in the GUI thread unless ``slot`` was asked again meanwhile. Returns the job id."""
        job = Job(next(self._ids), slot, fn, args, priority, on_done, on_error, on_progress)
        target = self._lanes[lane]
        replaced = target.waiting.pop(slot, None)
        if replaced is not None:
            self._jobs.pop(replaced.id, None)
        target.waiting[slot] = job
        self._jobs[job.id] = job
        self._newest[slot] = job.id
        self._pump(target)
        return job.id

    def cancel(self, slot: str) -> None:
        """Forget ``slot``: a waiting job never runs, a running one's answer is dropped."""
        self._newest.pop(slot, None)
        for lane in self._lanes.values():
            job = lane.waiting.pop(slot, None)
            if job is not None:
                self._jobs.pop(job.id, None)

    def pending(self, slot: str) -> bool:
        """A job of ``slot`` is waiting or running and its answer will be delivered."""
        return self._newest.get(slot) in self._jobs

    def shutdown(self) -> None:
        """Stop every lane (after the jobs in flight finish); nothing is delivered afterwards."""
        self._newest.clear()
        for lane in self._lanes.values():
            lane.waiting.clear()
            if lane.thread.isRunning():
                lane.thread.quit()
                lane.thread.wait()

    def _pump(self, lane: _Lane) -> None:
        if lane.running is not None or not lane.waiting:
            return
        job = max(lane.waiting.values(), key=lambda j: (j.priority, -j.id))
        del lane.waiting[job.slot]
        lane.running = job
        lane.sig_run.emit(job)

    def _current(self, job_id: int) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and self._newest.get(job.slot) == job_id else None

    def _on_progress(self, job_id: int, done: int, total: int) -> None:
        job = self._current(job_id)
        if job is not None and job.on_progress is not None:
            job.on_progress(done, total)

    def _on_finished(self, job_id: int, value: object, error: str) -> None:
        job = self._current(job_id)
        finished = self._jobs.pop(job_id, None)
        for lane in self._lanes.values():
            if lane.running is not None and lane.running.id == job_id:
                lane.running = None
                self._pump(lane)
        if job is None or finished is None:
            return
        del self._newest[job.slot]
        if error:
            if job.on_error is not None:
                job.on_error(error)
        else:
            job.on_done(value)
