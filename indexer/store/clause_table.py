"""A generation's clause table read from disk on demand: clauses.jsonl memory-mapped, one row decoded when asked,
and only small columns in memory (line offsets, each row's document, section code, id and key hashes).

A million clauses held as Python dicts took about 2 GB and ten seconds to parse at every open; here they cost the
columns (~40 bytes a row) and the pages of the rows a query reads. The columns are written beside clauses.jsonl at
build time (table/); a generation written before them, or whose columns do not fit its clauses.jsonl, has them
computed by one pass over the file instead, which is what opening an index cost before.

Normalised texts for phrase search are kept in table/phrases.txt (UTF-8, rows joined by NUL): a phrase query is a
byte search of the mapped file, and since UTF-8 is self-synchronising a match always starts on a character.
"""
from __future__ import annotations

import hashlib
import json
import mmap
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from indexer.keywords import normalise
from indexer.store.known import digest
from indexer.store.records import is_bare_heading

TABLE = "table"  # the folder of a generation that holds the columns
COLUMNS = ("offsets", "doc_index", "section_code", "id_hash", "key_hash", "bare", "phrase_starts")
DECODED = 8192  # rows kept decoded (a page of results and its rerank candidates are read more than once)
SEP = b"\x00"


def name_hash(names: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each clause id or key (a lookup verifies the row it finds)."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")
                        for s in names), dtype=np.uint64, count=len(names))


def _columns(records: Sequence[dict], doc_ids: Sequence[str], lines: Sequence[bytes]) -> tuple[dict, list, bytes]:
    """The columns, the distinct sections and the phrase file of these rows (clauses.jsonl's lines)."""
    pos = {d: j for j, d in enumerate(doc_ids)}
    sections: dict[tuple, int] = {}
    code = np.fromiter((sections.setdefault(tuple(r["section"]), len(sections)) for r in records), np.int32,
                       count=len(records))
    parents = {r["parent_id"] for r in records if r["parent_id"]}
    phrases = [normalise(r["text"]).encode("utf-8") for r in records]
    cols = {
        "offsets": np.concatenate([[0], np.cumsum([len(x) for x in lines], dtype=np.int64)]).astype(np.int64),
        "doc_index": np.fromiter((pos[r["doc_id"]] for r in records), np.int32, count=len(records)),
        "section_code": code,
        "id_hash": name_hash([r["clause_id"] for r in records]),
        "key_hash": name_hash([r["key"] for r in records]),
        "bare": np.array([i for i, r in enumerate(records) if r["clause_id"] in parents and is_bare_heading(r)],
                         np.int64),
        "phrase_starts": np.concatenate([[0], np.cumsum([len(p) + 1 for p in phrases], dtype=np.int64)]),
    }
    return cols, [list(s) for s in sections], SEP.join(phrases)


def write_table(folder: Path, records: Sequence[dict], doc_ids: Sequence[str]) -> str:
    """Write clauses.jsonl and its columns into a generation being written; returns clauses.jsonl's checksum."""
    lines = [(json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8") for r in records]
    data = b"".join(lines)
    (folder / "clauses.jsonl").write_bytes(data)
    cols, sections, phrases = _columns(records, doc_ids, lines)
    table = folder / TABLE
    table.mkdir()
    for name, arr in cols.items():
        np.save(table / f"{name}.npy", arr, allow_pickle=False)
    (table / "sections.json").write_text(json.dumps(sections, ensure_ascii=False), encoding="utf-8")
    (table / "phrases.txt").write_bytes(phrases)
    return digest(data)


def _map(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return b""


class ClauseTable:
    """Rows of clauses.jsonl by number, decoded on demand; columns in memory."""

    def __init__(self, data: mmap.mmap | bytes, cols: dict[str, np.ndarray], sections: list,
                 phrases: mmap.mmap | bytes | None, records: list[dict] | None = None):
        self._data, self._phrases = data, phrases
        self.offsets, self.doc_index = cols["offsets"], cols["doc_index"]
        self.section_code, self.bare = cols["section_code"], cols["bare"]
        self._hashes = {"clause_id": cols["id_hash"], "key": cols["key_hash"]}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.sections = [tuple(s) for s in sections]
        self.phrase_starts = cols["phrase_starts"]
        self._decoded: OrderedDict[int, dict] = OrderedDict()
        self._records = records  # an older generation's rows, parsed whole to compute its columns

    @classmethod
    def open(cls, folder: Path, doc_ids: Sequence[str]) -> ClauseTable:
        """The table of a generation; its columns read from table/ when they fit clauses.jsonl, else computed."""
        path = folder / "clauses.jsonl"
        data = _map(path)
        cols = _read_columns(folder / TABLE, len(data))
        if cols is not None:
            sections = json.loads((folder / TABLE / "sections.json").read_text(encoding="utf-8"))
            return cls(data, cols, sections, _map(folder / TABLE / "phrases.txt"))
        lines = bytes(data).splitlines(keepends=True)
        records = [json.loads(line) for line in lines]
        cols, sections, phrases = _columns(records, doc_ids, lines)
        return cls(data, cols, sections, phrases, records)

    def __len__(self) -> int:
        return len(self.doc_index)

    @property
    def lazy(self) -> bool:
        """True when rows are decoded from the mapped file on demand (not parsed whole at open)."""
        return self._records is None

    def record(self, row: int) -> dict:
        if self._records is not None:
            return self._records[row]
        r = self._decoded.get(row)
        if r is None:
            if not 0 <= row < len(self):
                raise IndexError(row)
            r = json.loads(self._data[int(self.offsets[row]):int(self.offsets[row + 1])])
            self._decoded[row] = r
            if len(self._decoded) > DECODED:
                self._decoded.popitem(last=False)
        return r

    def records(self) -> Iterator[dict]:
        """Every row in order (a scan: what loading a whole library needs)."""
        if self._records is not None:
            yield from self._records
            return
        for a, b in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(), strict=True):
            yield json.loads(self._data[a:b])

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
        hay, pat = self._phrases, needle.encode("utf-8")
        counts: dict[int, int] = {}
        pos = hay.find(pat)
        while pos >= 0:
            row = int(np.searchsorted(self.phrase_starts, pos, side="right") - 1)
            counts[row] = counts.get(row, 0) + 1
            pos = hay.find(pat, pos + 1)
        return counts


def _read_columns(table: Path, size: int) -> dict[str, np.ndarray] | None:
    """The columns of table/ when every file is there and they describe a clauses.jsonl of `size` bytes."""
    try:
        cols = {n: np.load(table / f"{n}.npy", allow_pickle=False) for n in COLUMNS}
        phrases = (table / "phrases.txt").stat().st_size
    except (OSError, ValueError):
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
