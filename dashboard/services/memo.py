"""Results that change only when the database is written, kept in memory until the next write.

The key includes ``db.generation``, which every committed transaction bumps in the database itself
(``write_generation``), so a write through any process or app server makes the cached value stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from ..storage.db import Database

_SIZE = 64
_store: OrderedDict = OrderedDict()
_lock = threading.Lock()


def memoised(db: Database, name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
    full = (str(db.path), db.generation, name, key)
    with _lock:
        if full in _store:
            _store.move_to_end(full)
            return _store[full]
    value = compute()
    with _lock:
        _store[full] = value
        while len(_store) > _SIZE:
            _store.popitem(last=False)
    return value
