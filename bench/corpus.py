"""Realistic Chinese text for the benchmark data: sentences cut from /work/shared/seeds/*.txt
(社区建设 reports and notices), filtered to clean simplified Chinese, plus a few forum-style lines.

Deterministic for a given random.Random; falls back to the built-in lines if the seeds are missing."""

from __future__ import annotations

import random
import re
from pathlib import Path

SEEDS_DIR = Path("/work/shared/seeds")

# Forum-style lines for short replies and 楼中楼 (the seed files are reports, not chat).
CHAT = (
    "同感，我们楼也是这样。",
    "顶一下，希望社区早点处理。",
    "+1，昨天晚上又堵住了。",
    "已经打过物业电话了，说是下周来看。",
    "谢谢社工，辛苦了！",
    "这个问题说了好几次了，什么时候能解决？",
    "支持楼主，人多力量大。",
    "我家老人腿脚不好，这事挺要紧的。",
    "周末居委会开议事会，大家可以去说说。",
    "楼主说得对，消防通道不能堵。",
    "物业回复了吗？",
    "我拍了照片，回头发到群里。",
    "小区东门那边也一样。",
    "建议在楼门口贴个告示。",
    "等结果，有进展麻烦更新一下。",
)

FALLBACK = (
    "嘉园一里社区居委会定期召开居民议事会，听取大家对小区停车、绿化和电梯运行的意见。",
    "社区服务站工作人员每天查看贴吧，收集整理居民反映的问题，转交相关单位处理。",
    "近期七号楼院内乱停车现象严重，消防通道经常被占用，存在安全隐患。",
    "为方便老年居民就餐，社区老年餐桌将在下月试运行，欢迎大家报名。",
    "物业公司表示将在本周内完成二单元楼道灯的维修，请居民注意出行安全。",
    "社区志愿者服务队招募治安巡逻队员和楼门长，有意者请到居委会登记。",
    "针对不文明养犬问题，社区联合派出所开展了宣传活动，提醒居民遛狗拴绳。",
    "中心花园广场舞的时间和音量问题，请大家在议事会上协商出一个方案。",
)

_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_JUNK = re.compile(r"上传|下载|docx|http|www|\*\*|文档|登录|点击|xx")

BUILDINGS = [f"{n}号楼" for n in range(1, 13)]
ISSUES = (
    "院内乱停车",
    "楼道堆放杂物",
    "电梯又坏了",
    "夜间施工噪音",
    "遛狗不拴绳",
    "垃圾分类点太远",
    "楼道灯不亮",
    "暖气不热",
    "快递柜选址",
    "绿化带被占用",
    "电动车楼道充电",
    "广场舞音量太大",
    "下水道堵塞",
    "门禁卡失灵",
)
ASKS = ("，大家怎么看？", "，谁能管管？", "问题反映", "，求助社区", "，已联系物业", "（持续更新）", "")


def _is_clean(sentence: str) -> bool:
    if not 12 <= len(sentence) <= 120 or _JUNK.search(sentence):
        return False
    try:
        sentence.encode("gb2312")  # simplified Chinese only: drops the mis-decoded (mojibake) parts
    except UnicodeEncodeError:
        return False
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in sentence)
    return cjk >= 0.6 * len(sentence)


def load_sentences(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            for match in _SENTENCE.findall(line):
                sentence = match.strip()
                if _is_clean(sentence):
                    seen.setdefault(sentence)
    return list(seen) if len(seen) >= 50 else list(FALLBACK)


class Corpus:
    def __init__(self, seed: int = 2016) -> None:
        self.rng = random.Random(seed)
        self.sentences = load_sentences()

    def body(self, min_sentences: int = 1, max_sentences: int = 4) -> str:
        n = self.rng.randint(min_sentences, max_sentences)
        parts = self.rng.sample(self.sentences, n)
        # Longer posts come in paragraphs.
        if n >= 3:
            return "".join(parts[:2]) + "\n\n" + "".join(parts[2:])
        return "".join(parts)

    def chat(self) -> str:
        return self.rng.choice(CHAT)

    def title(self) -> str:
        return f"{self.rng.choice(BUILDINGS)}{self.rng.choice(ISSUES)}{self.rng.choice(ASKS)}"
