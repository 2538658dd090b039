"""Read index segments from their memory map without copying and without system calls.

whoosh3 wraps each file it opens in a mapped segment in BytesIO, copying it (a postings file is
hundreds of megabytes) on every open. Reading through a plain file instead makes every block read a
system call, and each one lets go of the GIL: under concurrent requests a thread then waits for the
others' switch interval at every read, and a search of a few hundred reads takes seconds. Reading
straight from the map avoids both.
"""

from __future__ import annotations

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class ViewReader:
    """A read-only file over a memoryview: read, peek, readline, seek and tell, copying only what is read."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = end
        return self._view[start:end].tobytes()

    def peek(self, size: int = 1) -> bytes:
        # pickle.load reads a whole header in one go when it can peek.
        return self._view[self._pos:self._pos + min(max(size, 1), 4096)].tobytes()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        rest = self._view[self._pos:].tobytes() if size is None or size < 0 else \
            self._view[self._pos:self._pos + size].tobytes()
        end = rest.find(b"\n")
        line = rest if end < 0 else rest[:end + 1]
        self._pos += len(line)
        return line

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, position: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + position)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        try:
            self._view.release()
        except (ValueError, BufferError):
            pass


class MappedBufferFile(BufferFile):
    """whoosh3's BufferFile reading straight from its buffer instead of a BytesIO copy of it."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = ViewReader(memoryview(buf))


def install() -> None:
    """Make whoosh's compound (segment) storage open mapped files without copying them."""
    compound.BufferFile = MappedBufferFile
