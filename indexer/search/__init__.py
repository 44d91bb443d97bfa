"""Search over a built index: semantic, keyword (BM25), phrase, fuzzy and hybrid (their candidates, learned fusion).

It talks only to the store interface (`indexer.store.ClauseStore`): opening it never imports the build side
(readers, OCR, corpus).
"""
from indexer.filters import SECTION_SYNONYMS, SearchFilters, section_terms
from indexer.models import Hit
from indexer.search.engine import (
    DEPTH,
    FUZZY_CANDIDATES,
    FUZZY_CUTOFF,
    FUZZY_FULL_SCAN,
    MODES,
    Engine,
    search,
)
from indexer.search.features import LABELS as FEATURE_LABELS
from indexer.search.fusion import DEFAULT_FUSION, RRF_K, Fusion, fuse
from indexer.search.signals import LABELS as SIGNAL_LABELS
from indexer.search.spans import fuzzy_span
from indexer.store.base import Ranked

__all__ = ["DEFAULT_FUSION", "DEPTH", "FEATURE_LABELS", "FUZZY_CANDIDATES", "FUZZY_CUTOFF", "FUZZY_FULL_SCAN",
           "MODES", "RRF_K", "SECTION_SYNONYMS", "SIGNAL_LABELS", "Engine", "Fusion", "Hit", "Ranked", "SearchFilters",
           "fuse", "fuzzy_span", "search", "section_terms"]
