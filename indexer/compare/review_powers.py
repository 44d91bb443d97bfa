"""Powers a local article sets that its upper articles do not (行政处罚, 行政许可, 行政强制, 收费), and the duties an
upper text puts on local governments (县级以上地方人民政府应当 …). Pure."""
from __future__ import annotations

import re

from indexer.compare.review_acts import same_act
from indexer.compare.review_diff import (
    COMPULSION_ADDED,
    FEE_ADDED,
    LICENCE_ADDED,
    PENALTY_ADDED,
    Difference,
    Span,
)

PENALTY, LICENCE, COMPULSION, FEE = "penalty", "licence", "compulsion", "fee"
POWER_LABELS = {PENALTY: "行政处罚", LICENCE: "行政许可", COMPULSION: "行政强制", FEE: "收费"}
POWER_TYPE = {PENALTY: PENALTY_ADDED, LICENCE: LICENCE_ADDED, COMPULSION: COMPULSION_ADDED, FEE: FEE_ADDED}
_ORGAN = r"(?:部门|机关|政府|机构|局|办事处|委员会)"
_POWERS = {
    PENALTY: re.compile(r"罚款|(?:给予|处以|并处|可以处)警告|通报批评|没收(?!的)[^。；，、和及]{1,16}|吊销|暂扣[^。；，]{0,6}(?:许可证|执照)|"
                        r"责令停产停业|责令关闭|(?<!刑事)(?:行政)?拘留(?!所|室)|降低资质等级|限制开展生产经营活动|责令停止执业"),
    LICENCE: re.compile(rf"(?:未经|须经|应当经|必须经|报经|经)[^。；，]{{0,16}}{_ORGAN}[^。；，]{{0,6}}(?:批准|许可|核准|审批)|"
                        rf"(?:应当|须|必须)[^。；，]{{0,20}}(?:申请|办理|取得)[^。；，]{{0,8}}(?:许可|审批|核准|批准)(?![^。；，]{{0,4}}(?:之日|后))|"
                        r"实行[^。；，]{0,8}(?:许可|审批)"),
    # not 先行登记保存: the evidence measure of 行政处罚法 第五十六条, not a compulsory measure
    COMPULSION: re.compile(r"查封|扣押|冻结|强制拆除|代履行|代为(?:改正|采取|清除|拆除|恢复)|强制清除|强制隔离|"
                           r"拖移|(?<!人民法院)强制执行"),
    FEE: re.compile(r"(?:征收|收取|缴纳|交纳)[^。；，]{0,12}(?:费|基金)(?!用)"),
}
_NOT_FEE = re.compile(r"物业|服务费|违约金|停车费|租金|车费|运费|票款")  # prices paid to a business, not fees
# a penalty or measure already taken (车辆被吊销运输证的, 被依法查封的) is a condition, not one this article sets
_UNDERGONE = re.compile(r"被(?:依法)?$")
# an approval one organ asks of another (经报请省人民政府批准), or of applying this regulation elsewhere (经市人民政府
# 批准，可以参照本规定执行), licenses nobody (行政许可法 第三条)
_INTERNAL = re.compile(r"报请|报上级")
# an approval the law already requires, restated (申请道路旅游客运线路，应当依法经道路运输管理机构批准): no new licence
_BY_LAW = re.compile(r"依法|依照(?:法律|有关法律|国家)")
# 没收 as a noun in a list of things (无主犬、弃养犬、没收犬只的收容) or as what is dealt with (对没收的…): no penalty set;
# but in a list of penalties (给予警告、没收违法所得、罚款) it is one of them
_AS_NOUN = re.compile(r"[、对将把]$")
_PENALTY_LIST = re.compile(r"警告|罚款|处罚|吊销|暂扣|责令|处以|给予|并处|予以")
# a detention the local article restates from the law that sets it (依照《治安管理处罚法》… 拘留), or a court's
_DETENTION_BY_LAW = re.compile(r"治安管理处罚|人民法院|依照[^。；]{0,30}法[^。；]{0,20}(?:规定|处罚)")
_BY_REFERENCE = re.compile(r"^[，,\s]*(?:可以|可)?参照(?:本|这)")
# On the upper side any mention of a power of the same sort counts: an upper article that speaks of 许可 or 查封 at
# all covers the local one's (the local side must set the power, see _POWERS). A cost (费用) is no fee.
_MENTIONS = {LICENCE: re.compile(r"许可|批准|审批|核准|同意"), COMPULSION: re.compile(r"查封|扣押|冻结|强制|代为|代履行"),
             FEE: re.compile(r"费(?!用)|基金")}
# Penalties come in sorts (行政处罚法 第九条) that an upper article sets one by one: a fine upstairs does not allow a
# confiscation or a revoked licence downstairs. A generic 处罚 (not 处罚款, a fine) leaves the sort open: it covers all.
_GENERIC = r"|(?<!治安管理)处罚(?!款)"  # 治安管理处罚 is the police's, not this article's
_SORTS = (  # sort, how the local span reads, what upstairs mentions it
    ("gains", re.compile(r"^没收(?:违法|非法)所得"), re.compile(r"没收|违法所得|非法所得" + _GENERIC)),
    ("confiscation", re.compile(r"^没收"), re.compile(r"没收(?!违法所得|非法所得)" + _GENERIC)),
    ("revocation", re.compile(r"吊销|暂扣|降低资质"), re.compile(r"吊销|暂扣|撤销[^。；]{0,6}(?:许可|资格|执照)|降低资质" + _GENERIC)),
    ("warning", re.compile(r"警告|通报批评"), re.compile(r"警告|通报批评" + _GENERIC)),
    ("suspension", re.compile(r"停产停业|关闭|停止执业|限制开展"), re.compile(r"停产|停业|关闭|停止执业|限制开展" + _GENERIC)),
    ("detention", re.compile(r"拘留"), re.compile(r"拘留|治安管理处罚")),
    ("fine", re.compile(r"罚款"), re.compile(r"罚")),
)


def penalty_sort(words: str) -> str | None:
    """The sort of penalty a span of `_POWERS[PENALTY]` sets: fine, gains, confiscation, revocation, warning …"""
    return next((sort for sort, rx, _ in _SORTS if rx.search(words)), None)


def _mention(p: str, words: str) -> re.Pattern:
    """What an upper text must mention to cover the local power `words` of power `p`."""
    if p != PENALTY:
        return _MENTIONS[p]
    sort = penalty_sort(words)
    return next(m for s, _, m in _SORTS if s == sort)


def powers(text: str) -> dict[str, list[Span]]:
    """Where a text sets a penalty, licence, compulsory measure or fee: power → spans."""
    out: dict[str, list[Span]] = {}
    for p, rx in _POWERS.items():
        spans = [(m.start(), m.end()) for m in rx.finditer(text)]
        if p == COMPULSION:  # asking a court to enforce is not an administrative compulsory measure
            spans = [s for s in spans if "申请人民法院" not in text[max(0, s[0] - 10):s[0]]]
        if p == FEE:  # what owners pay their property company is a price, not an administrative fee
            spans = [s for s in spans if not _NOT_FEE.search(text[s[0]:s[1]])]
        if p in (PENALTY, COMPULSION):
            spans = [s for s in spans if not _UNDERGONE.search(text[max(0, s[0] - 3):s[0]])]
        if p == PENALTY:
            spans = [s for s in spans if not _confiscated_thing(text, s[0])]
        if p == LICENCE:
            spans = [s for s in spans if not _INTERNAL.search(text[s[0]:s[1]])
                     and not _BY_REFERENCE.search(text[s[1]:s[1] + 12])
                     and not _BY_LAW.search(text[max(0, s[0] - 4):s[1]])]
        if spans:
            out[p] = spans
    return out


def _sentence_before(text: str, pos: int) -> str:
    return text[max(text.rfind("。", 0, pos), text.rfind("；", 0, pos), text.rfind("\n", 0, pos)) + 1:pos]


def _confiscated_thing(text: str, pos: int) -> bool:
    """A 没收 at `pos` names a thing (没收犬只 among 无主犬、弃养犬), not a penalty this article sets."""
    if not text.startswith("没收", pos) or not _AS_NOUN.search(text[max(0, pos - 1):pos]):
        return False
    return not (text[pos - 1] == "、" and _PENALTY_LIST.search(_sentence_before(text, pos)))


def _covers(local_text: str, span: Span, upper_text: str, rx: re.Pattern) -> bool:
    """Whether `upper_text` has a power of the same kind for the act the local power punishes: any mention, unless
    both name the paragraph they punish and the paragraphs speak of different acts."""
    return any(same_act(local_text, span[0], upper_text, m.start()) is not False for m in rx.finditer(upper_text))


def power_differences(local_text: str, upper_texts: list[str]) -> list[Difference]:
    """Powers the local article sets that none of its aligned upper articles sets (for the same act, where both
    name the paragraph a penalty punishes)."""
    out = []
    for p, spans in powers(local_text).items():
        bare = [s for s in spans
                if not any(_covers(local_text, s, t, _mention(p, local_text[s[0]:s[1]])) for t in upper_texts)]
        if not bare:
            continue
        conf = (0.7 if upper_texts else 0.45) * (0.7 if p == FEE else 1.0)
        words = "、".join(dict.fromkeys(local_text[a:b] for a, b in bare[:3]))
        where = "对应的上位法条文" if upper_texts else "上位法中找不到对应条文，"
        detained = [s for s in bare if p == PENALTY and penalty_sort(local_text[s[0]:s[1]]) == "detention"
                    and not _DETENTION_BY_LAW.search(_sentence_before(local_text, s[0]))]
        if detained:  # whatever the upper articles say, only a law may restrict personal freedom
            out.append(Difference(POWER_TYPE[p], "本条设定拘留（限制人身自由的行政处罚），只能由法律设定，地方性法规和规章不得设定"
                                  f"（《行政处罚法》第十条、第十二条）；{where}没有规定", tuple(detained), (), 0.9))
            bare = [s for s in bare if s not in detained]
            if not bare:
                continue
            words = "、".join(dict.fromkeys(local_text[a:b] for a, b in bare[:3]))
        out.append(Difference(POWER_TYPE[p], f"本条设定{POWER_LABELS[p]}（{words}），{where}没有规定",
                              tuple(bare), (), conf))
    return out


# ---------------------------------------------------------------- duties on local governments

_DUTY = re.compile(r"(县级以上(?:地方)?(?:各级)?人民政府|地方各级人民政府|各级人民政府|省、自治区、直辖市人民政府|"
                   r"设区的市(?:级)?人民政府|市、县级人民政府|县级人民政府|乡(?:、|级)?镇人民政府|地方人民政府|城市人民政府)"
                   r"(?:[^。；]{0,12}?)(?:应当|必须|负责(?!的主管人员|人)|领导(?!人员|干部|职务))")


# between the government's name and the verb: a department (县级以上人民政府市场监督管理部门应当) is not the government
_DEPARTMENT = re.compile(r"部门|机关|机构|局|委员会|办事处")
_JOINT = re.compile(r"^(?:及其|及|和|以及|与|会同|、)")
# governments a city's or a county's own regulation cannot act for
_ABOVE_CITY = ("省、自治区、直辖市人民政府",)


def government_duties(text: str, level: str = "") -> list[Span]:
    """Spans where a text puts a duty on local governments (县级以上地方人民政府应当 …), not on their departments;
    for a city or county document (`level`), not the duties only a province can take up."""
    out = []
    for m in _DUTY.finditer(text):
        between = text[m.end(1):m.end()]
        if _DEPARTMENT.search(between) and not _JOINT.match(between):
            continue  # its department's duty; 各级人民政府及其有关部门应当 binds the government too
        if level in ("city", "county") and m.group(1) in _ABOVE_CITY:
            continue
        out.append((m.start(), m.end()))
    return out


