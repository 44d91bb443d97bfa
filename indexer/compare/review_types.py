"""The typed differences of an upper-law review: kinds, types in a reviewer's reading order, labels. Pure."""
from __future__ import annotations

from dataclasses import dataclass

NUMBERS, MODALITY, POWERS, DUTIES = "numbers", "modality", "powers", "duties"
KINDS = (NUMBERS, MODALITY, POWERS, DUTIES)
KIND_LABELS = {NUMBERS: "数额与期限", MODALITY: "义务性质", POWERS: "权力设定", DUTIES: "上位法职责"}
# types, in the order a reviewer reads them: what may exceed the upper law first
RANGE_EXCEEDS, SHOULD_TO_MAY, PROHIBITION_DROPPED, PENALTY_ADDED, LICENCE_ADDED, COMPULSION_ADDED, FEE_ADDED, \
    NUMBER_CHANGED, SUBJECT_CHANGED, PROHIBITION_ADDED, MAY_TO_SHOULD, DUTY_MISSING = (
        "range_exceeds", "should_to_may", "prohibition_dropped", "penalty_added", "licence_added",
        "compulsion_added", "fee_added", "number_changed", "subject_changed", "prohibition_added",
        "may_to_should", "duty_missing")
TYPE_ORDER = (RANGE_EXCEEDS, SHOULD_TO_MAY, PROHIBITION_DROPPED, PENALTY_ADDED, LICENCE_ADDED, COMPULSION_ADDED,
              FEE_ADDED, NUMBER_CHANGED, SUBJECT_CHANGED, PROHIBITION_ADDED, MAY_TO_SHOULD, DUTY_MISSING)
TYPE_KIND = {RANGE_EXCEEDS: NUMBERS, NUMBER_CHANGED: NUMBERS, SHOULD_TO_MAY: MODALITY, MAY_TO_SHOULD: MODALITY,
             PROHIBITION_DROPPED: MODALITY, PROHIBITION_ADDED: MODALITY, SUBJECT_CHANGED: MODALITY,
             PENALTY_ADDED: POWERS, LICENCE_ADDED: POWERS, COMPULSION_ADDED: POWERS, FEE_ADDED: POWERS,
             DUTY_MISSING: DUTIES}
TYPE_LABELS = {RANGE_EXCEEDS: "超出上位法幅度", NUMBER_CHANGED: "数额或期限不同", SHOULD_TO_MAY: "“应当”改为“可以”",
               MAY_TO_SHOULD: "“可以”改为“应当”", PROHIBITION_DROPPED: "删去禁止性规定",
               PROHIBITION_ADDED: "增设禁止性规定", SUBJECT_CHANGED: "义务主体改变", PENALTY_ADDED: "增设行政处罚",
               LICENCE_ADDED: "增设行政许可", COMPULSION_ADDED: "增设行政强制", FEE_ADDED: "增设收费",
               DUTY_MISSING: "未落实上位法规定的政府职责"}

Span = tuple[int, int]


@dataclass(frozen=True)
class Difference:
    """One typed difference between a local text and an upper text, with the spans that differ in each."""

    type: str
    message: str  # one line in Chinese, naming both sides
    local_spans: tuple[Span, ...]
    upper_spans: tuple[Span, ...]
    confidence: float
    local_value: str = ""  # e.g. 2000–100000元
    upper_value: str = ""
    priority: int = 1  # 0 before 1 within a type: a fine beyond the upper law's before a longer time limit

    @property
    def kind(self) -> str:
        return TYPE_KIND[self.type]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "type": self.type, "label": TYPE_LABELS[self.type], "message": self.message,
                "local_spans": [list(s) for s in self.local_spans], "upper_spans": [list(s) for s in self.upper_spans],
                "confidence": round(self.confidence, 3), "local_value": self.local_value,
                "upper_value": self.upper_value}
