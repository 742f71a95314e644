"""The cyclic garbage collector paused while a large page or aggregate is built (issue 15)."""

import gc
import threading

import pytest

from networks.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_for_the_build_and_runs_again_after_it():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_runs_again_when_the_build_fails():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("the page failed")
    assert gc.isenabled()


def test_a_view_decorated_with_the_pause_builds_without_the_collector():
    @collector_paused()
    def view():
        return gc.isenabled()

    assert view() is False and gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_builds_in_two_threads_keep_it_paused_until_both_end():
    first_inside, second_inside, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_inside.set()
            first_may_end.wait(5)
        seen["after first"] = gc.isenabled()
        second_inside.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collector_paused():
        first_may_end.set()
        thread.join(5)
        # The first build ended while this one still runs: the collector stays paused.
        assert seen["after first"] is False and not gc.isenabled()
        second_inside.set()
    assert gc.isenabled()
