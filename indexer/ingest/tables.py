"""Tables in extracted text: tab or pipe rows, and tables flattened to one cell per line. Pure."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MIN_ROWS = 2  # one tab inside a paragraph ("…服务平台\t。强化…") is a typing slip, not a table
MAX_FRAGMENTS = 12  # wrapped cell text between two rows: 综 / 合 / 实 / 力\t工业总产值…
GAP_CHARS = 200  # … at most this much of it
LEAD_FRAGMENTS = 3  # header cells wrapped above the first row
FRAGMENT_CHARS = 20
CELL_CHARS = 24  # a line of a flattened table holds one cell: a label, a year, a figure
MIN_CELLS = 8
NUMERIC_SHARE = 0.35  # of the cells of a flattened table, at least this many are figures …
MIN_LABELS = 2  # … and at least this many are words (the header and row labels)
LABEL_CHARS = 30
# A piece of a table holds whole rows, at least this many characters of them: a row that says something on its
# own (a project with its scale, investment, years, owner) is one clause, found by its name; short rows of
# figures and wrapped cells ("(年均增长15.6%)\t预期性") are grouped. A table flattened to one cell per line has no
# rows to go by: it is cut only where a piece would grow past the paragraph size.
TABLE_PIECE = 60
HEADER_CELLS = {"序号", "编号", "序", "类别", "指标", "项目", "项目名称", "名称", "地区", "单位"}
_SENTENCE = re.compile(r"[。；;！？!?]")
_NOT_FIGURE = re.compile(r"[\d.,，、%％‰+\-−～~/:：()（）\s×*]")
CAPTION = re.compile(r"(?:附\s*)?续?表\s*(?:[\d一二三四五六七八九十]+(?:[-－.．]\d+)?|[：:])[^。；;]{0,50}|"
                     r"[^。；;，,]{2,40}(?:一览表|汇总表|统计表|明细表|清单表|情况表|指标表|目标表)")


@dataclass(frozen=True)
class Table:
    """A run of lines that form one table. Indexes refer to the list of lines it was found in."""

    first: int  # the caption if there is one, else the first row
    last: int  # inclusive
    rows: tuple[int, ...]  # lines where a row (or, flattened, a cell) starts: where the table may be cut
    label: str  # the caption, or the first cells, to name it in section paths
    flat: bool = False  # one cell per line: `rows` are cells, not rows


def is_row(line: str) -> bool:
    """A line of a tab-separated or Markdown table: at least two cells."""
    if line.startswith("|") and line.endswith("|") and line.count("|") >= 3:
        return True
    return "\t" in line and sum(1 for cell in line.split("\t") if cell.strip()) >= 2


def is_figure(line: str) -> bool:
    """A cell holding a number, with at most a short unit: 2010, 12.5%, 1.06倍, 45.6以上, 2800亿元."""
    rest = _NOT_FIGURE.sub("", line)
    return any(c.isdigit() for c in line) and len(rest) <= 3


def _cells(line: str) -> list[str]:
    sep = "|" if line.startswith("|") else "\t"
    return [c.strip() for c in line.strip("|").split(sep) if c.strip() and not set(c.strip()) <= set("-:")]


def _label(cells: list[str]) -> str:
    s = " / ".join(cells)
    return "表格：" + (s if len(s) <= LABEL_CHARS else s[:LABEL_CHARS] + "…")


def find_tables(lines: list[str], is_heading: Callable[[str], bool], taken: set[int] = frozenset()) -> list[Table]:
    """The tables among these stripped non-blank lines, in order, never overlapping.

    Args:
        lines: stripped non-blank lines.
        is_heading: whether a line opens an outline clause; a heading ends a table and is never a cell.
        taken: lines already claimed (a table of contents), never part of a table.
    """
    return _TableFinder(lines, is_heading, taken).run()


class _TableFinder:
    """One pass over the lines: tables of tab-separated rows, and flat tables (one cell a line, mostly figures)."""

    def __init__(self, lines: list[str], is_heading: Callable[[str], bool], taken: set[int]):
        self.lines, self.is_heading, self.taken = lines, is_heading, taken
        self.out: list[Table] = []

    def run(self) -> list[Table]:
        i, n = 0, len(self.lines)
        while i < n:
            if i in self.taken:
                i += 1
            elif is_row(self.lines[i]):
                i = self._rows_from(i)
            elif self._cell(self.lines[i]):
                i = self._flat_from(i)
            else:
                i += 1
        return self.out

    # ---- what a line may be inside a table

    def _fragment(self, s: str) -> bool:
        return len(s) <= FRAGMENT_CHARS and not _SENTENCE.search(s) and not self.is_heading(s)

    def _wrapped(self, s: str) -> bool:  # a cell's text wrapped onto a line of its own, between two rows
        return len(s) <= GAP_CHARS and not self.is_heading(s) and not CAPTION.fullmatch(s)

    def _cell(self, s: str) -> bool:
        return (len(s) <= CELL_CHARS and not _SENTENCE.search(s) and (is_figure(s) or not self.is_heading(s))
                and not is_row(s))

    def _caption_before(self, i: int) -> bool:
        return i > 0 and i - 1 not in self.taken and (not self.out or self.out[-1].last < i - 1) and bool(
            CAPTION.fullmatch(self.lines[i - 1]))

    # ---- the two kinds of table

    def _rows_from(self, i: int) -> int:
        """The rows starting at line i (wrapped cells between them allowed); the line after them."""
        lines, n = self.lines, len(self.lines)
        first_cell = _cells(lines[i])[:1]
        rows, k, gap = [i], i + 1, 0
        while k < n and k not in self.taken:
            if is_row(lines[k]):
                if first_cell and first_cell[0] in HEADER_CELLS and _cells(lines[k])[:1] == first_cell:
                    break  # a header row again (序号 …): the next table starts here
                rows.append(k)
                gap = 0
            elif k - rows[-1] <= MAX_FRAGMENTS and gap + len(lines[k]) <= GAP_CHARS and self._wrapped(lines[k]):
                gap += len(lines[k])
            else:
                break
            k += 1
        if len(rows) >= MIN_ROWS:
            start = i
            floor = self.out[-1].last + 1 if self.out else 0
            while start > floor and i - start < LEAD_FRAGMENTS and start - 1 not in self.taken and self._fragment(
                    lines[start - 1]):
                start -= 1  # header cells wrapped above the first row: 千亿元产业/ over 战略性新兴产业\t销售收入
            cap = self._caption_before(start)
            label = lines[start - 1] if cap else _label(_cells(lines[i]))
            self.out.append(Table(start - 1 if cap else start, rows[-1], tuple(rows), label))
        return rows[-1] + 1

    def _flat_from(self, i: int) -> int:
        """A run of short cells from line i, a table when enough of them are figures; the line after the run."""
        lines, k = self.lines, i
        while k < len(lines) and k not in self.taken and self._cell(lines[k]):
            k += 1
        run = lines[i:k]
        figures = sum(1 for s in run if is_figure(s))
        if len(run) >= MIN_CELLS and figures >= NUMERIC_SHARE * len(run) and len(run) - figures >= MIN_LABELS:
            cap = self._caption_before(i)
            label = lines[i - 1] if cap else run[0] if CAPTION.fullmatch(run[0]) else _label(run[:5])
            self.out.append(Table(i - 1 if cap else i, k - 1, tuple(range(i, k)), label, flat=True))
        return max(k, i + 1)


def pieces(spans: list[tuple[int, int]], t: Table, max_chars: int):
    """(first line, last line) of each piece of a table: whole rows, TABLE_PIECE to max_chars characters (a
    single longer row stays whole).

    Args:
        spans: (start, end) offsets of the lines the table was found in.
        t: the table.
        max_chars: the most characters a piece of several rows may hold.
    """
    a = t.first
    for k in range(1, len(t.rows)):
        row_last = t.rows[k + 1] - 1 if k + 1 < len(t.rows) else t.last
        if (not t.flat and spans[t.rows[k] - 1][1] - spans[a][0] >= TABLE_PIECE
                or spans[row_last][1] - spans[a][0] > max_chars):
            yield a, t.rows[k] - 1
            a = t.rows[k]
    yield a, t.last
