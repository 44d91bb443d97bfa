"""Small page helpers with no engine behind them: widget state across pages, labels, signal wording."""
from __future__ import annotations

import functools

import streamlit as st

from indexer.labels import region_words
from indexer.models import LEVEL_LABELS, Document
from indexer.search.signals import LABELS as SIGNAL_LABELS

LEVELS = LEVEL_LABELS


# ---------------------------------------------------------------- widget values across pages

def restore_widgets(keys) -> None:
    """Give back widget values that Streamlit dropped while the user was on another page.

    Streamlit forgets a widget's value once a run does not draw it, so 「查看原文」 and back would lose the
    query and filters. Call before the widgets are drawn; remember_widgets() after.
    """
    for key in keys:
        kept = f"_kept_{key}"
        if key not in st.session_state and st.session_state.get(kept):  # empty values need no restoring
            st.session_state[key] = st.session_state[kept]


def remember_widgets(keys) -> None:
    for key in keys:
        if key in st.session_state:
            st.session_state[f"_kept_{key}"] = st.session_state[key]


def stop(prefix: str, drawn=()) -> None:
    """st.stop(), after forgetting the page's widgets this run has not drawn (keys starting with `prefix`,
    other than those in `drawn`).

    A run that ends in st.stop() keeps the values of the widgets it did not draw, while the browser forgets
    those widgets and draws them afresh at their defaults: the item selector showed the first item while the
    texts below were another's. Forgetting them puts both sides at the defaults; choices worth keeping are
    remembered apart (remember_widgets) and given back where their widget is drawn (restore_widgets).
    """
    for key in list(st.session_state.keys()):
        if key.startswith(prefix) and key not in drawn:
            del st.session_state[key]
    st.stop()


def keep_known(key: str, options) -> None:
    """Drop remembered choices of a multiselect that are no longer offered (e.g. a removed document)."""
    if isinstance(st.session_state.get(key), list):
        known = set(options)
        st.session_state[key] = [v for v in st.session_state[key] if v in known]


# ---------------------------------------------------------------- labels

def doc_label(doc: Document) -> str:
    m = doc.meta
    date = f"（{m.date[:4]}）" if m.date else ""
    return f"{region_words(m.region, m.level)} · {m.title or doc.doc_id}{date}"


def selection_changed(table_key: str, rows: list[int]) -> bool:
    """True once each time a table's row selection changes (so a stale selection never overrides a selectbox)."""
    key = f"_last_selection_{table_key}"
    if st.session_state.get(key) == list(rows):
        return False
    st.session_state[key] = list(rows)
    return True


def default_doc(docs: list[Document], *, level: str | None = None, region: str | None = None) -> int:
    """Index of the first document matching a level and/or region (0 if none)."""
    for i, d in enumerate(docs):
        if (level is None or d.meta.level == level) and (region is None or region in d.meta.region):
            return i
    return 0


def default_pair(docs: list[Document]) -> tuple[int, int]:
    """Indexes of a province's document and a city's on the same subject (the province's with the most such cities,
    as a reviewer would start), else the first of each level: two unrelated regulations compare to nothing useful."""
    pair = _pair(tuple((d.meta.title, d.meta.level, d.meta.region, d.meta.province) for d in docs))
    return pair or (default_doc(docs, level="province"), default_doc(docs, level="city"))


@functools.lru_cache(maxsize=4)
def _pair(metas: tuple[tuple[str, str, str, str], ...]) -> tuple[int, int] | None:
    from types import SimpleNamespace

    from indexer.compare.answering import subjects_meet, title_subject
    from indexer.models import DocMeta
    from indexer.text import bigrams

    def subject_of(title: str, level: str, region: str, province: str) -> set[str]:  # title_subject reads .meta
        meta = DocMeta(title=title, level=level, region=region, province=province)
        return bigrams(title_subject(SimpleNamespace(meta=meta)))

    subject = {i: subject_of(*m) for i, m in enumerate(metas) if m[1] in ("province", "city")}
    cities = [i for i in subject if metas[i][1] == "city"]
    count, i = max(((sum(subjects_meet(subject[i], subject[j]) for j in cities), i) for i in subject
                    if metas[i][1] == "province"), default=(0, -1), key=lambda x: (x[0], -x[1]))
    return (i, next(j for j in cities if subjects_meet(subject[i], subject[j]))) if count else None


def time_left(done: int, remaining: int, elapsed: float) -> str:
    """" · 约剩 3 分钟" from the pace so far (a long document embeds for minutes); "" until the pace is known."""
    if done < 5 or elapsed < 3 or remaining <= 0:
        return ""
    secs = remaining * elapsed / done
    if secs < 60:
        return f" · 约剩 {max(5, round(secs / 5) * 5)} 秒"
    return f" · 约剩 {round(secs / 60)} 分钟"



SIGNALS = SIGNAL_LABELS  # one list of the rankings a hit can show, with the search's own labels (地区 for place)


def hit_spans(hit, query: str) -> list[tuple[int, int]]:
    """Character spans to highlight in hit.text: the engine's marks, else the query's words."""
    from app_pages.render import term_spans

    marks = hit.highlights
    if marks:
        return [tuple(m[:2]) for m in marks]
    return term_spans(hit.text, query.split())


def signal_label(hit, *, for_query: bool = True) -> str:
    """Which evidence found this clause and at what rank, e.g. "语义第 2、关键词第 1"; says so when only meaning matched.

    Similar clauses (for_query=False) answer no query, so there are no query words to miss.
    """
    sig = hit.signals or {}
    parts = [f"{SIGNALS.get(name, name)}第 {info.get('rank', '?')}" if isinstance(info, dict) else SIGNALS.get(name, name)
             for name, info in sig.items()]
    text = "、".join(parts) if parts else "匹配"
    if for_query and set(sig) == {"semantic"} and not hit.highlights:
        text += "（意思相近，未出现查询词）"
    return text


