"""The records a generation's sidecar files hold (documents.json), shared by the folder and milvus backends."""
from __future__ import annotations

from indexer.models import DocMeta, Document, IndexedDocument


def document_record(d: Document) -> dict:
    return {"doc_id": d.doc_id, "path": d.path, "format": d.format, "sha256": d.sha256,
            "meta": meta_record(d.meta), "page_starts": list(d.page_starts), "warnings": list(d.warnings),
            "n_clauses": len(d.clauses), "skipped": [list(s) for s in d.skipped]}


def meta_record(m: DocMeta) -> dict:
    """DocMeta.to_dict() without dataclasses.asdict's deep copy (every field is a string or a tuple of them)."""
    d = {f: getattr(m, f) for f in DocMeta.__dataclass_fields__}
    d["cited_numbers"] = list(m.cited_numbers)
    return d


def doc_meta(record: dict) -> DocMeta:
    m = dict(record.get("meta") or {})
    m["cited_numbers"] = tuple(m.get("cited_numbers") or ())
    known = DocMeta.__dataclass_fields__
    return DocMeta(**{k: v for k, v in m.items() if k in known})


def indexed_document(record: dict) -> IndexedDocument:
    return IndexedDocument(doc_id=record["doc_id"], path=record.get("path", ""), meta=doc_meta(record),
                           n_clauses=int(record.get("n_clauses", 0)), format=record.get("format", "txt"),
                           sha256=record.get("sha256", ""), page_starts=tuple(record.get("page_starts") or ()),
                           warnings=tuple(record.get("warnings") or ()))


def is_bare_heading(record: dict) -> bool:
    """A numbered clause holding nothing but its heading (call only for clauses with children)."""
    if record["kind"] in ("para", "preamble"):
        return False
    rest = record["text"][len(record["marker"]):].strip().strip("。．.:：")
    return len(rest) <= len(record["heading"].strip("。．.:：")) + 1
