"""Timetables are built once per thread and reused (`timetable_from`): a DAG sync
re-reads the schedule on every sync, and parsing a cron expression was half its CPU."""

from __future__ import annotations

import threading

from kairflow.core.run_info import Timetable
from kairflow.core.timetable import timetable_from


def test_the_same_schedule_is_parsed_once_per_thread() -> None:
    first = timetable_from("*/5 * * * *", "Europe/Paris")
    assert timetable_from("*/5 * * * *", "Europe/Paris") is first
    assert timetable_from("*/5 * * * *", "UTC") is not first  # another zone


def test_another_thread_gets_a_timetable_of_its_own() -> None:
    # A CronSchedule moves one croniter iterator around: sharing one across threads
    # would let two threads move it at once.
    mine = timetable_from("0 3 * * *", "UTC")
    theirs: list[Timetable] = []
    worker = threading.Thread(target=lambda: theirs.append(timetable_from("0 3 * * *", "UTC")))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine
    assert theirs[0].description == mine.description
