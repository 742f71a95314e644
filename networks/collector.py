"""Building a large page or aggregate without Python's cyclic garbage collector in the way.

A network's matrix is half a million dicts and lists, a network's page tens of thousands: all
alive until the response is written, none in a reference cycle. While they are built, the
collector runs again and again, each full pass walking everything built so far, and finds
nothing to free; on a cold matrix that was two thirds of building it (issue 15). Paused for the
build, it runs once afterwards. Reference counting still frees acyclic garbage at once, so a
pause delays only the collection of cycles.
"""

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0
_resume = False


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while the block (or the decorated function) runs,
    then restore it as it was. Nested and concurrent pauses (a threaded server) hold it paused
    until the last one ends."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
