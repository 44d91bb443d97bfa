"""What kind of answer a question asks for, and whether a clause gives one of that kind.

An everyday question names its topic loosely and its want precisely: 罚多少 wants a penalty, 多久 a time limit,
补贴多少 an amount, 去哪里 / 找谁 an office. Among clauses on the right topic (a regulation has dozens), the one that
states the penalty or the time limit is the answer. The reranker reads `answers_kind` (1 when the clause gives a
kind of answer the query asks for); a query that asks for no kind gives every candidate 0 and the feature no say.
"""
from __future__ import annotations

import re

_NUM = r"[0-9０-９一二三四五六七八九十百千万两半]+"

# kind → (how a question asks for it, how a clause gives it)
KINDS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "penalty": (re.compile(r"罚|处罚|处分|违法.{0,4}(怎么办|后果)|会被.{0,6}(处理|管)|吊销"),
                re.compile(r"罚款|罚金|处.{0,30}?(罚款|警告|拘留)|没收|吊销|责令.{0,10}改正")),
    "duration": (re.compile(r"多久|多长时间|多少天|几天|几个月|几年|几个小时|多快|时限|期限|什么时候|何时|多少年"),
                 # 三十分钟 / 十五个工作日 / 五日内, not a date (2020年1月1日起施行)
                 re.compile(_NUM + r"\s*(个)?(工作日|小时|分钟|个月|周)|" + _NUM + r"\s*(日|天|年)(内|以内|之内|后|以上|以下|为限)"
                            r"|期限|时限|期满|届满")),
    "amount": (re.compile(r"多少钱|补贴多少|奖励多少|奖金有?多少|给多少|罚多少|多少元|金额|利率.{0,4}多少|比例"),
               re.compile(_NUM + r"\s*(万|亿)?元|[0-9０-９.]+\s*[%％]|百分之|" + _NUM + r"倍|利率|费率")),
    "office": (re.compile(r"去哪|到哪|哪里|哪儿|找谁|向谁|哪个部门|谁来?管|谁负责|谁出|投诉"),
               re.compile(r"(部门|机关|机构|委员会|中心|窗口|单位|组织)(负责|受理|办理|登记|核发|查处|处理|承担)"
                          r"|向.{0,20}(部门|机关|机构|委员会)(申请|投诉|举报|报告|登记)|受理")),
    "rule": (re.compile(r"(能|可以|要|需要|必须|得|允许|让|会).{0,15}吗|能不能|可不可以|要不要|是不是.{0,12}(要|得|可以)"
                        r"|有没有.{0,6}规定|是否"),
             re.compile(r"不得|禁止|严禁|应当|必须|须|可以|允许")),
}


def asked(query: str) -> frozenset[str]:
    """The kinds of answer a query asks for (none for a plain topic: 新能源汽车产业集群)."""
    return frozenset(k for k, (ask, _) in KINDS.items() if ask.search(query))


def answers(text: str, kinds: frozenset[str]) -> bool:
    """Whether a clause gives at least one of these kinds of answer."""
    return any(KINDS[k][1].search(text) for k in kinds)
