"""Two library documents compared: coverage of one by the other (their lists, pasted names, or a regulation's
articles) and their clause alignment. The matrix's rows are these answers; the service layer adds defaults."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.compare.align import align_documents
from indexer.compare.article_cells import article_coverage
from indexer.compare.coverage import coverage
from indexer.compare.reference import UNIT_ARTICLE, articles, reference_unit
from indexer.errors import PolicyError
from indexer.ingest.lists import pick_list
from indexer.ingest.places import document_region
from indexer.limits import LimitError, check_items
from indexer.models import Document, NamedList, find_document


@dataclass(frozen=True)
class CoverageAnswer:
    """A coverage result with the lists it compared (the app shows both texts of each item)."""

    result: object  # indexer.compare.coverage.Coverage
    reference: NamedList
    target: NamedList | None  # None for a pasted list
    region: str
    items: tuple[str, ...] = field(default=())


def coverage_between(docs: Sequence[Document], reference: str, target: str | None = None,
                     items: Sequence[str] = (), *, reference_section: str | None = None,
                     target_section: str | None = None, region: str | None = None,
                     embedder=None, vectors=None) -> CoverageAnswer:
    """Coverage of a target document's list (or pasted item names) against a reference document's list; between
    two regulations (no section asked for), article by article as the matrix's article unit does it.

    Args:
        region: the target's region; None takes it from the target document (`target_region`).
        embedder: the index's embedder when there is one, so item vectors match the index (default: the default
            embedder).
        vectors: the index's clause vectors (regulations are aligned clause by clause).
    """
    ref_doc = find_document(docs, reference)
    if target and find_document(docs, target) is ref_doc and (reference_section or "") == (target_section or ""):
        raise LimitError(f"参照文件与目标文件是同一份文件 {ref_doc.doc_id}，请给出另一份文件 / the reference and the target "
                         "are the same document: give another one", "same_document")
    if target and not (reference_section or target_section) and reference_unit(ref_doc) == UNIT_ARTICLE:
        tdoc = find_document(docs, target)
        if articles(tdoc):
            result, ref_arts, tgt_arts = article_coverage(ref_doc, tdoc, vectors=vectors, embedder=embedder)
            return CoverageAnswer(result, ref_arts, tgt_arts, result.region, ())
    ref_list = pick_list(ref_doc, reference_section)
    if target:
        tdoc = find_document(docs, target)
        tgt_list: NamedList | None = pick_list(tdoc, target_section)
        tgt, label = tgt_list, tdoc.doc_id
        region = document_region(tdoc) if region is None else region
    else:
        items = tuple(n for n in items if n.strip())
        if not items:
            raise PolicyError("请给出至少一个条目名称 / give at least one item name")
        check_items(items)  # the app, the CLI and the API: one 20,000-character item took 24 s to embed
        tgt, tgt_list, label = list(items), None, "pasted list"
        region = region or ""
    background = [c.text for d in docs for c in d.clauses]  # word weights from the whole library
    result = coverage(ref_list, tgt, region=region, embedder=embedder, reference_label=ref_doc.doc_id,
                      target_label=label, background=background)
    return CoverageAnswer(result, ref_list, tgt_list, region, tuple(items))


def coverage_settings(answer: CoverageAnswer) -> list[str]:
    """The choices behind a coverage answer, as the report records them (the same from the app and the CLI)."""
    out = [f"参照清单 / reference list: {answer.reference.section}",
           f"目标清单 / target list: {answer.target.section}" if answer.target is not None
           else f"粘贴条目 / pasted items: {len(answer.items)}"]
    if answer.region:
        out.append(f"目标地区 / target region: {answer.region}")
    return out


def align_pair(docs: Sequence[Document], doc_a: str, doc_b: str, *, vectors=None, embedder=None):
    """Clause alignment of two documents of the library (vectors from the index when given)."""
    a, b = find_document(docs, doc_a), find_document(docs, doc_b)
    return align_documents(a, b, vectors=vectors, embedder=embedder)
