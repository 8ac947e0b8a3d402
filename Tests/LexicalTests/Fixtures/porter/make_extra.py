#!/usr/bin/env python3
"""Writes extra.tsv: words beyond Porter's vocabulary (voc.txt) and PyStemmer's Snowball "porter" stem of each.

Run from this folder with PyStemmer installed (pip install PyStemmer); the output is deterministic for a given
PyStemmer version (seeded generator, insertion order kept, words already in voc.txt left out).

    python3 make_extra.py            # writes extra.tsv next to this script

Each line is word<TAB>stem (the stem may be empty: "s" stems to ""). The words aim at what an analyzer feeds the
stemmer that voc.txt does not cover: inflected and suffixed forms, digits, non-ASCII letters (precomposed and with
combining marks), Greek and Cyrillic, every short word shape, y-words, plus a few uppercase and punctuated inputs
for the exact Snowball behaviour of the public PorterStemmer.stem.
"""
import os
import random
import string
import unicodedata

import Stemmer

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1980)

BASES = """
connect relate hope run happy general sensitive digit operate condition rational valence hesitance predict
formal adjust depend activate electric hope feud probate cease controll roll bomb fail file size mat hop tan fall
hiss fizz fail sing bleed agree feed plaster motor conflat trouble adopt adopt effect allow gene prote cell immun
tumor infect vaccin respons regulat express transcript bind mutat inhibit signal analys measur observ treat therap
patient clinic random associat increas decreas reduc compar differ signific statist evalu method model sampl
popul studi cultur microbi bacteri viral receptor enzym metabol oxid synthes degrad migrat prolifer apoptos
differenti stem neuron cortic synap memori learn behavior cognit emot stress anxieti depress sleep circadian
hormon insulin glucos lipid cholesterol obes diabet cardiac vascular pulmonar renal hepat gastric intestin skin
bone muscl joint arthrit inflamm pain surgeri transplant donor recipi graft toler reject antibod antigen peptid
sequenc genom epigenet methyl chromatin histon nucleosom replic repair damag mutagen carcinogen radiat chemo
drug dose toxic pharmac kinet absorpt distribut elimin clearanc half interact advers safeti efficac trial cohort
""".split()

SUFFIXES = """
s es ed ing er ers est ly ness nesses ment ments ation ations ational ationally ization izations izer izers
fulness iveness ousness ability ibility ically alism alistic alities ality iveness ousli entli abli alli eli
ator ators alize alized icate icated iciti ical ative ful ance ence able ible ant ement ent ou ism ate iti ous ive
ize ion sion tion e al ic y ies ied ier iest ying yed
""".split()

SYLLABLES = "con re de in ex pro per sub trans inter com dis un pre ab ad ob tra ple sta gra ver mon tel lat nat".split()

NON_ASCII_WORDS = """
naïveties naïvely naïveté résumés résumé cafés café façades façade coöperating coöperation über jalapeños piñatas
crème fiancées fiancée señoritas señora straße straßen größe mädchen schön fußball élégant élève déjà vu
à ça où été ﬁnding ﬂowers œuvres æsthetics smörgåsbord fjörðurinn ísland søren ærø kraków łódź dvořák
čeština ğüneş istanbul ıstanbul hawaiʻi
λόγος λόγοι ανθρώπους ανθρωπος ελληνικά φιλοσοφία σοφίας καλος καλός ωραίος
программирование словами россия москва язык языки украина київ
שלום عربي हिन्दी किताब 中文 日本語 한국어 ไทย
""".split()

COMBINING = ["\u0301", "\u0300", "\u0308", "\u0303", "\u0327", "\u030c"]
NON_ASCII_LETTERS = list("éèêëàâäáãåçñøßıœæðþłśźżčšžőűğîïíìôöóòõûüúùýÿ") + ["ǆ", "ｆ", "ⅰ", "²", "٣", "१"]

Y_WORDS = """
sky syzygy yelling yy yyy yyyy y ys yes yea year yearly yesterday byway toyed toying played playing enjoying
buyer buyers dyeing eyeing eyed keys key monkey monkeys journey journeys destroyed destroying employ employs
employed employing crying cried tries trying flying fly flies dying die dyes yoyo yoyos yay yayy ayy ayyy
kayak kayaking rhythm rhythms myth myths gym gyms lynx nymph crypt crypts sly slyly shyly shy dryly drying
layer layered prayer prayers mayor mayoral loyal loyalty royal royalty yacht yachting yield yields yielded
youth youthful youthfulness yummy yucky yodel yodeling yodelled cycling cycled recycle recyclable
""".split()

EDGE = """
Yelling YYY sAYing CONNECTED Connections ProteINS yEs
's o'clock don't co-operating e-mail u.s.a under_score 3.14 a1b2c3 --
""".split()


def ascii_words():
    out = []
    for base in BASES:
        for suffix in rng.sample(SUFFIXES, 9):
            out.append(base + suffix)
    for _ in range(300):
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        out.append(word + rng.choice(SUFFIXES) + rng.choice(["", "", "s", "ly", "ness", "ed", "ing"]))
    return out


def digit_words():
    out = "covid19s covid19 h2o 3d 2nd 1990s 80s mp3s mp3 b12 il6 il10s cd4 cd8 p53 k8s x86 4g 5g 2019ncov".split()
    out += "a1 1a 11 007 123456 19th 21st 3rd 4th ebv6 h1n1 h5n1s sars2 t4s ww2 il1b".split()
    for _ in range(280):
        word = rng.choice(BASES) + rng.choice(SUFFIXES)
        cut = rng.randint(0, len(word))
        digits = str(rng.randint(0, 999))
        out.append(word[:cut] + digits + word[cut:])
    return out


def non_ascii_words():
    out = list(NON_ASCII_WORDS)
    # The same words decomposed: a combining accent after its base letter, as NFD text spells them.
    out += [unicodedata.normalize("NFD", w) for w in NON_ASCII_WORDS if unicodedata.normalize("NFD", w) != w]
    for _ in range(350):
        word = list(rng.choice(BASES) + rng.choice(SUFFIXES))
        spot = rng.randrange(len(word))
        if rng.random() < 0.5:
            word[spot] = rng.choice(NON_ASCII_LETTERS)
        else:
            word.insert(spot + 1, rng.choice(COMBINING))
        out.append("".join(word))
    return out


def short_words():
    letters = string.ascii_lowercase
    out = list(letters) + list(string.digits)
    out += rng.sample([a + b for a in letters for b in letters], 250)
    out += rng.sample([a + b + c for a in letters for b in letters for c in letters], 300)
    out += [a + b for a in "aeiouy" for b in "sy"] + ["ies", "sses", "ss", "eed", "ed", "ing", "ly", "at", "bl", "iz"]
    return out


def y_words():
    out = list(Y_WORDS)
    for _ in range(250):
        out.append("".join(rng.choice("yyyaeioubcdlnrst") for _ in range(rng.randint(2, 8))) + rng.choice(
            ["", "s", "ed", "ing", "ies", "y", "ly"]))
    return out


def main():
    vocabulary = set(open(os.path.join(HERE, "voc.txt"), encoding="utf-8").read().split("\n"))
    stemmer = Stemmer.Stemmer("porter")
    seen = set()
    rows = []
    for word in ascii_words() + digit_words() + non_ascii_words() + short_words() + y_words() + EDGE:
        if word in seen or word in vocabulary or "\t" in word or "\n" in word or not word:
            continue
        seen.add(word)
        rows.append(f"{word}\t{stemmer.stemWord(word)}\n")
    with open(os.path.join(HERE, "extra.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(rows)
    print(f"wrote {len(rows)} words")


if __name__ == "__main__":
    main()
