"""Python's cyclic garbage collector paused while the QA stage allocates.

Records and their parts hold no reference cycles (reference counting frees them), yet making
or unpickling thousands of them sets off collections that walk every live container: about
5 % of making a house's records, and 4/5 of unpickling the records workers send back. Cyclic
garbage made meanwhile (a view and its scopes refer to each other) is collected after.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Disable the collector inside the block; restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
