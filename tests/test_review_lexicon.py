"""The review's lexicon of powers and modal verbs on real articles of ../shared/library: a penalty of another sort
than the upper article's (没收, 吊销, 警告), a fee beside a cost (费用), 须经 as a duty, and a reworded 应当 → 可以 whose
shared words stand before the modal verb."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.compare.review_diff import (
    MUST,
        SHOULD_TO_MAY,
    modality_differences,
    modals,
)
from indexer.compare.review_powers import FEE, PENALTY, penalty_sort, power_differences, powers

LIBRARY = Path(__file__).resolve().parents[2] / "shared" / "library"
needs_library = pytest.mark.skipif(not LIBRARY.is_dir(), reason="../shared/library is not here")


def article(path: str, marker: str) -> str:
    """The text of one article (第X条 to the next) of a library file, read as a reviewer opens it."""
    text = (LIBRARY / path).read_text(encoding="utf-8")
    m = re.search(rf"^{marker} .*?(?=^第[零〇一二三四五六七八九十百]+条 |^## |\Z)", text, re.M | re.S)
    assert m, (path, marker)
    return m.group(0).strip()


FIREWORKS = "national/administrative-regulations/烟花爆竹安全管理条例(2016-02-06).md"
WENZHOU_FIREWORKS = "zhejiang/温州市销售燃放烟花爆竹管理规定(2021-10-14).md"

# ---------------------------------------------------------------- powers


@needs_library
def test_confiscation_beside_an_upper_fine_is_a_penalty_added():
    # 温州: 没收储存的烟花爆竹制品，并处一百元以上五百元以下罚款; the upper article fines only
    local = article(WENZHOU_FIREWORKS, "第十条")
    (d,) = power_differences(local, [article(FIREWORKS, "第四十二条")])
    assert d.type == "penalty_added" and "没收" in d.message and "罚款" not in d.message


@needs_library
def test_a_warning_beside_an_upper_fine_is_a_penalty_added():
    local = article(WENZHOU_FIREWORKS, "第十一条")
    (d,) = power_differences(local, [article(FIREWORKS, "第四十二条")])
    assert "警告" in d.message


@needs_library
def test_the_same_sorts_of_penalty_are_covered():
    # 宁波: 没收禁止经营的烟花爆竹和违法所得 … 罚款 … 吊销; the upper article has 没收, 罚款 and 吊销 too
    local = article("zhejiang/宁波市经营燃放烟花爆竹安全管理规定(2021-04-08).md", "第十四条")
    uppers = [article(FIREWORKS, "第三十八条"), article(FIREWORKS, "第四十二条")]
    first_two = local[:local.index("庆典、殡仪服务提供者")]
    assert power_differences(first_two, uppers) == []
    # its third paragraph's 处以警告 has no counterpart upstairs (fines only): a sort of penalty of its own
    (d,) = power_differences(local, uppers)
    assert d.message.startswith("本条设定行政处罚（处以警告）")


@pytest.mark.parametrize(("words", "sort"), [
    ("罚款", "fine"), ("没收违法所得", "gains"), ("没收储存的烟花爆竹制品", "confiscation"), ("吊销", "revocation"),
    ("给予警告", "warning"), ("通报批评", "warning"), ("责令停产停业", "suspension"), ("行政拘留", "detention"),
])
def test_penalty_sorts(words, sort):
    assert penalty_sort(words) == sort


def test_a_generic_penalty_upstairs_covers_every_sort():
    local = "违反本条规定的，没收违法工具，处二百元罚款；情节严重的，吊销许可证。"
    assert power_differences(local, ["违反前款规定的，依法给予行政处罚。"]) == []


def test_a_fine_is_no_generic_penalty():
    # 处罚款 reads 处罚 + 款: it names a fine only
    (d,) = power_differences("违反本条规定的，吊销许可证。", ["违反本条规定的，处罚款。"])
    assert "吊销" in d.message


def test_a_cost_upstairs_does_not_cover_a_fee():
    (d,) = power_differences("临时占用公共绿地的，应当按照规定缴纳绿化补偿费。", ["承担修剪费用的办法，由城市人民政府规定。"])
    assert d.type == "fee_added"
    assert FEE in powers("临时占用公共绿地的，应当按照规定缴纳绿化补偿费。")


@given(st.text(alphabet="罚款没收吊销警告处以给予的违法所得工具，。", max_size=40))
def test_every_penalty_span_has_a_sort(text):
    for a, b in powers(text).get(PENALTY, []):
        assert penalty_sort(text[a:b]) is not None


# ---------------------------------------------------------------- modal verbs

def test_xu_jing_is_a_duty():
    (m,) = modals("因特殊需要迁移古树名木，须经城市绿化行政主管部门审查同意。")
    assert m.cls == MUST and m.word == "须"
    assert modals("无须经过批准。") == [] and modals("必须经过批准。")[0].word == "必须"


def test_should_to_may_matched_by_the_words_of_the_whole_clause():
    # what the clause is about (工程竣工后 … 绿化工程资料) stands before the modal verb on one side, after it on the other
    upper = "建设单位应当在工程竣工后三十日内，将绿化工程资料报送城市绿化行政主管部门备案。"
    local = "工程竣工后，建设单位可以将绿化工程资料报送城市绿化行政主管部门备案。"
    assert [d.type for d in modality_differences(local, upper)] == [SHOULD_TO_MAY]


def test_clauses_about_different_acts_are_not_paired_by_their_subject_alone():
    upper = "城市绿化行政主管部门应当建立古树名木的档案和标志。"
    local = "城市绿化行政主管部门可以委托专业单位开展绿化养护。"
    assert modality_differences(local, upper) == []


def test_confiscated_goods_named_as_a_noun_set_no_penalty():
    # 丽水 第五条: a department's duty to dispose of 没收的烟花爆竹 punishes nobody
    assert PENALTY not in powers("应急管理部门负责组织销毁依法没收的烟花爆竹。")
    assert powers("由公安机关没收储存的烟花爆竹制品。")[PENALTY]
