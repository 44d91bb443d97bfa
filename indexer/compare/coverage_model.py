"""The coverage model: P(a target list item implements a reference item) from ten pair features."""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.compare.align import EmbeddingMemo, row_z
from indexer.compare.background_names import head_explained, industry_names, vocabulary_z
from indexer.ingest.lists import GENERIC_SUFFIXES
from indexer.models import ListItem

BODY_CHARS = 400
# Connectives inside a cluster name (生物医药及高端医疗器械, 半导体与集成电路): not content.
_CONNECTIVES = re.compile(r"[及与和、/·，,；;\s]+")

# Logistic model of P(target item implements reference item) from ten pair features:
#   zsem  mean row z-score of the e5 cosines (name↔name, query/passage and passage/passage; name↔reference
#         body; body↔body when the target has a body) against all reference items;
#   zref  column view: cos(target, reference) as a z-score against that reference's cosines to its
#         sibling reference items (passage/passage; names, and bodies when the target has one);
#   gap   zsem minus the best zsem among the *other* reference items (> 0 for the row's best);
#   lexn  IDF-weighted share of the target name's character bigrams found in the reference name;
#   lexb  IDF-weighted share of the target name's bigrams found in the reference item's text;
#   verb  share of the target name's parts (split at 及/与) that the reference names word for word;
#   mod   1 when the two names share only a leading modifier (现代物流 / 现代农业与食品), see `_modifier_only`;
#   excl  1 when the whole name stands word for word in this reference item only (智能终端 in 新一代电子信息's
#         text: provincial items enumerate the sub-industries a city may name);
#   vz    the name cosine as a z-score against the target's cosines to ninety standard industry names
#         (GB/T 4754, `background_names`): the row z-scores above crown the least distant reference item
#         even for a name that belongs to none (低空经济 → 新能源 at P=0.81 before this feature); 0 where
#         `mod` is 1 (mod's small weight is then on top of the vz it takes away);
#   ghead the part of the name z-score that the name's generic head word earns alone (经济 alone is nearest
#         新能源, 服务 nearest 软件与信息服务), see `background_names.head_explained`; it weighs negative.
# Fitted by `benchmarks/bench_align.py --fit` on the dev gold (Dongguan's list with bodies and as typed
# names, the 佛山 and 珠海 pasted lists, the unambiguous Chaozhou items both ways, and ten typed service-
# sector names with no counterpart, and two developer-labelled lists in benchmarks/extra_lists.json: 深圳 and
# 广州), L2-regularised; per-list and leave-one-list-out figures are in its
# output. Every feature is relative (z-scores, shares), so the model does not depend on where e5 cosines
# bunch. IDF comes from `background` texts (the corpus's clauses in the CLI).
COEF = {"zsem": 0.742, "zref": 0.159, "gap": 0.96, "lexn": 0.597, "lexb": 1.765, "verb": 0.524, "mod": -0.271,
        "excl": 1.49, "vz": 0.802, "ghead": -1.001, "bias": -4.334}
ACCEPT = 0.5  # P at which a pair counts as a match


@dataclass(frozen=True)
class Item:
    """A list item to compare: a name and, when it comes from a document, its clause and body text."""

    name: str
    text: str = ""
    clause_id: str | None = None

    @classmethod
    def of(cls, li: ListItem) -> Item:
        return cls(name=li.name, text=li.text, clause_id=li.clause_id)


# ---------------------------------------------------------------- names

def core_name(name: str) -> str:
    """A typed name without its generic tail: 现代物流产业集群 → 现代物流."""
    n = name.strip()
    for suffix in GENERIC_SUFFIXES:
        if n.endswith(suffix) and len(n) - len(suffix) >= 2:
            return n[: -len(suffix)]
    return n


# ---------------------------------------------------------------- features

def _sibling_z(cos: np.ndarray, ref_ref: np.ndarray) -> np.ndarray:
    """z-score of cos(t, r) against r's cosines to the other reference items."""
    rr = ref_ref.astype(np.float64).copy()
    if rr.shape[0] < 3:
        return np.zeros_like(cos)
    np.fill_diagonal(rr, np.nan)
    mu, sd = np.nanmean(rr, axis=0), np.nanstd(rr, axis=0)
    return (cos - mu) / np.where(sd > 1e-9, sd, 1.0)


def _bigrams(name: str) -> set[str]:
    out: set[str] = set()
    for part in _CONNECTIVES.split(core_name(name)):
        out.update(part[k:k + 2] for k in range(len(part) - 1))
        if len(part) == 1:
            out.add(part)
    return out


@functools.lru_cache(maxsize=4)
def _background_idf(texts: tuple[str, ...]):
    """IDF of a corpus-wide background, kept across calls (the app and the CLI reuse one corpus)."""
    return _idf(texts)


def _idf(texts: Sequence[str]):
    n = len(texts)
    df: dict[str, int] = {}
    for t in texts:
        for g in set(t[k:k + 2] for k in range(len(t) - 1)) | set(t):
            df[g] = df.get(g, 0) + 1

    def idf(g: str) -> float:
        return math.log((n + 1) / (df.get(g, 0) + 0.5))

    return idf


def _share(grams: set[str], text: str, idf) -> float:
    """IDF-weighted share of `grams` that occur in `text`."""
    total = sum(idf(g) for g in grams)
    if total <= 0:
        return 0.0
    return sum(idf(g) for g in grams if g in text) / total


def pair_features(targets: Sequence[Item], refs: Sequence[Item], cache: EmbeddingMemo,
                  background: Sequence[str] = (), vocabulary: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The feature matrices (targets × references) of the coverage model.

    `background`: texts (e.g. every clause of the corpus) from which bigram IDF is taken, so that words
    common in policy language (服务, 现代, 发展) weigh little; default the reference items themselves.
    `vocabulary`: industry names outside the reference list for `vz`; default GB/T 4754 (`industry_names`).
    """
    tn = [core_name(t.name) for t in targets]
    rn = [core_name(r.name) for r in refs]
    rb = [(r.text or r.name)[:BODY_CHARS] for r in refs]
    q_t = cache.queries(tn)
    p_t = cache.passages(tn)
    p_rn = cache.passages(rn)
    p_rb = cache.passages(rb)
    zname = (row_z(q_t @ p_rn.T) + row_z(p_t @ p_rn.T)) / 2
    zbody = row_z(q_t @ p_rb.T)
    has_body = [i for i, t in enumerate(targets) if t.text.strip()]
    if has_body:
        p_tb = cache.passages([targets[i].text[:BODY_CHARS] for i in has_body])
        zb = row_z(p_tb @ p_rb.T)
        for k, i in enumerate(has_body):
            zbody[i] = (zbody[i] + zb[k]) / 2
    sem = (zname + zbody) / 2
    # Column view: does t come closer to r than r's sibling reference items do? Row z-scores always crown
    # some reference item; this shows when even the crowned one is no closer than an unrelated sibling.
    zref = _sibling_z(p_t @ p_rn.T, p_rn @ p_rn.T)
    if has_body:
        zrb = _sibling_z(p_tb @ p_rb.T, p_rb @ p_rb.T)
        for k, i in enumerate(has_body):
            zref[i] = (zref[i] + zrb[k]) / 2
    gap = np.zeros_like(sem)
    if sem.shape[1] > 1:
        for j in range(sem.shape[1]):
            others = np.delete(sem, j, axis=1)
            gap[:, j] = sem[:, j] - others.max(axis=1)
    idf_n = idf_b = _background_idf(tuple(background)) if background else None
    idf_n = idf_n or _idf(rn)
    idf_b = idf_b or _idf([r.text or r.name for r in refs])
    lexn = np.array([[_share(_bigrams(t), r, idf_n) for r in rn] for t in tn], dtype=np.float32)
    lexb = np.array([[_share(_bigrams(t), r.text or r.name, idf_b) for r in refs] for t in tn], dtype=np.float32)
    rtext = [r.name + (r.text or "") for r in refs]
    verb = np.array([[_verbatim(t, r) for r in rtext] for t in tn], dtype=np.float32)
    mod = np.array([[_modifier_only(t, r) for r in rn] for t in tn], dtype=np.float32)
    p_v = cache.passages(list(industry_names() if vocabulary is None else vocabulary))
    vz = vocabulary_z((q_t @ p_rn.T + p_t @ p_rn.T) / 2, (q_t @ p_v.T + p_t @ p_v.T) / 2)
    # Names sharing only a leading modifier (智能卫浴 / 智能家电) owe their cosine to it, and the standard
    # industry names carry no such modifiers, so that cosine would stand out against them for nothing.
    vz = np.where(mod > 0, 0.0, vz)

    def head_z(head: str) -> np.ndarray:
        return ((row_z(cache.queries([head]) @ p_rn.T) + row_z(cache.passages([head]) @ p_rn.T)) / 2)[0]

    ghead = head_explained(tn, zname, head_z)
    # the whole name, word for word, in exactly one reference item (高端医疗器械 in 生物医药与健康's text)
    whole = verb >= 1.0
    excl = (whole & (whole.sum(axis=1, keepdims=True) == 1)).astype(np.float32)
    return {"zsem": sem, "zref": zref, "zname": zname, "zbody": zbody, "gap": gap, "lexn": lexn, "lexb": lexb,
            "verb": verb, "mod": mod, "excl": excl, "vz": vz, "ghead": ghead}


def _modifier_only(a: str, b: str) -> float:
    """1 when two names share only their leading two-character modifier (现代物流 / 现代农业与食品).

    Chinese compound names are head-final: 现代 or 智能 in front qualifies, the rest names the industry.
    Names that agree only in that slot look alike to an embedding but name different industries.
    """
    shared = _bigrams(a) & _bigrams(b)
    return float(len(a) >= 4 and len(b) >= 4 and shared == {a[:2]} and a[:2] == b[:2])


def _verbatim(name: str, text: str) -> float:
    """Share of the name's parts (split at 及/与/和) that the reference names word for word."""
    parts = [p for p in _CONNECTIVES.split(name) if len(p) >= 2]
    return sum(p in text for p in parts) / len(parts) if parts else 0.0


def match_probability(feats: dict[str, np.ndarray], coef: dict[str, float] | None = None) -> np.ndarray:
    coef = coef or COEF
    x = coef["bias"] + sum(w * feats[k] for k, w in coef.items() if k != "bias")
    return 1.0 / (1.0 + np.exp(-x))
