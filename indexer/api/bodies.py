"""The API's request bodies: each a schemas.Request, its text checked before its fields (a lone surrogate is one
clear 422), with the limits of indexer.limits as field bounds."""
from __future__ import annotations

import dataclasses
import typing
from typing import Literal

from pydantic import Field

from indexer.api.schemas import Mode, Request
from indexer.filters import SearchFilters
from indexer.limits import MAX_ITEM_CHARS, MAX_ITEMS, MAX_K, MAX_QUERY_CHARS, MAX_TOTAL_CHARS


class Filters(Request):
    """indexer.filters.SearchFilters; several values of a text field are separated by commas (any matches)."""

    region: str = Field("", examples=["东莞"])
    province: str = ""
    level: str = Field("", description="national, province, city, county, news, other")
    doc_ids: list[str] = []
    status: str = Field("", description="current, draft, trial, expired")
    date_from: str = Field("", examples=["2020-01-01"])
    date_to: str = ""
    section: str = Field("", examples=["保障措施"])
    region_scope: Literal["", "self", "all"] = Field("", description='"self": the region\'s own documents only (仅本级); '
                                                     '"all" or empty: with the places under it (含下辖, the CLI\'s --scope)')
    include_undated: bool = False

    def to_filters(self) -> SearchFilters:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(SearchFilters)}
        return SearchFilters(**{**values, "doc_ids": tuple(self.doc_ids)})


class SearchRequest(Filters):
    query: str = Field(description=f"at most {MAX_QUERY_CHARS} characters", examples=["人才个税优惠"])
    k: int = Field(10, ge=1, le=MAX_K)
    mode: Mode = "hybrid"
    fuzzy: bool = Field(False, description="hybrid mode also fuses near-verbatim matching")


class BatchSearchRequest(Filters):
    queries: list[str] = Field(description=f"one result list per query, in order (at most {MAX_ITEMS} queries of "
                               f"{MAX_QUERY_CHARS} characters, {MAX_TOTAL_CHARS} characters in all)")
    k: int = Field(10, ge=1, le=MAX_K)
    mode: Mode = "hybrid"
    fuzzy: bool = False


class CoverageRequest(Request):
    reference: str = Field(examples=["guangdong-2020-strategic-clusters"])
    target: str | None = Field(None, examples=["dongguan-2021-strategic-clusters"])
    items: list[str] | str | None = Field(None, description="pasted names instead of a target: a list, or one "
                                          "string separated by , 、 ; or new lines (at most "
                                          f"{MAX_ITEMS} names of {MAX_ITEM_CHARS} characters, {MAX_TOTAL_CHARS} in "
                                          "all)", examples=[["装备制造", "现代物流"]])
    reference_section: str | None = None
    target_section: str | None = None
    region: str | None = Field(None, description="the target's region (default: from the target document)")


class AlignRequest(Request):
    doc_a: str
    doc_b: str


class ReuseRequest(Request):
    min_chars: int | None = Field(None, ge=1, description="shortest passage (default 20)")
    docs: list[str] = Field([], description="only these documents (at least two)")


class MetadataCorrection(Request):
    """Fields to correct; "" removes a correction. Checked as in the app: levels and statuses as codes or their
    Chinese labels (市级 → city), dates as real YYYY-MM-DD dates; an impossible value is answered 400."""

    title: typing.Any = None
    issuer: typing.Any = None
    doc_number: typing.Any = None
    date: typing.Any = Field(None, examples=["2021-03-05"])
    region: typing.Any = None
    province: typing.Any = None
    level: typing.Any = Field(None, examples=["city"])
    status: typing.Any = Field(None, examples=["draft"])
