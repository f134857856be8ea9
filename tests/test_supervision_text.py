"""The near-duplicate text search (supervision/text.py): words, shingles, datasketch-equal signatures, banding
at the threshold, groups, empty and short texts, workers, boilerplate buckets and the signature cache."""

from __future__ import annotations

import functools
import random
import unicodedata

import jieba
import numpy as np
import pytest
from datasketch import MinHash

from hvpatent.supervision import text

CLAIM = ("一种汽车用可调节支架，包括底座和壳体，所述底座的顶部固定连接有连接杆，所述连接杆的一侧滑动连接有滑轨，"
         "所述滑轨的内部设置有弹簧，所述弹簧与卡扣卡接，结构简单，操作方便，提高了工作效率。")
OTHER = ("本发明公开了一种锂电池电解液的制备方法，将碳酸乙烯酯与六氟磷酸锂在惰性气氛中混合，"
         "加热至六十摄氏度并保温两小时，得到的电解液离子电导率高，循环寿命长。")


@pytest.fixture(scope="module")
def sig():
    return lambda texts, **kw: text.signatures(texts, cache=False, **kw)


def test_tokens_fold_and_drop_punctuation():
    assert text.tokens("ＡＢＣ１２３，装置！") == ["abc123", "装置"]   # NFKC: full-width to ASCII, lower case
    assert text.tokens("  。，、  ") == []
    assert text.tokens("") == [] and text.tokens(None) == []


def _jieba_words(t: str) -> list[str]:
    """The reference: jieba's own words of the whole folded text (one call), punctuation and spaces dropped."""
    folded = unicodedata.normalize("NFKC", t).lower()
    return [w for w in jieba.lcut(folded, HMM=False) if w.isalnum() or not text._DROP.fullmatch(w)]


def test_tokens_are_jiebas_words_of_the_whole_text():
    # block by block through our look-up of jieba's dictionary, the same words as one jieba.lcut of the whole text:
    # the two claims, ASCII runs, numbers with points and signs, spaces and line ends, characters outside jieba's
    # alphabet (α, é, 〇), and random strings over those characters (ties and unknown characters on every route)
    fixed = [CLAIM, OTHER, "ABC abc123 1.5mm 30% a-b c#d e+f_g\r\nh\ti", "αé〇Ｘ１２，x y", "", "。", "的的的的"]
    for t in fixed:
        assert text.tokens(t) == _jieba_words(t), t
    rng = random.Random(20)
    alphabet = sorted(set(CLAIM + OTHER)) + list("abcXY019.+-#&%_ \t\n，。（）αé〇１Ａ")
    for _ in range(300):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert text.tokens(t) == _jieba_words(t), t


def test_block_memo_same_words_and_bounded(monkeypatch):
    assert text._block_words.cache_info().maxsize == text.BLOCK_MEMO
    small = functools.lru_cache(maxsize=3)(text._block_words.__wrapped__)
    monkeypatch.setattr(text, "_block_words", small)
    blocks = ["所述底座", "其特征在于", "结构简单", "操作方便", "提高了工作效率", "所述底座"]
    first = text.tokens("，".join(blocks))
    assert first == _jieba_words("，".join(blocks))
    assert small.cache_info().currsize == 3   # five distinct blocks, three remembered
    assert small.cache_info().hits == 0       # "所述底座" had been dropped by then (least recently used)
    assert text.tokens("其特征在于，结构简单") == _jieba_words("其特征在于，结构简单")   # both dropped too
    assert small.cache_info().hits == 0
    assert text.tokens("结构简单") == _jieba_words("结构简单")   # just remembered: from the memo
    assert small.cache_info().hits == 1 and small.cache_info().currsize == 3


def test_shingles_short_and_long():
    assert text.shingles(["一", "二", "三"], 2) == ["一 二".encode(), "二 三".encode()]
    assert text.shingles(["一"], 2) == ["一".encode()]   # fewer words than a shingle: the words themselves
    assert text.shingles([], 2) == []


def test_signature_is_datasketch_minhash_seed_1(sig):
    words = text.shingles(text.tokens(CLAIM), 2)
    for num_perm in (64, 128):
        mh = MinHash(num_perm=num_perm, seed=1)
        mh.update_batch(words)
        got = sig([CLAIM], num_perm=num_perm)
        assert got.dtype == np.uint64 and got.shape == (1, num_perm)
        assert got[0].tolist() == mh.hashvalues.tolist()


def test_empty_and_short_texts(sig):
    got = sig(["", "。", "装置", CLAIM])
    assert got[0].tolist() == [2**32 - 1] * 128 and got[1].tolist() == [2**32 - 1] * 128
    mh = MinHash(num_perm=128, seed=1)
    mh.update("装置".encode())   # one word, shorter than a shingle: the word itself
    assert got[2].tolist() == mh.hashvalues.tolist()
    # empty texts are never paired, though their signatures are equal
    assert text.similar_pairs(got[:2], bands=32, threshold=0.8) == []


def test_max_chars_cuts_the_text(sig):
    got = sig([CLAIM, CLAIM + OTHER], max_chars=len(CLAIM))
    assert (got[0] == got[1]).all()


def test_identical_one_word_and_unrelated(sig):
    changed = CLAIM.replace("弹簧", "螺栓")   # one part swapped: a few shingles differ
    sigs = sig([CLAIM, OTHER, CLAIM, changed])
    pairs = text.similar_pairs(sigs, bands=32, threshold=0.7)
    assert [(i, j) for i, j, _ in pairs] == [(0, 2), (0, 3), (2, 3)]   # OTHER paired with nothing
    sims = {(i, j): s for i, j, s in pairs}
    assert sims[(0, 2)] == 1.0
    assert 0.7 <= sims[(0, 3)] < 1.0 and sims[(0, 3)] == sims[(2, 3)]


def test_threshold_boundary():
    # signatures by hand: 128 permutations, rows 0 and 1 agree on 96 (0.75), rows 0 and 2 on 95 (below 0.75)
    base = np.arange(128, dtype=np.uint64)
    at = base.copy()
    at[96:] += 1000
    below = base.copy()
    below[95:] += 1000
    sigs = np.vstack([base, at, below])
    assert text.similar_pairs(sigs, bands=32, threshold=0.75) == [(0, 1, 0.75), (1, 2, 127 / 128)]
    assert text.similar_pairs(sigs, bands=32, threshold=95 / 128) == [(0, 1, 0.75), (0, 2, 95 / 128),
                                                                       (1, 2, 127 / 128)]
    assert text.similar_pairs(sigs, bands=32, threshold=0.76) == [(1, 2, 127 / 128)]


def test_groups_transitive_and_sorted():
    assert text.groups(7, [(5, 6, 0.9), (0, 3, 0.9), (3, 4, 0.85)]) == [[0, 3, 4], [5, 6]]
    assert text.groups(3, []) == []


def test_two_workers_same_signatures(monkeypatch, sig):
    monkeypatch.setattr(text, "MIN_PARALLEL", 0)
    texts = [CLAIM, OTHER, "", CLAIM.replace("底座", "壳体")] * 3
    one = text.signature_stream(iter(texts), len(texts), workers=1)
    two = text.signature_stream(iter(texts), len(texts), workers=2, chunk=5)   # three chunks over two processes
    assert np.array_equal(one, two)
    with pytest.raises(ValueError, match="12 texts read, 13 announced"):
        text.signature_stream(iter(texts), 13)


def test_big_bucket_boilerplate_and_copies():
    # 500 texts agree on the first band only (boilerplate): a bucket over the cap, split by the next bands, none
    # paired; 300 exact copies: alike in every band, chained into one group with at most WINDOW pairs each
    rng = np.random.default_rng(7)
    boiler = rng.integers(0, 2**32 - 1, size=(500, 128), dtype=np.uint64)
    boiler[:, :4] = 42
    copies = np.tile(rng.integers(0, 2**32 - 1, size=128, dtype=np.uint64), (300, 1))
    sigs = np.vstack([boiler, copies])
    stats: dict = {}
    pairs = text.similar_pairs(sigs, bands=32, threshold=0.8, stats=stats)
    assert stats["big_buckets"] >= 32   # the copies' bucket in each band, and the boilerplate's first band
    assert all(i >= 500 and s == 1.0 for i, _, s in pairs)
    assert len(pairs) <= 300 * text.WINDOW
    assert text.groups(len(sigs), pairs) == [list(range(500, 800))]


def test_small_bucket_all_pairs():
    sigs = np.tile(np.arange(128, dtype=np.uint64), (4, 1))
    assert [(i, j) for i, j, _ in text.similar_pairs(sigs, bands=32, threshold=0.8)] == [
        (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_cache_reuses_signatures(monkeypatch):
    text.clear_cache()
    first = text.signatures([CLAIM, OTHER])
    assert text.cache_info()["entries"] == 2
    monkeypatch.setattr(text, "tokens", lambda _t: pytest.fail("segmented again"))
    again = text.signatures([OTHER, CLAIM])
    assert np.array_equal(again, first[::-1])
    monkeypatch.setattr(text, "CACHE_SIZE", 1)
    text.clear_cache()
    monkeypatch.undo()
    monkeypatch.setattr(text, "CACHE_SIZE", 1)
    text.signatures([CLAIM, OTHER])
    assert text.cache_info()["entries"] == 1   # bounded: the oldest dropped
    text.clear_cache()
