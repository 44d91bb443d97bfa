"""A tiny three-level library for the review tests: a State Council regulation, an unrelated national law, and a
city regulation that restates, weakens and exceeds it (a planted fine conflict)."""
from __future__ import annotations

from pathlib import Path

UPPER = """# 烟花示例安全管理条例

2006年1月21日 中华人民共和国国务院令第455号公布

<!-- INFO END -->

## 第一章 总则

第一条 为了加强烟花示例安全管理，预防爆炸事故发生，保障公共安全和人身、财产的安全，制定本条例。

第二条 县级以上地方人民政府应当建立烟花示例安全监督管理协调机制，将烟花示例安全管理经费纳入本级财政预算。

第三条 燃放烟花示例，应当按照燃放说明燃放，不得以危害公共安全和人身、财产安全的方式燃放烟花示例。

第四条 从事烟花示例零售的经营者，应当向所在地县级人民政府安全生产监督管理部门提出申请，受理申请的部门应当自受理申请之日起20日内对提交的有关材料和经营场所进行审查，对符合条件的，核发烟花示例经营许可证。

第五条 烟花示例运达目的地后，收货人应当在3日内将运输许可证交回发证机关核销。

## 第二章 法律责任

第六条 在禁止燃放烟花示例的时间、地点燃放烟花示例，或者以危害公共安全和人身、财产安全的方式燃放烟花示例的，由公安部门责令停止燃放，处100元以上500元以下的罚款；构成违反治安管理行为的，依法给予治安管理处罚。

第七条 本条例自2006年3月1日起施行。
"""

OTHER = """# 中华人民共和国道路示例法

2003年10月28日 第十届全国人民代表大会常务委员会第五次会议通过

<!-- INFO END -->

第一条 为了维护道路示例交通秩序，预防和减少交通事故，制定本法。

第二条 机动车驾驶人应当按照规定的速度行驶，不得超速行驶。

第三条 机动车驾驶人违反道路示例交通安全法律、法规关于道路通行规定的，处警告或者二十元以上二百元以下罚款。

第四条 公安机关交通管理部门应当在二十四小时内作出处理决定。

第五条 本法自2004年5月1日起施行。
"""

CITY = """# 丽水市烟花示例管理规定

2020年11月24日 丽水市第四届人民代表大会常务委员会第二十八次会议通过

2020年12月24日 浙江省第十三届人民代表大会常务委员会第二十六次会议批准

<!-- INFO END -->

第一条 为了加强烟花示例管理，保障公共安全和人身、财产安全，根据《烟花示例安全管理条例》等法律、法规，结合本市实际，制定本规定。

第二条 燃放烟花示例，应当按照燃放说明燃放，不得以危害公共安全和人身、财产安全的方式燃放烟花示例。

第三条 从事烟花示例零售的经营者，可以向所在地县级人民政府应急管理部门提出申请，受理申请的部门应当自受理申请之日起30日内对提交的有关材料和经营场所进行审查，对符合条件的，核发烟花示例经营许可证。

第四条 在禁止燃放烟花示例的时间、地点燃放烟花示例的，由公安机关责令停止燃放，处一千元以上五千元以下的罚款。

第五条 任何单位和个人不得污损、破坏禁止燃放烟花示例警示标志。违反规定的，由公安机关责令改正，处二百元以上一千元以下的罚款。

第六条 本规定自2021年3月1日起施行。
"""


def write_library(root: Path) -> Path:
    """The three files under root/national and root/zhejiang; returns root."""
    (root / "national").mkdir(parents=True, exist_ok=True)
    (root / "zhejiang").mkdir(parents=True, exist_ok=True)
    (root / "national" / "烟花示例安全管理条例(2016-02-06).md").write_text(UPPER, encoding="utf-8")
    (root / "national" / "道路示例法(2021-04-29).md").write_text(OTHER, encoding="utf-8")
    (root / "zhejiang" / "丽水市烟花示例管理规定(2021-01-11).md").write_text(CITY, encoding="utf-8")
    return root


def load_library(root: Path):
    from indexer.ingest.corpus import load_folders

    write_library(root)
    return load_folders([root / "national", root / "zhejiang"], errors=[])
