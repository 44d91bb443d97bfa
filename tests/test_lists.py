"""Named lists on the seed documents: the provincial 20, the city 9s, Anhui's four 行动."""
from __future__ import annotations

import pytest

from indexer.ingest import lists
from indexer.ingest.corpus import DEFAULT_CORPUS, load_document

PROVINCE_20 = ["新一代电子信息", "绿色石化", "智能家电", "汽车", "先进材料", "现代轻工纺织", "软件与信息服务",
               "超高清视频显示", "生物医药与健康", "现代农业与食品", "半导体与集成电路", "高端装备制造",
               "智能机器人", "区块链与量子信息", "前沿新材料", "新能源", "激光与增材制造", "数字创意",
               "安全应急与环保", "精密仪器设备"]


def doc(name):
    return load_document(DEFAULT_CORPUS / f"{name}.txt", doc_id=name)


def test_provincial_list_of_20():
    nl = lists.primary_list(doc("guangdong-2020-strategic-clusters"))
    assert [i.name for i in nl.items] == PROVINCE_20
    assert len(nl.parts) == 2 and nl.parts[0].endswith("十大战略性支柱产业集群")
    assert all(i.heading == i.name + "产业集群" for i in nl.items)
    assert nl.items[0].text.startswith("新一代电子信息产业集群。重点发展")


def test_provincial_sub_lists_are_10_and_10():
    found = lists.find_lists(doc("guangdong-2020-strategic-clusters"))
    subs = {nl.section: len(nl.items) for nl in found}
    assert subs["四、发展重点 › （一）十大战略性支柱产业集群"] == 10
    assert subs["四、发展重点 › （二）十大战略性新兴产业集群"] == 10


def test_dongguan_4_plus_5():
    d = doc("dongguan-2021-strategic-clusters")
    nl = lists.primary_list(d)
    assert [i.name for i in nl.items] == ["新一代电子信息", "高端装备制造", "纺织服装鞋帽", "食品饮料",
                                          "软件与信息服务", "新材料", "新能源", "生物医药及高端医疗器械",
                                          "半导体及集成电路"]
    sizes = sorted(len(x.items) for x in lists.find_lists(d) if x.section.startswith("二、发展重点 › "))
    assert sizes == [4, 5]


def test_chaozhou_9():
    nl = lists.primary_list(doc("chaozhou-strategic-clusters-draft"))
    assert len(nl.items) == 9
    assert nl.items[1].name == "清洁能源" and nl.items[-1].name == "现代物流"


def test_anhui_four_actions_with_items():
    found = lists.find_lists(doc("anhui-2024-county-industry-clusters"))
    actions = next(nl for nl in found if nl.section == "三、主要任务")
    assert [i.heading for i in actions.items] == ["实施集群创新发展行动", "实施集群数字化改造行动",
                                                  "实施集群绿色转型升级行动", "实施集群“走出去”行动"]
    assert [i.name for i in actions.items] == ["创新发展行动", "数字化改造行动", "绿色转型升级行动", "“走出去”行动"]
    first = next(nl for nl in found if nl.clause_id == actions.items[0].clause_id)
    assert [i.name for i in first.items] == ["引育群主企业", "创建区域公共品牌", "搭建产业创新平台"]


@pytest.mark.parametrize("headings, names", [
    (["新一代电子信息产业集群", "汽车产业集群"], ["新一代电子信息", "汽车"]),
    (["加强组织领导", "强化资金保障"], ["加强组织领导", "强化资金保障"]),
    (["物流产业", "会展产业"], ["物流", "会展"]),
    (["实施集群培育“强核工程”", "实施集群培育“立柱工程”", "实施集群培育“优化布局工程”"],
     ["强核工程", "立柱工程", "优化布局工程"]),
    (["实施集群创新发展行动", "实施集群“走出去”行动"], ["创新发展行动", "“走出去”行动"]),
    (["培育新一代电子信息产业集群", "培育汽车产业集群"], ["新一代电子信息", "汽车"]),
    (["智能家电", "智能机器人"], ["智能家电", "智能机器人"]),  # a shared word that is not a verb stays
    (["加强组织", "加强领导"], ["加强组织", "加强领导"]),  # remainders too short to stand alone
    # the shared prefix ends inside a word: cut after the verb, not mid-word
    (["推进产业升级", "推进产品创新"], ["产业升级", "产品创新"]),
    (["建设智能工厂", "建设智慧园区"], ["智能工厂", "智慧园区"]),
    (["发展新一代电子信息产业集群", "发展新能源汽车产业集群"], ["新一代电子信息", "新能源汽车"]),
    (["实施集群培育“强核工程”", "实施集群培育“强链工程”"], ["强核工程", "强链工程"]),
])
def test_short_names(headings, names):
    assert lists.short_names(headings) == names


def test_news_reprint_yields_the_same_20_items():
    nl = lists.primary_list(doc("guangdong-2021-chain-leader-news"))
    assert [i.name for i in nl.items] == PROVINCE_20
