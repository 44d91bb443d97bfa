"""What a metadata field may hold: the one check for corrections (app, HTTP API) and manifest overrides.

Pure: takes the values as given and returns them normalised (levels and statuses as codes, dates as
YYYY-MM-DD), or raises PolicyError with one bilingual line naming the field and the value.
"""
from __future__ import annotations

import datetime as dt
import re

from indexer.errors import PolicyError, _printable
from indexer.models import LEVEL_LABELS, STATUS_LABELS

FIELD_NAMES = {  # field → (中文, English) for messages
    "title": ("标题", "title"), "issuer": ("发文机关", "issuer"), "doc_number": ("文号", "doc_number"),
    "cited_numbers": ("引用文号", "cited_numbers"), "date": ("日期", "date"),
    "date_written": ("成文日期", "date_written"), "date_published": ("发布日期", "date_published"),
    "region": ("地区", "region"), "province": ("省份", "province"), "level": ("层级", "level"),
    "status": ("状态", "status"), "approver": ("批准机关", "approver"), "date_passed": ("通过日期", "date_passed"),
    "date_approved": ("批准日期", "date_approved"), "date_amended": ("修正日期", "date_amended"),
    "date_effective": ("施行日期", "date_effective"),
}
DATE_FIELDS = frozenset(k for k in FIELD_NAMES if k == "date" or k.startswith("date_"))
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _shown(value) -> str:
    text = _printable(str(value))
    return text if len(text) <= 60 else text[:59] + "…"


def _names(field: str) -> tuple[str, str]:
    return FIELD_NAMES.get(field, (field, field))


def _choice(field: str, value: str, labels: dict[str, str]) -> str:
    """A code from its code or its Chinese label ("市级" → city; "现行/未标注" or "未标注" → "")."""
    if value in labels:
        return value
    for code, label in labels.items():
        if value == label or value in label.split("/"):
            return code
    cn, en = _names(field)
    codes = "/".join(c for c in labels if c)
    words = "、".join(v for c, v in labels.items() if c)
    raise PolicyError(f"{cn}无效 / invalid {en}: {_shown(value)} (应为 {codes} 或 {words})")


def check_date(field: str, value: str) -> str:
    """A real calendar date as YYYY-MM-DD (2021-3-5 and 2021年3月5日 are read too)."""
    m = _DATE.fullmatch(value)
    try:
        if m:
            return dt.date(*(int(g) for g in m.groups())).isoformat()
    except ValueError:
        pass
    cn, en = _names(field)
    raise PolicyError(f"{cn}无效 / invalid {en}: {_shown(value)} (应为 YYYY-MM-DD)")


def check_field(field: str, value):
    """One field's value, normalised; "" (no value) passes as is. Raises PolicyError naming field and value."""
    cn, en = _names(field)
    if field == "cited_numbers":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise PolicyError(f"{cn}应为文字列表 / {en} must be a list of text: {_shown(value)}")
        return tuple(v.strip() for v in value if v.strip())
    if not isinstance(value, str):
        raise PolicyError(f"{cn}应为文字 / {en} must be text: {_shown(value)}")
    value = value.strip()
    if not value:
        return ""
    if "\n" in value or "\r" in value:
        raise PolicyError(f"{cn}应为一行文字 / {en} must be one line: {_shown(value)}")
    if field in DATE_FIELDS:
        return check_date(field, value)
    if field == "level":
        return _choice(field, value, LEVEL_LABELS)
    if field == "status":
        return _choice(field, value, STATUS_LABELS)
    return value


def check_correction(fields: dict) -> dict:
    """Every field of a correction, normalised; the first impossible value raises PolicyError."""
    return {k: check_field(k, v) for k, v in fields.items()}
