"""The one door to Whoosh's internals: every private name the project reads, checked when imported.

The evaluator reads posting blocks whole, highlights seek inside term vectors, and segment files are
opened without mmap; each needs a name whoosh3 does not promise to keep (the block matcher's
`_data`, `_ids`, `_next_block` …, `FilterMatcher._ids`, `SubFile._offset`, `scorer._score`,
`whoosh.system._INT_SIZE`). They are used here and nowhere else, and this module refuses to load
against any whoosh3 but the pinned one, or one missing any of them, instead of scoring wrongly.
"""

from __future__ import annotations

import io
from bisect import bisect_left
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeGuard

from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.fields import TEXT, Schema
from whoosh.filedb.compound import SubFile
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import Index
from whoosh.matching import FilterMatcher, ListMatcher, Matcher
from whoosh.scoring import BM25FScorer, WeightLengthScorer
from whoosh.system import _INT_SIZE, pack_uint

PINNED_VERSION = "3.54.0"  # keep equal to the whoosh3 pin in pyproject.toml

INT_SIZE: int = _INT_SIZE
__all__ = [
    "INT_SIZE",
    "PINNED_VERSION",
    "BM25FScorer",
    "WhooshMismatch",
    "block_max_id",
    "block_postings",
    "block_values",
    "is_block_matcher",
    "next_block",
    "open_file_index",
    "pack_uint",
    "raw_score",
    "read_whole_block",
    "seek_vector",
    "unwrap_deletions",
    "writer_codec",
]

# What each class must have, read from the class itself; instance attributes are checked on live
# objects by _self_test below.
_CLASS_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    W3LeafMatcher: (
        "_read_data",
        "_read_ids",
        "_read_weights",
        "_read_values",
        "_next_block",
        "block_max_id",
        "is_active",
    ),
    BM25FScorer: ("_score",),
    WeightLengthScorer: ("_score",),
    SubFile: ("seek", "read"),
}
_MATCHER_ATTRIBUTES = ("_data", "_ids", "_weights", "_values", "_blocklength", "_byteids", "_maxid", "_i")
_SUBFILE_ATTRIBUTES = ("_file", "_offset", "_length", "_pos")


class WhooshMismatch(ImportError):
    """The installed whoosh3 is not the one whose internals this module was written against."""


def _fail(problem: str) -> WhooshMismatch:
    return WhooshMismatch(
        f"minutes reads whoosh3 {PINNED_VERSION}'s internals, but {problem}. Install the pinned version "
        f"(pip install 'whoosh3=={PINNED_VERSION}'), or to move to another one, check every name in "
        f"indexer/index/whoosh_compat.py against it, update PINNED_VERSION and the pin in pyproject.toml, "
        f"and run the equivalence tests (tests/test_equivalence.py)."
    )


def _check_version() -> None:
    try:
        installed = version("whoosh3")
    except PackageNotFoundError as error:
        raise _fail("the whoosh3 distribution is not installed") from error
    if installed != PINNED_VERSION:
        raise _fail(f"whoosh3 {installed} is installed")


def _check_classes() -> None:
    for cls, names in _CLASS_ATTRIBUTES.items():
        missing = [name for name in names if not hasattr(cls, name)]
        if missing:
            raise _fail(f"{cls.__module__}.{cls.__qualname__} has no {', '.join(missing)}")


def _self_test() -> None:
    """Build a tiny index in memory and check every instance attribute this module reads."""
    subfile = SubFile(io.BytesIO(b"0123456789"), 2, 6)
    missing = [name for name in _SUBFILE_ATTRIBUTES if not hasattr(subfile, name)]
    if missing:
        raise _fail(f"SubFile objects have no {', '.join(missing)}")
    deletions = FilterMatcher(ListMatcher([1, 2]), frozenset({2}), exclude=True)
    if not (hasattr(deletions, "_ids") and hasattr(deletions, "child")):
        raise _fail("FilterMatcher objects have no _ids or child")
    ix = RamStorage().create_index(Schema(text=TEXT(vector=True)))
    with ix.writer() as writer:
        writer.add_document(text="alpha beta alpha")
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("text", "alpha")
        vector = searcher.vector(0, "text")
        scorer = searcher.weighting.scorer(searcher, "text", "alpha")
        for name, live in (("posting", matcher), ("term vector", vector)):
            if not isinstance(live, W3LeafMatcher):
                raise _fail(f"a {name} matcher is a {type(live).__name__}, not W3LeafMatcher")
            live._read_data()
            missing = [name for name in _MATCHER_ATTRIBUTES if not hasattr(live, name)]
            if missing:
                raise _fail(f"W3LeafMatcher objects have no {', '.join(missing)}")
        if type(scorer) is BM25FScorer and not all(hasattr(scorer, a) for a in ("idf", "avgfl", "B", "K1")):
            raise _fail("BM25FScorer objects have no idf, avgfl, B or K1")


def _subfile_peek(self: SubFile, size: int = 1) -> bytes:
    """Return up to 4 KB from the current position without moving it."""
    size = min(max(size, 1), 4096, self._length - self._pos)
    if size <= 0:
        return b""
    self._file.seek(self._offset + self._pos)
    data: bytes = self._file.read(size)
    return data


_check_version()
_check_classes()
_self_test()

# whoosh3 reads every posting block's header with pickle.load from a SubFile of the segment; with no
# peek() the unpickler reads it a byte or two at a time (about 20 reads per header), with one in one go.
SubFile.peek = _subfile_peek  # type: ignore[attr-defined]


def open_file_index(path: Path) -> Index:
    """Open the index in a folder for reading, without mmap.

    whoosh3 copies each file it opens out of a mapped segment into memory (BufferFile wraps the view
    in BytesIO), which made every search copy hundreds of megabytes. Reading from the map without
    copies was tried too: no faster, and it counts every thread's mapped pages as resident memory.
    """
    return FileStorage(str(path), supports_mmap=False, readonly=True).open_index()


def writer_codec(blocklimit: int | None) -> W3Codec | None:
    """Return a codec writing posting blocks of at most `blocklimit` postings (None: Whoosh's 128)."""
    return None if blocklimit is None else W3Codec(blocklimit=blocklimit)


def unwrap_deletions(matcher: Matcher) -> tuple[Matcher, frozenset[int] | None]:
    """Return (the matcher under a reader's deletion filter, the deleted document numbers or None)."""
    if isinstance(matcher, FilterMatcher):  # how a reader hides deleted documents
        return matcher.child, matcher._ids
    return matcher, None


def is_block_matcher(matcher: Matcher) -> TypeGuard[W3LeafMatcher]:
    """Say whether the matcher is whoosh3's block reader, whose blocks the functions below read."""
    return isinstance(matcher, W3LeafMatcher)


def read_whole_block(matcher: W3LeafMatcher) -> tuple[Sequence[int], Sequence[float], int, bool]:
    """Return the current block's (ids, weights, count, ids_are_deltas) as stored: weights may be
    given as one float for every posting or None for 1.0, and ids as deltas unless byte ids."""
    matcher._read_data()
    # _read_data has just loaded the block; its length was read with its header.
    assert matcher._data is not None and matcher._blocklength is not None
    ids, weights = matcher._data[0], matcher._data[1]
    if weights is None or isinstance(weights, float):
        weights = [1.0 if weights is None else weights] * matcher._blocklength
    return ids, weights, matcher._blocklength, not matcher._byteids


def block_values(matcher: W3LeafMatcher) -> Sequence[bytes]:
    """Return the current block's encoded values."""
    matcher._read_values()
    assert matcher._values is not None  # _read_values has just set it
    values: Sequence[bytes] = matcher._values
    return values


def block_postings(matcher: W3LeafMatcher, values: bool) -> tuple[Sequence[int], Sequence[float], Sequence[Any] | None]:
    """Return the current block's decoded (ids, weights, values or None)."""
    matcher._read_ids()
    matcher._read_weights()
    if values:
        matcher._read_values()
    assert matcher._ids is not None and matcher._weights is not None  # _read_ids and _read_weights have just set them
    return matcher._ids, matcher._weights, matcher._values if values else None


def block_max_id(matcher: W3LeafMatcher) -> Any:
    """Return the last id of the current block (a document number, or a term in a vector)."""
    return matcher._maxid


def next_block(matcher: W3LeafMatcher) -> None:
    """Move to the next block, reading its header only."""
    matcher._next_block()


def seek_vector(vector: W3LeafMatcher, key: str) -> None:
    """Move a term-vector matcher to the first term ≥ key: the block by its last term, then the term
    in it by bisection (whoosh3's skip_to walks a block one term at a time)."""
    while vector.is_active() and vector.block_max_id() < key:
        vector._next_block()
    if not vector.is_active():
        return
    if vector._ids is None:
        vector._read_ids()
    assert vector._ids is not None  # read just above if it was not yet
    vector._i = max(vector._i, bisect_left(vector._ids, key, vector._i))


def raw_score(scorer: Any) -> Callable[[float, int], float] | None:
    """Return the scorer's function of (weight, field length), without the matcher it usually reads;
    None for a scorer that needs more than those two."""
    if not isinstance(scorer, WeightLengthScorer):
        return None
    score: Callable[[float, int], float] = scorer._score
    return score
