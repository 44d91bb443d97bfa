"""Character-level redline of two texts: equal / insert / delete runs, as data, HTML and plain text. Pure."""
from __future__ import annotations

import html
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from indexer.keywords import fold_width

EQUAL, INSERT, DELETE = "equal", "insert", "delete"


@dataclass(frozen=True)
class DiffOp:
    """One run of the diff: `text` is from the old side for equal/delete, from the new side for insert."""

    op: str  # equal | insert | delete
    text: str

    def to_dict(self) -> dict:
        return {"op": self.op, "text": self.text}


def redline(old: str, new: str, *, ignore_width: bool = False) -> list[DiffOp]:
    """Character diff turning `old` into `new`.

    Uses the insert/delete (Indel) edit script, so a replaced run shows as a deletion followed by an
    insertion, which is how a reviewer reads a redline. Adjacent runs of the same kind are merged and,
    within a change, deletions come before insertions.

    ignore_width: full-width and half-width forms count as the same character (Dongguan's file writes
        every comma half-width; a reviewer does not want each one marked as an edit). Equal runs show the
        old side's characters.

    Invariants: joining equal+delete texts gives `old`; joining equal+insert texts gives `new` (with
    ignore_width, `new` up to character width).
    """
    ops: list[DiffOp] = []
    pending_del: list[str] = []
    pending_ins: list[str] = []

    def flush() -> None:
        if pending_del:
            ops.append(DiffOp(DELETE, "".join(pending_del)))
        if pending_ins:
            ops.append(DiffOp(INSERT, "".join(pending_ins)))
        pending_del.clear()
        pending_ins.clear()

    a, b = (fold_width(old), fold_width(new)) if ignore_width else (old, new)
    for o in Indel.opcodes(a, b):
        if o.tag == "equal":
            flush()
            if ops and ops[-1].op == EQUAL:
                ops[-1] = DiffOp(EQUAL, ops[-1].text + old[o.src_start:o.src_end])
            else:
                ops.append(DiffOp(EQUAL, old[o.src_start:o.src_end]))
        else:  # Indel yields only insert and delete
            if o.src_end > o.src_start:
                pending_del.append(old[o.src_start:o.src_end])
            if o.dest_end > o.dest_start:
                pending_ins.append(new[o.dest_start:o.dest_end])
    flush()
    return _merge_short_equals(ops)


def _merge_short_equals(ops: list[DiffOp], max_equal: int = 1) -> list[DiffOp]:
    """Fold a one-character equal run between two changes into them, so a reworded phrase reads as one
    deletion and one insertion instead of confetti. The invariants of `redline` still hold."""
    blocks: list[list[DiffOp]] = []  # alternating: an equal run, or a change block [delete?, insert?]
    for op in ops:
        if op.op == EQUAL:
            blocks.append([op])
        elif blocks and blocks[-1][0].op != EQUAL:
            blocks[-1].append(op)
        else:
            blocks.append([op])
    out: list[list[DiffOp]] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if (b[0].op == EQUAL and len(b[0].text) <= max_equal and out and out[-1][0].op != EQUAL
                and i + 1 < len(blocks)):
            prev, nxt, eq = out.pop(), blocks[i + 1], b[0].text
            dels = "".join(x.text for x in prev if x.op == DELETE) + eq + "".join(
                x.text for x in nxt if x.op == DELETE)
            inss = "".join(x.text for x in prev if x.op == INSERT) + eq + "".join(
                x.text for x in nxt if x.op == INSERT)
            out.append([DiffOp(DELETE, dels), DiffOp(INSERT, inss)])
            i += 2
            continue
        out.append(b)
        i += 1
    return [op for b in out for op in b]


def to_html(ops: list[DiffOp]) -> str:
    """Escaped HTML with <del> and <ins> around changes."""
    parts = []
    for o in ops:
        t = html.escape(o.text)
        parts.append(t if o.op == EQUAL else f"<del>{t}</del>" if o.op == DELETE else f"<ins>{t}</ins>")
    return "".join(parts)


def to_text(ops: list[DiffOp]) -> str:
    """Plain text: deletions as [-…-], insertions as {+…+} (the wdiff convention)."""
    return "".join(o.text if o.op == EQUAL else f"[-{o.text}-]" if o.op == DELETE else f"{{+{o.text}+}}"
                   for o in ops)


def old_text(ops: list[DiffOp]) -> str:
    return "".join(o.text for o in ops if o.op != INSERT)


def new_text(ops: list[DiffOp]) -> str:
    return "".join(o.text for o in ops if o.op != DELETE)
