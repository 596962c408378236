"""The search form of text and its n-grams: what a message is indexed by and what a query looks for.

`normalise` folds case (str.casefold) and drops accents (NFKD, then without its combining marks), so `cafe`
finds "Café" and `ＤＥＰＬＯＹ` (full-width) finds "deploy"; kana and Hangul are only composed (NFC), since
their marks are part of the letter (が is not か) and NFKD would split a Hangul syllable into its jamo.

`grams` are every distinct substring of 2 and 3 characters of each word of the normalised content (a word:
a run without whitespace, so text without spaces, as Chinese or Japanese is written, is one long word). A
search term, 2..100 characters without whitespace, lies within one word, so every gram of the term is a gram
of any message that contains it: the index never misses a match. It may offer a candidate that contains the
grams without the term, so `contains` checks every candidate exactly against its normalised content.
"""
import re
import unicodedata

MIN_TERM, MAX_TERM = 2, 100
# Scripts whose combining marks are part of the letter: Hangul Jamo, Hiragana and Katakana, Hangul
# Compatibility Jamo, Katakana Phonetic Extensions, Hangul Syllables, Halfwidth Hangul.
_COMPOSED = re.compile("[\u1100-\u11FF\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\uAC00-\uD7AF\uFFA0-\uFFDC]+")
# Letters seen most often in the languages written with the Latin script: a gram made of them is common, so a
# search reads the index under its least common gram (see `lead`).
_COMMON = "etaoinsrhldcumfpgwybvk"


def _unaccented(text):
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text):
    """text folded for search: NFC, accents dropped (NFKD without combining marks) outside kana and Hangul,
    then case-folded. Plain ASCII takes the short way (it has no accents)."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return text.lower()
    parts, start = [], 0
    for run in _COMPOSED.finditer(text):
        parts += [_unaccented(text[start:run.start()]), run.group()]
        start = run.end()
    parts.append(_unaccented(text[start:]))
    return "".join(parts).casefold()


def _word_grams(word):
    return {word[i:i + n] for n in (2, 3) for i in range(len(word) - n + 1)}


def grams(content):
    """The sorted, distinct 2- and 3-character grams of content's normalised words (what a message stores)."""
    found = set()
    for word in set(normalise(content or "").split()):  # a repeated word adds nothing
        found |= _word_grams(word)
    return sorted(found)


def terms(q):
    """The normalised terms of a query (split on whitespace, repeats dropped, longest first)."""
    return sorted(set(normalise(q).split()), key=len, reverse=True)


def term_grams(term):
    """What a term looks for in the index: itself when 2 characters long, else its trigrams."""
    return {term} if len(term) == MIN_TERM else {term[i:i + 3] for i in range(len(term) - 2)}


def rarity(gram):
    """How uncommon a gram probably is (higher: fewer messages hold it): letters outside the common Latin ones,
    digits, other scripts and longer grams count more."""
    score = len(gram) * 10
    for ch in gram:
        score += 1 + _COMMON.index(ch) // 4 if ch in _COMMON else 8
    return score


def lead(wanted):
    """(the gram to read the index under, the other grams a candidate must hold too) for a set of grams."""
    ordered = sorted(wanted, key=lambda g: (-rarity(g), g))
    return ordered[0], ordered[1:]


def contains(content, wanted_terms):
    """Whether every (normalised) term occurs in content's normalised form: the exact check of a candidate."""
    folded = normalise(content or "")
    return all(term in folded for term in wanted_terms)
