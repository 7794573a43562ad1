"""The one scheduler: plain functions on worker threads, newest request per slot winning."""

import threading

from PySide6.QtCore import QThread

from gui.scheduler import Scheduler


def _gate_job(gate: threading.Event, value):
    assert gate.wait(20), "the test never opened the gate"
    return value


def test_a_job_runs_off_the_gui_thread_and_answers_in_it(qtbot):
    scheduler = Scheduler()
    answers, threads = [], []
    try:
        scheduler.submit("a", lambda: QThread.currentThread(),
                         on_done=lambda t: (answers.append(t), threads.append(QThread.currentThread())))
        qtbot.waitUntil(lambda: bool(answers))
    finally:
        scheduler.shutdown()
    assert answers[0] is not QThread.currentThread() and threads[0] is QThread.currentThread()


def test_only_the_newest_request_of_a_slot_is_answered_and_waiting_ones_never_run(qtbot):
    scheduler = Scheduler()
    gate, ran, answers = threading.Event(), [], []
    try:
        scheduler.submit("live", _gate_job, gate, "first", on_done=answers.append)
        for name in ("second", "third", "fourth"):
            scheduler.submit("live", lambda n=name: ran.append(n) or n, on_done=answers.append)
        gate.set()
        qtbot.waitUntil(lambda: bool(answers))
        qtbot.wait(50)
    finally:
        scheduler.shutdown()
    assert answers == ["fourth"]  # the first was stale when it finished; 2 and 3 were replaced
    assert ran == ["fourth"]


def test_the_waiting_job_with_the_highest_priority_goes_next(qtbot):
    scheduler = Scheduler()
    gate, order = threading.Event(), []
    try:
        scheduler.submit("busy", _gate_job, gate, None, on_done=lambda _v: None)
        for slot, priority in (("low", 0), ("high", 9), ("middle", 5), ("middle too", 5)):
            scheduler.submit(slot, lambda s=slot: s, on_done=order.append, priority=priority)
        gate.set()
        qtbot.waitUntil(lambda: len(order) == 4)
    finally:
        scheduler.shutdown()
    assert order == ["high", "middle", "middle too", "low"]  # ties: the one asked first


def test_a_long_job_on_another_lane_does_not_hold_up_the_live_lane(qtbot):
    scheduler = Scheduler(("live", "batch"))
    gate, answers = threading.Event(), []
    try:
        scheduler.submit("slow", _gate_job, gate, "slow", on_done=answers.append, lane="batch")
        scheduler.submit("quick", lambda: "quick", on_done=answers.append)
        qtbot.waitUntil(lambda: answers == ["quick"])
        gate.set()
        qtbot.waitUntil(lambda: answers == ["quick", "slow"])
    finally:
        gate.set()
        scheduler.shutdown()


def test_a_failing_job_reports_one_line_and_the_thread_lives_on(qtbot):
    scheduler = Scheduler()
    errors, answers = [], []

    def boom():
        raise ValueError("bad input\nwith a traceback-like tail")

    try:
        scheduler.submit("a", boom, on_done=answers.append, on_error=errors.append)
        qtbot.waitUntil(lambda: bool(errors))
        scheduler.submit("a", lambda: 42, on_done=answers.append)
        qtbot.waitUntil(lambda: bool(answers))
    finally:
        scheduler.shutdown()
    assert errors == ["bad input"] and answers == [42]


def test_progress_and_cancel(qtbot):
    scheduler = Scheduler()
    progress, answers = [], []

    def counting(progress):
        for done in (1, 2, 3):
            progress(done, 3)
        return "done"

    try:
        scheduler.submit("count", counting, on_done=answers.append,
                         on_progress=lambda d, t: progress.append((d, t)))
        qtbot.waitUntil(lambda: bool(answers))
        gate = threading.Event()
        scheduler.submit("gated", _gate_job, gate, "late", on_done=answers.append)
        assert scheduler.pending("gated")
        scheduler.cancel("gated")
        assert not scheduler.pending("gated")
        gate.set()
        qtbot.wait(100)
    finally:
        scheduler.shutdown()
    assert progress == [(1, 3), (2, 3), (3, 3)] and answers == ["done"]


def test_the_worker_thread_keeps_its_thread_locals_between_jobs(qtbot):
    """TensorFlow keeps graph-building state in thread locals; losing them between two model
    loads crashed the app (a plain QThread gives every slot call a new Python thread state)."""
    local = threading.local()
    seen = []

    def job():
        local.count = getattr(local, "count", 0) + 1
        return threading.get_ident(), local.count

    scheduler = Scheduler()
    try:
        scheduler.submit("one", job, on_done=seen.append)
        scheduler.submit("two", job, on_done=seen.append)
        qtbot.waitUntil(lambda: len(seen) == 2)
    finally:
        scheduler.shutdown()
    assert sorted(count for _, count in seen) == [1, 2]
    assert seen[0][0] == seen[1][0] != threading.get_ident()
