"""The near-duplicate benchmark of issue 20: MinHash signatures, banding and groups over N synthetic applications.

    nice -n 10 python bench/abnormal_bench.py --n 1000000 --workers 2

Generates N applications (default 1,000,000) as title + abstract + first claim, about 235 characters each: the
patent boilerplate (本发明公开了一种…, 包括…, 所述…连接于…的顶部, 其特征在于, the usual effects) around free text drawn
word by word from jieba's own dictionary by its frequencies (Zipf-like, as real text), with parts named from the
domain's list or the dictionary's nouns; ``--groups`` planted groups of 3–6 near-identical texts (each member a copy
of its group's text with a word swapped in one to three clauses).  The corpus is written to a temporary file before
the clock starts (its distinct words and word pairs over ``--sample`` texts are printed), then streamed to
``signature_stream`` in chunks over ``--workers`` processes (never all in memory at once), then ``similar_pairs``
and ``groups`` at the shipped settings (supervision/config.yaml: num_perm, bands, shingle, max_chars; the
near_duplicate rule's threshold).  Prints one JSON object: seconds per stage, the block memo's hit rate, candidates,
pairs found, planted groups recovered (all members in one found group), found groups, peak RSS of the process and of
its workers (resource.getrusage), and the total.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

OBJECTS = ["装置", "设备", "系统", "机构", "组件", "结构", "电路", "模块", "方法", "工艺", "组合物", "传感器", "控制器",
           "夹具", "阀门", "电机", "电池", "支架", "管道", "轴承", "齿轮箱", "散热器", "滤网", "喷头", "刀具"]
FIELDS = ["汽车", "摩托车", "轨道交通", "光伏", "锂电池", "数控机床", "医疗器械", "农业机械", "食品加工", "建筑材料",
          "环保", "纺织", "化工", "电子元件", "智能家居", "通信", "航空", "船舶", "物流", "包装", "印刷", "冶金"]
PARTS = ["底座", "壳体", "连接杆", "固定板", "滑轨", "弹簧", "螺栓", "卡扣", "转轴", "密封圈", "导向槽", "安装座",
         "电机", "齿轮", "皮带轮", "控制单元", "检测单元", "显示屏", "散热片", "风扇", "过滤层", "进料口", "出料口",
         "支撑架", "升降机构", "夹紧机构", "驱动组件", "传动轴", "缓冲垫", "限位块", "温度传感器", "压力传感器"]
VERBS = ["连接", "固定", "设置", "安装", "套设", "滑动连接", "转动连接", "电性连接", "焊接", "卡接", "螺纹连接"]
PLACES = ["顶部", "底部", "一侧", "两侧", "内部", "外侧", "前端", "后端", "中部", "上表面", "下表面", "端部"]
EFFECTS = ["提高了工作效率", "降低了生产成本", "结构简单", "操作方便", "使用寿命长", "稳定性好", "安全可靠",
           "便于维护", "节能环保", "精度高", "噪音小", "适用范围广", "减少了人工劳动", "提高了产品质量"]
ADJS = ["新型", "高效", "智能", "便携式", "自动", "多功能", "可调节", "节能型", "防水", "模块化", "一体化", "快速"]


class Vocabulary:
    """jieba's own dictionary (dict.txt, about 349,000 words with their corpus frequencies) drawn by frequency, so
    the free text follows the Zipf-like spread of real Chinese (a few very common words, a long tail); its nouns
    (tag n) name parts beside the domain's, so two applications rarely share a part by chance."""

    def __init__(self) -> None:
        import jieba

        words, cum, nouns, total = [], [], [], 0
        path = Path(jieba.__file__).with_name("dict.txt")
        for line in path.read_text(encoding="utf-8").splitlines():
            word, freq, *tag = line.split(" ")
            if _HAN.fullmatch(word) and int(freq) > 0:
                total += int(freq)
                words.append(word)
                cum.append(total)
                if tag == ["n"] and len(word) >= 2:
                    nouns.append(word)
        self.words, self.cum, self.nouns = words, cum, nouns

    def free(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=count)

    def part(self, rng: random.Random) -> str:
        return rng.choice(PARTS) if rng.random() < 0.5 else rng.choice(self.nouns)


_HAN = re.compile(r"[\u4e00-\u9fd5]+")


def _structure(rng: random.Random, v: Vocabulary) -> list[str]:
    return ["所述", v.part(rng), rng.choice(VERBS), "于", v.part(rng), "的", rng.choice(PLACES)]


def _phrase(rng: random.Random, v: Vocabulary) -> list[str]:
    """A clause of the description: a structural one (所述…连接于…的顶部) or free text of 5–10 dictionary words."""
    if rng.random() < 0.5:
        return _structure(rng, v)
    return v.free(rng, rng.randint(5, 10))


def application(rng: random.Random, v: Vocabulary) -> list[list[str]]:
    """One application's text as phrases of words (so a variant can change a word of one or two of them): title,
    abstract opening with the usual 本发明公开了一种…, clauses, effects, and a first claim with 其特征在于."""
    core = [rng.choice(FIELDS), "用", rng.choice(ADJS), *v.free(rng, rng.randint(0, 2)), rng.choice(OBJECTS)]
    title = ["一种", *core]
    phrases = [title, ["本发明公开了一种", *core], ["包括", v.part(rng), "、", v.part(rng), "和", v.part(rng)]]
    phrases += [_phrase(rng, v) for _ in range(rng.randint(5, 7))]
    phrases += [["本发明", rng.choice(EFFECTS)], [rng.choice(EFFECTS)], [rng.choice(EFFECTS)]]
    phrases += [["1.一种", *core], ["其特征在于"], ["包括", v.part(rng), "和", v.part(rng)]]
    phrases += [_phrase(rng, v) for _ in range(rng.randint(3, 4))]
    return phrases


def render(phrases: list[list[str]]) -> str:
    return "，".join("".join(p) for p in phrases) + "。"


def variant(rng: random.Random, v: Vocabulary, phrases: list[list[str]]) -> list[list[str]]:
    """A near-identical copy: in one to three of the later phrases one word swapped for another (a part for a part,
    a free word for a free word: the "simple recombination of features" of article 3 (一)), which leaves the
    estimated similarity around 0.8–0.95."""
    out = [list(p) for p in phrases]
    for k in rng.sample(range(3, len(out)), rng.randint(1, 3)):
        w = rng.randrange(len(out[k]))
        out[k][w] = v.part(rng) if rng.random() < 0.5 else v.free(rng, 1)[0]
    return out


def corpus(n: int, planted: int, seed: int) -> tuple[Iterator[str], list[list[int]]]:
    """The texts (lazily) and the planted groups (indices).  Groups are spread evenly over the N texts."""
    rng = random.Random(seed)
    vocabulary = Vocabulary()
    sizes = [rng.randint(3, 6) for _ in range(planted)]
    step = max(n // max(planted, 1), 1)
    starts = [g * step for g in range(planted) if g * step + sizes[g] <= n]
    groups = [list(range(s, s + sizes[g])) for g, s in enumerate(starts)]
    first = {g[0]: len(g) for g in groups}

    def texts() -> Iterator[str]:
        i = 0
        while i < n:
            base = application(rng, vocabulary)
            yield render(base)
            for _ in range(first.get(i, 1) - 1):
                yield render(variant(rng, vocabulary, base))
            i += first.get(i, 1)

    return texts(), groups


def _describe(path: Path, sample: int) -> dict:
    """The corpus's length and, over its first ``sample`` texts, its distinct words and word pairs (jieba's words,
    as the search sees them), before the clock starts."""
    from hvpatent.supervision.text import tokens

    words: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    chars = count = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            count += 1
            chars += len(line) - 1
            if count <= sample:
                w = tokens(line)
                words.update(w)
                pairs.update(itertools.pairwise(w))
    return {"mean_chars": round(chars / max(count, 1), 1), "sample": min(sample, count),
            "distinct_words": len(words), "distinct_pairs": len(pairs)}


def _rss_mib(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)   # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=1000, help="planted near-identical groups")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--sample", type=int, default=20_000, help="texts whose distinct words and pairs are counted")
    args = parser.parse_args()

    from hvpatent.supervision import text
    from hvpatent.supervision.config import default_config

    config = default_config()
    t, threshold = config.text, config.rule("near_duplicate")["threshold"]  # text: a dict of the settings
    texts, planted = corpus(args.n, args.groups, args.seed)
    out: dict = {"n": args.n, "workers": args.workers, "num_perm": t["num_perm"], "bands": t["bands"],
                 "shingle": t["shingle"], "max_chars": t["max_chars"], "threshold": threshold, "planted": len(planted)}
    with tempfile.TemporaryDirectory() as tmp:
        # written out before the clock starts: the search reads its texts as it would read the warehouse's, and the
        # generator's own work does not take the workers' cores
        mark, path = time.perf_counter(), Path(tmp) / "corpus.txt"
        with path.open("w", encoding="utf-8") as f:
            f.writelines(x + "\n" for x in texts)
        out["corpus_s"] = round(time.perf_counter() - mark, 1)
        out.update(_describe(path, args.sample))
        start, stats = time.perf_counter(), {}
        with path.open(encoding="utf-8") as f:
            sigs = text.signature_stream((line.rstrip("\n") for line in f), args.n, num_perm=t["num_perm"],
                                         shingle=t["shingle"], max_chars=t["max_chars"], workers=args.workers,
                                         stats=stats)
    out["signatures_s"] = round(time.perf_counter() - start, 1)
    hits, misses = stats.pop("block_hits"), stats.pop("block_misses")
    out.update(block_memo_hits=hits, block_memo_misses=misses,
               block_memo_hit_rate=round(hits / max(hits + misses, 1), 3))
    mark = time.perf_counter()
    pairs = text.similar_pairs(sigs, bands=t["bands"], threshold=threshold, stats=stats)
    out["similar_pairs_s"] = round(time.perf_counter() - mark, 1)
    mark = time.perf_counter()
    found = text.groups(args.n, pairs)
    out["groups_s"] = round(time.perf_counter() - mark, 1)
    out["total_s"] = round(time.perf_counter() - start, 1)
    where = {x: k for k, g in enumerate(found) for x in g}
    recovered = sum(1 for g in planted if g[0] in where and all(where.get(x) == where[g[0]] for x in g))
    out.update(stats, found_groups=len(found), recovered=recovered,
               recall=round(recovered / max(len(planted), 1), 4),
               found_outside_planted=sum(1 for g in found if not any(g[0] == p[0] for p in planted)),
               peak_rss_mib=_rss_mib(resource.RUSAGE_SELF), peak_rss_workers_mib=_rss_mib(resource.RUSAGE_CHILDREN),
               signatures_mib=round(sigs.nbytes / 2**20, 1))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
