"""Text → clause tree along the Chinese outline (篇/章/节/条, 一、, （一）, 1., （1）, ①), with offsets. Pure."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from indexer.ingest import metadata, tables, toc
from indexer.ingest.junk import junk_kind
from indexer.ingest.markers import (  # noqa: F401 — part of this module's API
    _WS,
    CIRCLED,
    CN_DIGITS,
    CN_NUM,
    CN_UNITS,
    HEADING_END,
    ID_PREFIX,
    LABEL_CHARS,
    MARKERS,
    MAX_HEADING,
    MAX_SKIP,
    NOTE_LIST,
    PLAIN_CLOSING,
    PLAIN_OPENING,
    RANK,
    SKIPPABLE,
    STRUCTURAL,
    TOC_LINE,
    Marker,
    _untitled_label,
    cn_to_int,
    is_heading_line,
    match_marker,
    split_heading,
    stands_alone,
)
from indexer.models import Clause


@dataclass
class _Open:
    kind: str
    number: int
    clause_id: str
    section: tuple[str, ...]
    level: int
    n_paras: int = 0
    path: str = ""  # decimal path of a 1. or 1.1 heading, which 1.1 or 1.1.1 must continue
    holds: bool = False  # an unnumbered part (总结, 附件) that numbered headings nest under
    n_tables: int = 0


MAX_PARAGRAPH = 800  # longer unnumbered lines are cut at sentence ends into pieces of about …
PIECE = 400  # … this many characters, so a document without line breaks still gives usable clauses
SENTENCE_END = re.compile(r"[。！？；!?;]")
SENTENCE_ENDS = ("。", "！", "？", "；", "!", "?", ";")
ENUMERATIONS = {"cn", "cn_paren", "num", "num_paren", "num_rparen", "circled", "dec"}  # the kinds of a list's items


def _lines(text: str):
    """(start, end) of each non-blank line, stripped of surrounding whitespace."""
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        raw = text[pos:line_end]
        left = len(raw) - len(raw.lstrip(_WS + "\r"))
        right = len(raw.rstrip(_WS + "\r"))
        if right > left:
            yield pos + left, pos + right
        pos = line_end + 1


def _pieces(text: str, start: int, end: int):
    """Cut an over-long paragraph at sentence ends into pieces of about PIECE characters."""
    if end - start <= MAX_PARAGRAPH:
        yield start, end
        return
    piece_start = start
    for m in SENTENCE_END.finditer(text, start, end):
        if m.end() - piece_start >= PIECE and end - m.end() >= PIECE // 4:
            cut = m.end()
            yield piece_start, cut
            piece_start = cut
            while piece_start < end and text[piece_start] in _WS:
                piece_start += 1
    if end - piece_start > MAX_PARAGRAPH * 4:  # no sentence ends at all: cut blindly
        while end - piece_start > PIECE:
            yield piece_start, piece_start + PIECE
            piece_start += PIECE
    yield piece_start, end


@dataclass(frozen=True)
class Outline:
    """The searchable clauses of a text, and the lines kept out of them.

    Every non-blank line lies in exactly one clause or one skipped span. Skipped kinds: toc (a table of
    contents), salutation, issuer, doc_number, date, note (此件公开发布, 抄送 …), number (a line of nothing but
    digits and punctuation, e.g. a page number).
    """

    clauses: tuple[Clause, ...]
    skipped: tuple[tuple[str, int, int], ...] = ()  # (kind, start, end), in document order


def segment(text: str, doc_id: str, page_starts: tuple[int, ...] = ()) -> list[Clause]:
    """Split document text into its searchable clauses along its outline (see `parse` for what is left out)."""
    return list(parse(text, doc_id, page_starts).clauses)


def parse(text: str, doc_id: str, page_starts: tuple[int, ...] = ()) -> Outline:
    """Split document text into clauses along its outline, keeping metadata lines and contents lists out.

    Args:
        text: the cleaned document text; offsets refer to it.
        doc_id: prefix of every clause id.
        page_starts: for PDFs, the offset where each page starts (page 1 first).

    Returns:
        Clauses in document order, and the skipped spans. Tables become clauses of kind "table", cut at row
        boundaries into pieces of about MAX_PARAGRAPH characters; pieces after the first nest under it, so the
        table's label reaches each piece's section path.
    """
    return _Parser(text, doc_id, page_starts).run()


class _Parser:
    """One pass over a document's lines: the open headings (a stack), the clauses so far, the skipped spans."""

    def __init__(self, text: str, doc_id: str, page_starts: tuple[int, ...]):
        self.text, self.doc_id, self.page_starts = text, doc_id, page_starts
        self.spans = list(_lines(text))
        self.lines = [text[a:b] for a, b in self.spans]
        self.in_toc = {k for a, b in toc.toc_blocks(self.lines) for k in range(a, b + 1)}
        self.table_at = {t.first: t for t in tables.find_tables(self.lines, is_heading_line, self.in_toc)}
        self.skipped: list[tuple[str, int, int]] = []
        self.stack: list[_Open] = []
        self.root = _Open("root", 0, f"{doc_id}:0", (), 0)
        self.clauses: list[Clause] = []
        self.used_ids: set[str] = set()
        self.next_suffix: dict[str, int] = {}
        self.last_number: dict[tuple[str, str], int] = {}  # (parent id, kind) → last number accepted
        self.last_global: dict[str, int] = {}  # kind → last number accepted anywhere (篇/章/条)
        if (first := _first_article(self.lines)) > 1:
            self.last_global["article"] = first - 1  # a part of a longer code: its articles run on from there
        self.n_plain = 0
        self.numbered = False  # a numbered heading has been opened
        self.note_list = False  # the last line skipped was a 抄送 list (or its continuation), which the next may continue

    # ---- bookkeeping

    def skip(self, kind: str, start: int, end: int) -> None:
        sk = self.skipped
        if sk and sk[-1][0] == kind and not self.text[sk[-1][2]:start].strip():
            sk[-1] = (kind, sk[-1][1], end)  # one span for a run of lines of one kind
        else:
            sk.append((kind, start, end))

    def unique(self, cid: str) -> str:
        base = cid
        k = self.next_suffix.get(base, 2)  # resume where the last repeat of this id stopped: linear in repeats
        while cid in self.used_ids:
            cid = f"{base}~{k}"
            k += 1
        self.next_suffix[base] = k
        self.used_ids.add(cid)
        return cid

    def page_of(self, pos: int) -> int | None:
        return bisect.bisect_right(self.page_starts, pos) if self.page_starts else None

    # ---- which depth a heading opens at

    def accept(self, mk: Marker, stack: list[_Open]) -> int | None:
        """Index in the stack at which this marker opens a clause (its depth), or None to treat as text."""
        if mk.kind == "dec":  # 1.2.3 goes under the open 1.2, numbered on from its last child
            prefix = mk.path.rsplit(".", 1)[0]
            i = next((j for j in range(len(stack) - 1, -1, -1) if stack[j].path == prefix), None)
            if i is None:
                return None
            prev = self.last_number.get((stack[i].clause_id, "dec"), 0)
            return i + 1 if mk.number == prev + 1 or (prev == 0 and mk.number == 1) else None
        kinds = [o.kind for o in stack]
        if mk.kind in kinds:
            return self._accept_open_kind(mk, stack, len(kinds) - 1 - kinds[::-1].index(mk.kind))
        top = self.last_number.get((self.root.clause_id, mk.kind), 0)
        if stack and stack[0].kind == "plain" and top and mk.number == top + 1:
            return 0  # 六、 after an unnumbered 总结 that followed 五、: back at the top level
        if mk.kind in STRUCTURAL and mk.kind != "article":
            # a 章 arriving under 条 or 一、 closes them: cut the stack below the first deeper rank
            depth = next((j for j, o in enumerate(stack) if RANK.get(o.kind, 99) > RANK[mk.kind]), len(stack))
        else:
            depth = len(stack)
        parent = stack[depth - 1] if depth else self.root
        prev = self.last_number.get((parent.clause_id, mk.kind), 0)
        if mk.number == self.last_global.get(mk.kind, 0) + 1:
            return depth  # numbering that runs on across parents: （七） opening 二、 after （六） under 一、
        return depth if mk.number == prev + 1 or (prev == 0 and mk.number == 1) or _skips_ahead(mk, prev) else None

    def _accept_open_kind(self, mk: Marker, stack: list[_Open], i: int) -> int | None:
        """A marker of a kind already open at stack index i (the deepest such level)."""
        parent = stack[i - 1] if i else self.root
        prev = self.last_number.get((parent.clause_id, mk.kind), 0)
        if mk.number == prev + 1 or (mk.number == 1 and i == len(stack) - 1 and prev > 1) or _skips_ahead(mk, prev):
            return i
        if mk.number == 1 and i < len(stack) - 1:
            return len(stack)  # loosely numbered text reusing "1." one level down: 5、… › (一)… › 1.…
        return None

    # ---- clauses

    def add_table(self, t: tables.Table) -> None:
        parent = self.stack[-1] if self.stack else self.root
        parent.n_tables += 1
        base = f"{parent.clause_id}-t{parent.n_tables}"
        head: Clause | None = None
        for k, (a, b) in enumerate(tables.pieces(self.spans, t, MAX_PARAGRAPH), 1):
            start, end = self.spans[a][0], self.spans[b][1]
            if head is None:
                cid, level, label, section = self.unique(base), parent.level + 1, t.label, parent.section + (t.label,)
                parent_id = parent.clause_id if self.stack else None
            else:  # a continuation: under the first piece, whose label (caption or header) names the table
                cid, level, label, section = self.unique(f"{base}.{k}"), head.level + 1, "续表", head.section + ("续表",)
                parent_id = head.clause_id
            self.clauses.append(Clause(clause_id=cid, doc_id=self.doc_id, level=level, kind="table", marker="",
                                       number=0, heading=label, text=self.text[start:end], section=section,
                                       start=start, end=end, page=self.page_of(start), parent_id=parent_id))
            head = head or self.clauses[-1]

    def add_para(self, p_start: int, p_end: int) -> None:
        parent = self.stack[-1] if self.stack else self.root
        parent.n_paras += 1
        cid = self.unique(f"{parent.clause_id}-p{parent.n_paras}")
        self.clauses.append(Clause(clause_id=cid, doc_id=self.doc_id, level=parent.level + 1,
                                   kind="para" if self.stack else "preamble", marker="", number=0,
                                   heading="", text=self.text[p_start:p_end], section=parent.section,
                                   start=p_start, end=p_end, page=self.page_of(p_start),
                                   parent_id=parent.clause_id if self.stack else None))

    def close_list(self) -> None:
        """Before a paragraph: an article's list that is over closes. The paragraph after （一）…（四） is the article's
        next paragraph (第二十一条第二款), not more of item （四）, whose number a drafter would then cite; unless the
        last item runs on (its text ends without a sentence end: a line broken inside a sentence)."""
        stack = self.stack
        article = next((j for j in range(len(stack) - 1, -1, -1) if stack[j].kind == "article"), None)
        if article is None or article == len(stack) - 1 or any(o.kind not in ENUMERATIONS for o in stack[article + 1:]):
            return
        if self.clauses and self.clauses[-1].text.rstrip().endswith(SENTENCE_ENDS):
            del stack[article + 1:]

    def add_plain(self, line: str, start: int, end: int, closing: bool) -> None:
        """An unnumbered part (总结, 附件) at the top level."""
        del self.stack[:]
        self.n_plain += 1
        heading = line.rstrip("：:").strip(_WS)
        cid = self.unique(f"{self.doc_id}:h{self.n_plain}")
        self.clauses.append(Clause(clause_id=cid, doc_id=self.doc_id, level=1, kind="plain", marker="", number=0,
                                   heading=heading, text=line, section=(heading,), start=start, end=end,
                                   page=self.page_of(start), parent_id=None))
        self.stack.append(_Open("plain", 0, cid, (heading,), 1, holds=closing and self.numbered))

    def add_heading(self, mk: Marker, depth: int, line: str, start: int, end: int) -> None:
        self.numbered = True
        stack = self.stack
        del stack[depth:]
        parent = stack[-1] if stack else self.root
        self.last_number[(parent.clause_id, mk.kind)] = mk.number
        self.last_global[mk.kind] = mk.number
        heading = split_heading(mk.kind, mk.rest)
        label = f"{mk.marker}{heading}" if heading else _untitled_label(mk)
        num_id = f"{ID_PREFIX.get(mk.kind, '')}{mk.number}"
        cid = self.unique(f"{parent.clause_id}.{num_id}" if stack else f"{self.doc_id}:{num_id}")
        path = mk.path or (str(mk.number) if mk.kind == "num" else "")
        node = _Open(mk.kind, mk.number, cid, parent.section + (label,), len(stack) + 1, path=path)
        self.clauses.append(Clause(clause_id=cid, doc_id=self.doc_id, level=node.level, kind=mk.kind,
                                   marker=mk.marker, number=mk.number, heading=heading, text=line,
                                   section=node.section, start=start, end=end, page=self.page_of(start),
                                   parent_id=parent.clause_id if stack else None))
        stack.append(node)

    def wrapped_title(self, k: int) -> int:
        """How many lines from line k make one wrapped title (0 unless more than one): adjacent lines, none a
        heading, a table row or a contents entry."""
        n = metadata.title_lines(self.lines, k)
        run = range(k, k + n)
        if n < 2 or any(j in self.in_toc or j in self.table_at or is_heading_line(self.lines[j]) for j in run):
            return 0
        return n if all(self.text.count("\n", self.spans[j][1], self.spans[j + 1][0]) == 1 for j in run[:-1]) else 0

    # ---- the pass

    def run(self) -> Outline:
        i = 0
        while i < len(self.spans):
            i = self.step(i)
        return Outline(tuple(self.clauses), tuple(self.skipped))

    def step(self, i: int) -> int:
        """Read line i (and any lines it takes with it); the index of the next line to read."""
        (start, end), line, lines, stack = self.spans[i], self.lines[i], self.lines, self.stack
        if i in self.in_toc:
            self.skip("toc", start, end)
            return i + 1
        if i in self.table_at:
            self.add_table(self.table_at[i])
            return self.table_at[i].last + 1
        sk = self.skipped
        in_note = self.note_list and sk[-1][0] == "note" and not self.text[sk[-1][2]:start].strip()
        kind = None if is_heading_line(line) else junk_kind(
            line, opening=not self.numbered, before=lines[i - 1] if i else "",
            after=lines[i + 1] if i + 1 < len(lines) else "", in_note=in_note)
        if kind:
            self.note_list = kind == "note" and (in_note or bool(NOTE_LIST.match(line)))
            self.skip(kind, start, end)
            return i + 1
        # a title wrapped over lines is one title, at the top of the document or of a part (附件)
        n = self.wrapped_title(i) if not stack or len(stack) == 1 and stack[0].kind == "plain" \
            and not stack[0].n_paras else 0
        if n:
            self.add_para(start, self.spans[i + n - 1][1])
            return i + n
        closing = PLAIN_CLOSING.fullmatch(line)
        if closing or PLAIN_OPENING.fullmatch(line):
            self.add_plain(line, start, end, bool(closing))
            return i + 1
        mk = None if TOC_LINE.search(line) and len(line) <= 80 else match_marker(line)
        held = bool(stack) and stack[0].kind == "plain" and not stack[0].holds
        depth = self.accept(mk, [] if held else stack) if mk else None
        if mk is not None and depth is not None:
            self.add_heading(mk, depth, line, start, end)
        else:
            self.close_list()
            for p_start, p_end in _pieces(self.text, start, end):
                self.add_para(p_start, p_end)
        return i + 1


def _first_article(lines: list[str], confirm: int = 2) -> int:
    """The number of a document's first article when it is a part of a longer code, whose numbering runs on from
    the parts before (民法典 物权编 opens at 第二百零五条): the first article opening a line, taken only when the
    next `confirm` articles opening lines follow it in sequence. 1 when the articles start at 第一条, 0 when
    there are none or they do not run in sequence (a line quoting 第五条 is not an article)."""
    numbers = [mk.number for line in lines if line.startswith("第")
               and (mk := match_marker(line)) is not None and mk.kind == "article"]
    if 1 in numbers:
        return 1  # its own 第一条 is there: articles quoted before it (第五条 第六条 第七条 of a law) are not its start
    head = numbers[:confirm + 1]
    if len(head) <= confirm or head != list(range(head[0], head[0] + len(head))):
        return 0
    return head[0]


def _skips_ahead(mk: Marker, prev: int) -> bool:
    """第四章 after 第一章, standing alone as a heading: chapters are headings even when numbering skips."""
    return mk.kind in SKIPPABLE and 0 < prev < mk.number <= prev + 1 + MAX_SKIP and stands_alone(mk)


def subtree_end(clauses: list[Clause] | tuple[Clause, ...], index: int) -> int:
    """End offset of clause `index` together with all its descendants."""
    c = clauses[index]
    end = c.end
    for d in clauses[index + 1:]:
        if d.level <= c.level and d.kind != "preamble":
            break
        end = d.end
    return end


def children(clauses, clause_id: str | None) -> list[Clause]:
    """Direct children of a clause (None: the top-level clauses)."""
    return [c for c in clauses if c.parent_id == clause_id and c.kind != "preamble"]
