"""Turning what people type into comparable terms: folding, spelling, synonyms, stems."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

WILDCARD = "*"
# Only this much of a message is read by the crisis check and the matcher: nobody's question is
# longer, and it bounds the work any message can cause.
MAX_CHARACTERS = 4096  # Telegram's own limit for one message

# Function words that never tell two questions apart. Question words (how, many, long, who,
# why, often) are kept on purpose: "how long" and "who" separate entries.
STOP_WORDS = frozenset(
    """
    a an the and or but if then so of to in on at by for with from into onto about as
    is are was were be been being am do does did doing done have has had having
    i me my mine myself im ive id ill we us our ours you your yours youre u ur
    he him his she her hers they them their theirs it its itself this that these those
    there here what whats which whom whose where when whats would could should shall will
    wont cant dont doesnt didnt isnt arent wasnt can may might must
    some any all each every very much more most such than too also just only really
    get got getting go going gone up out off over again still even ever
    something anything someone anyone thing things stuff one ones
    youve youll youd theyre theyve weve hes shes thats theres whos wouldnt couldnt
    shouldnt havent hasnt hadnt werent wot wots wat wats
    """.split()
)

_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": "", "\u02bc": ""})
_NON_WORD = re.compile(r"[^0-9a-z*_]+")
_MIN_CORRECTABLE = 5
_MIN_SWAPPABLE = 4
# One slip in seven letters ("sesions") is corrected; "wanting" is not made "waiting".
_CORRECTION_CUTOFF = 0.86


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes dropped (don't -> dont), other symbols as spaces."""
    if text.isascii():  # most messages: nothing to fold but case
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.translate(_APOSTROPHES)).split())


# Look-alike letters from other scripts that people (or filters' evaders) put in place of
# Latin ones; NFKC already maps full-width and mathematical letters.
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "һ": "h",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "к": "k",
        "м": "m",
        "т": "t",
        "в": "b",
        "н": "h",
        "ι": "i",
        "ο": "o",
        "α": "a",
        "ε": "e",
        "κ": "k",
        "ν": "v",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }
)
# Digits and signs written for letters ("k1ll mys3lf"), only ever between two letters so that
# "16 sessions", "3pm" and "covid19" keep their numbers.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_LEET_BETWEEN_LETTERS = re.compile(r"(?<=[^\W\d_])[013457@$!](?=[^\W\d_])")
# Three or more single letters with one separator each: "s u i c i d e", "d.i.e".
_SPACED_LETTERS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .\-_*]){2,}[^\W\d_](?![^\W\d_])")
_LONG_RUNS = re.compile(r"([^\W\d_])\1{2,}")


def reveal(text: str, vocabulary: frozenset[str] = frozenset()) -> str:
    """The text with what hides words undone, before any check reads it: invisible characters
    (zero-width, soft hyphen, bidi marks), look-alike letters from other scripts, letters
    spaced out, digits for letters, and letters held down ("diiiie" becomes "diie", which
    spelling correction then reads as "die"). Letters spaced out across several words
    ("k i l l m y s e l f") are split back into words of `vocabulary` where they can be."""
    if text.isascii() and not any(ch.isdigit() or ch in "@$!" for ch in text):
        cleaned = text
    else:
        cleaned = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        cleaned = unicodedata.normalize("NFKC", cleaned).translate(_LOOKALIKES)
        cleaned = _LEET_BETWEEN_LETTERS.sub(lambda m: _LEET[m[0]], cleaned)
    cleaned = _SPACED_LETTERS.sub(
        lambda m: segment(re.sub(r"[ .\-_*]", "", m[0]), vocabulary), cleaned
    )
    return _LONG_RUNS.sub(r"\1\1", cleaned)


def segment(run: str, vocabulary: frozenset[str]) -> str:
    """`run` as the fewest words of `vocabulary` ("killmyself" -> "kill myself"), or as it is
    when it is a word already or cannot be split so."""
    word = run.lower()
    if not vocabulary or word in vocabulary or len(word) > 60:
        return run
    # best[i]: the fewest words spelling word[:i], as the index where its last word starts.
    unreached = (len(word) + 1, -1)
    best = [(0, 0)] + [unreached] * len(word)  # (words so far, where the last one starts)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 20), end):
            count = best[start][0] + 1
            if best[start] != unreached and count < best[end][0] and word[start:end] in vocabulary:
                best[end] = (count, start)
    if best[-1] == unreached:
        return run
    words, end = [], len(word)
    while end > 0:
        start = best[end][1]
        words.append(run[start:end])
        end = start
    return " ".join(reversed(words))


# A long message is judged sentence by sentence too, up to this many sentences.
MAX_SENTENCES = 12
# A sentence shorter than this is judged only as part of the whole message: a lone "ok bye"
# or "why" says nothing about risk, and sits near anything.
MIN_SENTENCE_WORDS = 4
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|\s+(?:but|anyway|and then|because|so)\s+", re.I)


# A longer stretch without a full stop is judged in pieces of this many words: an encoder's cost
# grows with the square of the length, and a run-on message is several sentences anyway.
MAX_SENTENCE_WORDS = 24


def sentences(text: str) -> list[str]:
    """The sentences of a message worth judging on their own; none when that would only repeat
    the whole. Run-on stretches longer than MAX_SENTENCE_WORDS are cut into pieces of that
    length."""
    parts: list[str] = []
    for part in _SENTENCE_END.split(text):
        said = (part or "").split()
        for start in range(0, len(said), MAX_SENTENCE_WORDS):
            piece = said[start : start + MAX_SENTENCE_WORDS]
            if len(piece) < MIN_SENTENCE_WORDS and parts and start > 0:
                parts[-1] += " " + " ".join(piece)  # a short tail stays with its sentence
            elif len(piece) >= MIN_SENTENCE_WORDS:
                parts.append(" ".join(piece))
    # One sentence is worth judging alone when the rest of the message was too short to count
    # ("what is dit... actually doesn't matter, i won't be around next week anyway").
    if len(parts) == 1 and len(parts[0].split()) == len(text.split()):
        return []
    if len(parts) > MAX_SENTENCES:  # the beginning and the end, where a story turns
        half = MAX_SENTENCES // 2
        parts = parts[:half] + parts[-half:]
    return parts


def is_plain_number(text: str) -> bool:
    """ASCII digits only: "²" and "٣" are digits to str.isdigit, but not to int() or to us."""
    return text.isascii() and text.isdecimal()


def words(text: str) -> list[str]:
    return fold(text).split()


class Analyzer:
    """Maps a text to its terms; built once per knowledge load from the staff's word lists."""

    def __init__(
        self,
        synonyms: Mapping[str, Iterable[str]],
        filler_words: Iterable[str],
        vocabulary: Iterable[str],
    ) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        known: set[str] = set(STOP_WORDS)
        for canonical, variants in synonyms.items():
            # A many-word canonical is one term: "postnatal depression" must not also count
            # as "depression", or the general entry would compete with the specific one.
            target = ("_".join(words(canonical)),)
            for variant in (canonical, *variants):
                key = tuple(words(variant))
                if key and key != target:
                    self._phrases[key] = target
                known.update(key)
            known.update(target)
        self._longest = max((len(k) for k in self._phrases), default=1)
        self._phrase_starts = frozenset(k[0] for k in self._phrases)
        fillers = {w for f in filler_words for w in words(f)}
        self._ignored = STOP_WORDS | fillers
        self._filler_stems = frozenset(self._stemmer.stemWord(w) for w in fillers)
        known |= self._ignored
        for text in vocabulary:
            known.update(words(text))
        known.discard(WILDCARD)
        self.vocabulary = frozenset(known)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for known_word in sorted(self.vocabulary):
            self._by_length[len(known_word)].append(known_word)
        self._known_stems = frozenset(self._stemmer.stemWord(w) for w in self.vocabulary)
        # Each known word with one letter left out, and the word it came from.
        self._one_short: dict[str, str] = {}
        for known_word in sorted(self.vocabulary, reverse=True):
            if len(known_word) > _MIN_CORRECTABLE and known_word.isalpha():
                for i in range(len(known_word)):
                    self._one_short[known_word[:i] + known_word[i + 1 :]] = known_word
        self._correct = lru_cache(maxsize=65536)(self._correct_uncached)
        self._choices_for = lru_cache(maxsize=64)(self._choices_for_uncached)
        self._stem = lru_cache(maxsize=65536)(self._stemmer.stemWord)

    def terms(self, text: str, level: int = 0) -> list[str]:
        """Content terms in order, each once: corrected, mapped to synonyms, stemmed.

        Level 0 drops stop words and fillers; level 1 keeps fillers ("hi", "thanks") and
        level 2 keeps every word. The matcher steps up a level only when a message would
        otherwise be empty, so that "hi" or "what can you do" can still be answered.
        """
        ignored = (self._ignored, STOP_WORDS, frozenset[str]())[level]
        tokens = [self._correct(w) for w in words(text)]
        seen: dict[str, None] = {}
        for token in self._map_phrases(tokens):
            if token in ignored or (level < 2 and len(token) == 1 and token.isalpha()):
                # Single letters are chat noise ("ok bye x", "u ok?"), not topics.
                continue
            term = token if token == WILDCARD else self._stem(token)
            if level == 0 and term in self._filler_stems:
                continue  # a filler in another form: "mum's" is "mums", a form of "mum"
            seen.setdefault(term, None)
        return list(seen)

    def first_terms(self, text: str, start: int = 0) -> list[str]:
        """The terms at the lowest level from `start` that leaves any."""
        for level in range(start, 3):
            found = self.terms(text, level)
            if found:
                return found
        return []

    def _correct_uncached(self, word: str) -> str:
        if len(word) < _MIN_SWAPPABLE or word in self.vocabulary or not word.isalpha():
            return word
        if self._stem(word) in self._known_stems:
            return word  # a known word in another form ("talking"): not a typo of "taking"
        # Two letters swapped ("greif", "piont") is the commonest slip and rarely another word.
        for i in range(len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped in self.vocabulary:
                return swapped
        if len(word) < _MIN_CORRECTABLE:
            return word
        # Next, a letter left out or typed twice ("bipolr", "therapyy"). One letter *changed*
        # is more often another word ("wanting", "waiting"), so that needs a longer word below.
        if word in self._one_short:
            return self._one_short[word]
        for i in range(len(word)):
            shorter = word[:i] + word[i + 1 :]
            if shorter in self.vocabulary and len(shorter) >= _MIN_CORRECTABLE:
                return shorter
        return self._closest(word) or word

    def _closest(self, word: str) -> str | None:
        """The known word most like `word`, if any is within the cutoff.

        Only words of about the same length can be similar enough: d letters more or fewer
        already cost d edits. Same candidates, in the same (sorted) order, as the whole list.
        """
        found = process.extractOne(
            word,
            self._choices_for(len(word)),
            scorer=OSA.normalized_similarity,
            score_cutoff=_CORRECTION_CUTOFF,
        )
        return None if found is None else str(found[0])

    def _choices_for_uncached(self, length: int) -> list[str]:
        spread = int((1 - _CORRECTION_CUTOFF) * length / _CORRECTION_CUTOFF + 1e-9)
        lengths = range(max(length - spread, _MIN_CORRECTABLE - 1), length + spread + 1)
        return sorted(w for n in lengths for w in self._by_length.get(n, ()))

    def _map_phrases(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in self._phrase_starts:
                out.append(tokens[i])
                i += 1
                continue
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                target = self._phrases.get(tuple(tokens[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out
