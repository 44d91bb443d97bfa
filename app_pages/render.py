"""Safe rendering of document text for st.markdown/st.html: escape first, then add our own tags."""
from __future__ import annotations

import re
from collections.abc import Iterable

# Characters that Markdown (or Streamlit's extensions: :color[…], $math$, :emoji:) would interpret.
# They become numeric character references, which Markdown renders as the literal character.
# One translation table, so no character is escaped twice.
_TABLE = str.maketrans({**{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:$=^"},
                        "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def esc(text: object) -> str:
    """Text that shows exactly as written inside st.markdown(..., unsafe_allow_html=True)."""
    s = str(text).translate(_TABLE)
    # line breaks survive; blank lines must not end an HTML block and switch Markdown back on
    return s.replace("\r\n", "\n").replace("\n", "<br>")


_MD_LABEL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:$<>])")


def md(text: object) -> str:
    """Text for APIs that render Markdown without HTML (st.error, st.expander labels, metric labels …):
    every Markdown character is backslash-escaped, so a document's **x** or [a](b) shows as written."""
    return _MD_LABEL.sub(r"\\\1", str(text)).replace("\n", " ")


def merge_spans(spans: Iterable[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """Sorted, clipped, non-overlapping spans."""
    out: list[tuple[int, int]] = []
    for a, b in sorted((max(0, int(a)), min(n, int(b))) for a, b in spans):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the given terms occur in the text (case-insensitive)."""
    spans = []
    for t in {t.strip() for t in terms if t and t.strip()}:
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(t), text, flags=re.IGNORECASE)]
    return spans


def highlight(text: str, spans: Iterable[tuple[int, int]] = (), css: str = "hit") -> str:
    """Escaped text with <mark> around the spans (offsets into `text`)."""
    parts, pos = [], 0
    for a, b in merge_spans(spans, len(text)):
        parts.append(esc(text[pos:a]))
        parts.append(f'<mark class="{css}">{esc(text[a:b])}</mark>')
        pos = b
    parts.append(esc(text[pos:]))
    return "".join(parts)


def redline_html(ops: Iterable) -> str:
    """Escaped redline: deletions struck through in red, insertions underlined in green."""
    out = []
    for op in ops:
        t = esc(op.text)
        if op.op == "delete":
            out.append(f'<del class="rl-del">{t}</del>')
        elif op.op == "insert":
            out.append(f'<ins class="rl-ins">{t}</ins>')
        else:
            out.append(t)
    return "".join(out)


def block(inner_html: str, css: str = "doc-text") -> str:
    """Wrap already-escaped HTML in one <div>, so Markdown leaves it alone."""
    return f'<div class="{css}">{inner_html}</div>'


STYLE = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 3rem;}
mark.hit {background:#ffe58f; padding:0 1px; border-radius:2px;}
mark.focus {background:#ffd6d1; padding:0 1px;}
.doc-text {line-height:1.75; font-size:0.98rem; white-space:normal;}
.card-meta {color:#5f5f5f; font-size:0.85rem;}
.card-path {color:#7a4b00; font-size:0.85rem;}
del.rl-del {background:#fde2e1; color:#a50e0e; text-decoration:line-through;}
ins.rl-ins {background:#dcf5e3; color:#0b6b2b; text-decoration:underline;}
.badge {display:inline-block; padding:0 6px; margin-right:4px; border-radius:8px; font-size:0.78rem;
        background:#efe9e1; color:#5a3e1b;}
.badge-missing {background:#fde2e1; color:#a50e0e;}
.badge-ok {background:#dcf5e3; color:#0b6b2b;}
.badge-warn {background:#fff1c2; color:#7a5200;}
</style>"""
