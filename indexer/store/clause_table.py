"""A generation's clause table read from disk on demand: clauses.jsonl read by row (pread), one row decoded when asked,
and only small columns in memory (line offsets, each row's document, section code, id and key hashes).

A million clauses held as Python dicts took about 2 GB and ten seconds to parse at every open; here they cost the
columns (~40 bytes a row); the rows a query reads are read with pread (RowFile), so they stay in the page cache,
not in the process. The columns are written beside clauses.jsonl at
build time (table/); a generation written before them, or whose columns do not fit its clauses.jsonl, has them
computed by one pass over the file instead, which is what opening an index cost before.

Normalised texts for phrase search are kept in table/phrases.txt (UTF-8, rows joined by NUL): a phrase query is a
byte search of the file read in chunks, and since UTF-8 is self-synchronising a match always starts on a character.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import orjson

from indexer.keywords import normalise
from indexer.store.known import digest
from indexer.store.records import is_bare_heading

TABLE = "table"  # the folder of a generation that holds the columns
COLUMNS = ("offsets", "doc_index", "section_code", "id_hash", "key_hash", "bare", "phrase_starts")
DECODED = 65_536  # rows kept decoded in a large table, newest kept (~100 MB): popular rows are read again
SMALL = 64 * 2**20  # a clauses.jsonl below this size keeps every row it decoded (as a whole parse would)
SEP = b"\x00"
TABLE_VERSION = 1  # raise when a column's meaning or the phrase file's normalising (keywords.normalise) changes


def name_hash(names: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each clause id or key (a lookup verifies the row it finds)."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")
                        for s in names), dtype=np.uint64, count=len(names))


def _columns(records: Sequence[dict], doc_ids: Sequence[str], lengths: Sequence[int],
             known: dict[str, bytes] | None = None) -> tuple[dict, list, bytes]:
    """The columns, the distinct sections and the phrase file of these rows (`lengths`: their clauses.jsonl lines'
    sizes in bytes); `known`: the phrase text of content keys a previous generation already normalised."""
    pos = {d: j for j, d in enumerate(doc_ids)}
    sections: dict[tuple, int] = {}
    code = np.fromiter((sections.setdefault(tuple(r["section"]), len(sections)) for r in records), np.int32,
                       count=len(records))
    parents = {r["parent_id"] for r in records if r["parent_id"]}
    known = known or {}
    phrases = [known.get(r["key"]) or normalise(r["text"]).encode("utf-8") for r in records]
    cols = {
        "offsets": np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
        "doc_index": np.fromiter((pos[r["doc_id"]] for r in records), np.int32, count=len(records)),
        "section_code": code,
        "id_hash": name_hash([r["clause_id"] for r in records]),
        "key_hash": name_hash([r["key"] for r in records]),
        "bare": np.array([i for i, r in enumerate(records) if r["clause_id"] in parents and is_bare_heading(r)],
                         np.int64),
        "phrase_starts": np.concatenate([[0], np.cumsum([len(p) + 1 for p in phrases], dtype=np.int64)]),
    }
    return cols, [list(s) for s in sections], SEP.join(phrases)


def write_table(folder: Path, records: Sequence[dict], doc_ids: Sequence[str], previous: Path | None = None) -> str:
    """Write clauses.jsonl and its columns into a generation being written; returns clauses.jsonl's checksum.
    `previous`: the live generation, whose phrase texts are reused by content key (a build normalises new rows only).
    """
    data, lengths = bytearray(), []
    for r in records:  # orjson: twice json's speed; each line freed at once (a list of orjson's bytes held 8.6 GB
        line = orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE)  # for 769 MB of lines at 1M: over-sized buffers)
        data += line
        lengths.append(len(line))
    (folder / "clauses.jsonl").write_bytes(data)
    cols, sections, phrases = _columns(records, doc_ids, lengths, _known_phrases(previous))
    table = folder / TABLE
    table.mkdir()
    for name, arr in cols.items():
        np.save(table / f"{name}.npy", arr, allow_pickle=False)
    (table / "table.json").write_text(json.dumps({"version": TABLE_VERSION, "sections": sections},
                                                 ensure_ascii=False), encoding="utf-8")
    (table / "phrases.txt").write_bytes(phrases)
    return digest(data)


def _known_phrases(previous: Path | None) -> dict[str, bytes]:
    """Content key → phrase text of a previous generation's rows ({} when it has no usable table)."""
    if previous is None:
        return {}
    try:
        cols = _read_columns(previous / TABLE, (previous / "clauses.jsonl").stat().st_size)
        keys = json.loads((previous / "keys.json").read_text(encoding="utf-8"))
        phrases = (previous / TABLE / "phrases.txt").read_bytes()
    except (OSError, ValueError):
        return {}
    if cols is None or len(keys) != len(cols["doc_index"]):
        return {}
    starts = cols["phrase_starts"].tolist()
    return {k: phrases[starts[i]:starts[i + 1] - 1] for i, (_, k) in enumerate(keys)}


class RowFile:
    """Byte ranges of a file read with pread: the page cache holds what was read, this process maps nothing.

    (A memory-mapped table was tried: the kernel maps whole large folios on a fault, so 30 queries over a million
    clauses left 1.3 GB of the vectors and 0.8 GB of the clause table in the process's resident memory.)
    """

    CHUNK = 64 * 2**20

    def __init__(self, path: Path):
        self._f = open(path, "rb")  # noqa: SIM115 - kept open for the store's life: its generation may be deleted
        self.size = os.fstat(self._f.fileno()).st_size

    def read(self, start: int, end: int) -> bytes:
        return os.pread(self._f.fileno(), end - start, start)

    def find_all(self, pat: bytes) -> Iterator[int]:
        """Offsets of every occurrence of `pat` (overlapping ones too). The file is mapped for this search only,
        in chunks of CHUNK bytes, each unmapped before the next (its pages leave the process with it)."""
        start, keep = 0, len(pat) - 1
        while start < self.size:
            length = min(self.size, start + self.CHUNK + keep) - start
            aligned = start - start % mmap.ALLOCATIONGRANULARITY
            with mmap.mmap(self._f.fileno(), length + start - aligned, access=mmap.ACCESS_READ, offset=aligned) as m:
                pos = m.find(pat, start - aligned)
                while pos >= 0:  # a whole match here starts inside this chunk: the next chunk reads from CHUNK on
                    yield aligned + pos
                    pos = m.find(pat, pos + 1)
            start += self.CHUNK


class ClauseTable:
    """Rows of clauses.jsonl by number, decoded on demand; columns in memory."""

    def __init__(self, data: RowFile | None, cols: dict[str, np.ndarray], sections: list, phrases: RowFile | bytes,
                 records: list[dict] | None = None):
        self._data, self._phrases = data, phrases
        self.offsets, self.doc_index = cols["offsets"], cols["doc_index"]
        self.section_code, self.bare = cols["section_code"], cols["bare"]
        self._hashes = {"clause_id": cols["id_hash"], "key": cols["key_hash"]}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.sections = [tuple(s) for s in sections]
        self.phrase_starts = cols["phrase_starts"]
        self._decoded: OrderedDict[int, dict] = OrderedDict()
        self._records = records  # an older generation's rows, parsed whole to compute its columns
        self._keep = DECODED if data is None or data.size >= SMALL else len(self)

    @classmethod
    def open(cls, folder: Path, doc_ids: Sequence[str]) -> ClauseTable:
        """The table of a generation; its columns read from table/ when they fit clauses.jsonl, else computed."""
        data = RowFile(folder / "clauses.jsonl")
        cols = _read_columns(folder / TABLE, data.size)
        if cols is not None:
            sections = json.loads((folder / TABLE / "table.json").read_text(encoding="utf-8"))["sections"]
            return cls(data, cols, sections, RowFile(folder / TABLE / "phrases.txt"))
        lines = data.read(0, data.size).splitlines(keepends=True)
        records = [json.loads(line) for line in lines]
        cols, sections, phrases = _columns(records, doc_ids, [len(line) for line in lines])
        return cls(None, cols, sections, phrases, records)

    def __len__(self) -> int:
        return len(self.doc_index)

    @property
    def lazy(self) -> bool:
        """True when rows are read from the file and decoded on demand (not parsed whole at open)."""
        return self._records is None

    def record(self, row: int) -> dict:
        if self._records is not None:
            return self._records[row]
        r = self._decoded.get(row)
        if r is None:
            if not 0 <= row < len(self):
                raise IndexError(row)
            r = json.loads(self._data.read(int(self.offsets[row]), int(self.offsets[row + 1])))
            self._decoded[row] = r
            if len(self._decoded) > self._keep:
                self._decoded.popitem(last=False)
        return r

    def records(self) -> Iterator[dict]:
        """Every row in order (a scan: what loading a whole library needs)."""
        if self._records is not None:
            yield from self._records
            return
        for a in range(0, len(self), 10_000):  # a block of rows a read
            b = min(len(self), a + 10_000)
            base = int(self.offsets[a])
            block = self._data.read(base, int(self.offsets[b]))
            for x, y in zip(self.offsets[a:b].tolist(), self.offsets[a + 1:b + 1].tolist(), strict=True):
                yield json.loads(block[x - base:y - base])

    def normalised_texts(self, rows: Sequence[int]) -> list[str]:
        """The phrase file's text of each row: keywords.normalise of its text, read without decoding the row."""
        starts = self.phrase_starts  # a damaged byte gives a wrong character, never an error in a search
        if isinstance(self._phrases, bytes):
            return [self._phrases[starts[r]:starts[r + 1] - 1].decode("utf-8", "replace") for r in rows]
        return [self._phrases.read(int(starts[r]), int(starts[r + 1]) - 1).decode("utf-8", "replace") for r in rows]

    def row_of(self, field: str, value: str) -> int | None:
        """The row whose clause_id (or key) is `value`, None when none is."""
        if field not in self._sorted:
            h = self._hashes[field]
            order = np.argsort(h, kind="stable")
            self._sorted[field] = (h[order], order)
        hashes, order = self._sorted[field]
        want = name_hash([value])[0]
        i = int(np.searchsorted(hashes, want))
        while i < len(hashes) and hashes[i] == want:
            row = int(order[i])
            if self.record(row)[field] == value:
                return row
            i += 1
        return None

    def phrase_rows(self, needle: str) -> dict[int, int]:
        """Rows whose normalised text holds the normalised needle → occurrences (overlapping ones counted)."""
        pat = needle.encode("utf-8")
        if isinstance(self._phrases, bytes):
            found, pos = [], self._phrases.find(pat)
            while pos >= 0:
                found.append(pos)
                pos = self._phrases.find(pat, pos + 1)
        else:
            found = list(self._phrases.find_all(pat))
        rows = np.searchsorted(self.phrase_starts, np.asarray(found, np.int64), side="right") - 1
        return dict(Counter(rows.tolist()))


def _read_columns(table: Path, size: int) -> dict[str, np.ndarray] | None:
    """The columns of table/ when every file is there, of this TABLE_VERSION, and they describe a clauses.jsonl of
    `size` bytes."""
    try:
        if json.loads((table / "table.json").read_text(encoding="utf-8")).get("version") != TABLE_VERSION:
            return None
        cols = {n: np.load(table / f"{n}.npy", allow_pickle=False) for n in COLUMNS}
        phrases = (table / "phrases.txt").stat().st_size
    except (OSError, ValueError, AttributeError):
        return None
    n = len(cols["doc_index"])
    sizes_fit = all(len(cols[c]) == n for c in ("section_code", "id_hash", "key_hash")) and \
        len(cols["offsets"]) == len(cols["phrase_starts"]) == n + 1
    if not sizes_fit or int(cols["offsets"][-1]) != size or max(0, int(cols["phrase_starts"][-1]) - 1) != phrases:
        return None
    return cols


def file_digest(path: Path) -> str:
    """known.digest of a file's bytes, read in chunks (a clause table may be hundreds of MB)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(8 * 2**20):
            h.update(chunk)
    return h.hexdigest()


def open_table(folder: Path, manifest: dict, doc_ids: Sequence[str]) -> ClauseTable:
    """A generation's table. Rows read on demand are decoded only when asked, so a file changed since it was
    written (same size, other bytes) is refused here, by the checksum the manifest recorded."""
    table = ClauseTable.open(folder, doc_ids)
    want = (manifest.get("checksums") or {}).get("clauses.jsonl")
    if table.lazy and want and file_digest(folder / "clauses.jsonl") != want:
        raise ValueError("clauses.jsonl 与清单记录的校验和不符 / clauses.jsonl differs from the checksum in the manifest")
    return table
