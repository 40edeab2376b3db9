"""Caches of byte strings bounded by their total size: a thread-safe LRU in the process, files in a directory
shared by processes, and both in tiers (no Flask, no database)."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from pathlib import Path
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ByteLRU:
    """Values are bytes; the least recently used are dropped once their sizes add up to more than `max_bytes`.
    A value larger than a quarter of the bound is never kept (it would push out everything else)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        if len(value) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The cached value, or `make()` stored (two threads missing at once both make it; the last one stays)."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)


class FileCache:
    """Byte strings in files of one directory, named by a hash of their key, shared by every process that uses
    the directory (gunicorn's workers): written to a temporary file and renamed, so a reader sees a whole value
    or none. Bounded by `max_bytes`: after a write, the least recently written files beyond it are removed."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int):
        self.directory = Path(directory)
        self.max_bytes = max_bytes

    def _path(self, key: Hashable) -> Path:
        return self.directory / (hashlib.sha256(repr(key).encode()).hexdigest() + ".bin")

    def get(self, key: Hashable) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def put(self, key: Hashable, value: bytes) -> None:
        if len(value) > self.max_bytes // 4:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)    # feeds name people's broadcasts
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(value)
            os.replace(tmp, self._path(key))
            self._trim()
        except OSError:     # a full or read-only disk: the feed is still served, only not kept
            return

    def _trim(self) -> None:
        files = []
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".bin"):
                with contextlib.suppress(OSError):
                    stat = entry.stat()
                    files.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                os.remove(path)
            total -= size


class TieredCache:
    """This process's LRU in front of a directory shared by the processes; a value is made once per key and
    process at a time (concurrent requests for the same missing key wait for the first to make it)."""

    def __init__(self, memory: ByteLRU, files: FileCache | None = None):
        self.memory, self.files = memory, files
        self._making: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        value = self.memory.get(key)
        if value is not None:
            return value
        with self._guard:
            lock = self._making.setdefault(key, threading.Lock())
        try:
            with lock:
                value = self.memory.get(key)
                if value is None and self.files is not None:
                    value = self.files.get(key)
                    if value is not None:
                        self.memory.put(key, value)
                if value is None:
                    value = make()
                    self.memory.put(key, value)
                    if self.files is not None:
                        self.files.put(key, value)
                return value
        finally:
            with self._guard:
                self._making.pop(key, None)
