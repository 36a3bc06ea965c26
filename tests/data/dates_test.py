"""Tests for the multilingual date-normalisation data (`kerasseq.data.dates`)."""

import datetime
import re
import warnings

import babel.dates
import numpy as np

from kerasseq.data.dates import CLDR_WIDTHS
from kerasseq.data.dates import DEFAULT_LOCALES
from kerasseq.data.dates import date_formats
from kerasseq.data.dates import generate_dates
from kerasseq.data.dates import render_date
from kerasseq.data.dates import split_dates
from kerasseq.data.sentence_pairs import SentencePairs
from tests.test_case import TestCase

JUNE_25 = datetime.date(2009, 6, 25)

# Every format of the table, written by hand for Thursday 25 June 2009.
EXPECTED_JUNE_25 = {
    ("en", "short"): "6/25/09",
    ("en", "medium"): "Jun 25, 2009",
    ("en", "long"): "June 25, 2009",
    ("en", "full"): "Thursday, June 25, 2009",
    ("en", "d MMM y"): "25 Jun 2009",
    ("en", "d MMMM y"): "25 June 2009",
    ("en", "dd MMM y"): "25 Jun 2009",
    ("en", "d MMM, y"): "25 Jun, 2009",
    ("en", "d MMMM, y"): "25 June, 2009",
    ("en", "dd, MMM y"): "25, Jun 2009",
    ("en", "d MM yy"): "25 06 09",
    ("en", "MMMM d y"): "June 25 2009",
    ("en", "dd.MM.yy"): "25.06.09",
    ("en", "dd/MM/yyyy"): "25/06/2009",
    ("en", "EEEE d MMMM y"): "Thursday 25 June 2009",
    ("en", "EEE, MMM d, y"): "Thu, Jun 25, 2009",
    ("en", "do 'of' MMMM, y"): "25th of June, 2009",
    ("en", "MMMM do, y"): "June 25th, 2009",
    ("en", "do MMMM y"): "25th June 2009",
    ("en", "EEEE, MMMM do, y"): "Thursday, June 25th, 2009",
    ("ko", "short"): "09. 6. 25.",
    ("ko", "medium"): "2009. 6. 25.",
    ("ko", "long"): "2009년 6월 25일",
    ("ko", "full"): "2009년 6월 25일 목요일",
    ("ko", "y년 M월 d일 (E)"): "2009년 6월 25일 (목)",
    ("ko", "yyyy.MM.dd"): "2009.06.25",
    ("ko", "yy년 M월 d일"): "09년 6월 25일",
    ("ko", "y/M/d"): "2009/6/25",
    ("fr", "short"): "25/06/2009",
    ("fr", "medium"): "25 juin 2009",
    ("fr", "long"): "25 juin 2009",
    ("fr", "full"): "jeudi 25 juin 2009",
    ("fr", "EEE d MMM y"): "jeu. 25 juin 2009",
    ("fr", "do MMMM y"): "25 juin 2009",
    ("fr", "EEEE do MMMM y"): "jeudi 25 juin 2009",
    ("de", "short"): "25.06.09",
    ("de", "medium"): "25.06.2009",
    ("de", "long"): "25. Juni 2009",
    ("de", "full"): "Donnerstag, 25. Juni 2009",
    ("de", "d. MMM y"): "25. Juni 2009",
    ("de", "d.M.y"): "25.6.2009",
    ("de", "EEE, d. MMM y"): "Do., 25. Juni 2009",
    ("de", "EEEE, d.M.y"): "Donnerstag, 25.6.2009",
    ("es", "short"): "25/6/09",
    ("es", "medium"): "25 jun 2009",
    ("es", "long"): "25 de junio de 2009",
    ("es", "full"): "jueves, 25 de junio de 2009",
    ("es", "d/M/y"): "25/6/2009",
    ("es", "dd/MM/y"): "25/06/2009",
    ("es", "EEE, d MMM y"): "jue, 25 jun 2009",
    ("es", "EEEE d 'de' MMMM 'de' y"): "jueves 25 de junio de 2009",
}

# Abbreviations and the first of the month, for a second day.
EXPECTED_JANUARY_1 = {
    ("en", "medium"): "Jan 1, 2009",
    ("en", "dd MMM y"): "01 Jan 2009",
    ("en", "d MM yy"): "1 01 09",
    ("ko", "y년 M월 d일 (E)"): "2009년 1월 1일 (목)",
    ("fr", "medium"): "1 janv. 2009",
    ("fr", "do MMMM y"): "1er janvier 2009",
    ("fr", "EEEE do MMMM y"): "jeudi 1er janvier 2009",
    ("de", "d. MMM y"): "1. Jan. 2009",
    ("de", "EEE, d. MMM y"): "Do., 1. Jan. 2009",
    ("es", "medium"): "1 ene 2009",
}


def all_formats():
    return [(locale, name) for locale, name in EXPECTED_JUNE_25]


def days_of(*years):
    """Every day of the given years."""
    return [
        datetime.date.fromordinal(ordinal)
        for year in years
        for ordinal in range(
            datetime.date(year, 1, 1).toordinal(),
            datetime.date(year, 12, 31).toordinal() + 1,
        )
    ]


class RenderDateTest(TestCase):
    def test_every_format_on_a_fixed_day(self):
        listed = date_formats(formats=None)
        self.assertEqual(
            sorted(
                [(locale, name) for locale in listed for name in listed[locale]]
                + [("es", "short")]
            ),
            sorted(all_formats()),
        )
        for (locale, name), expected in EXPECTED_JUNE_25.items():
            self.assertEqual(render_date(JUNE_25, locale, name), expected)
        for (locale, name), expected in EXPECTED_JANUARY_1.items():
            self.assertEqual(
                render_date(datetime.date(2009, 1, 1), locale, name), expected
            )

    def test_english_ordinals(self):
        days = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31]
        self.assertEqual(
            [
                render_date(datetime.date(2009, 1, day), "en", "MMMM do, y")
                for day in days
            ],
            [
                f"January {suffix}, 2009"
                for suffix in [
                    "1st",
                    "2nd",
                    "3rd",
                    "4th",
                    "11th",
                    "12th",
                    "13th",
                    "21st",
                    "22nd",
                    "23rd",
                    "31st",
                ]
            ],
        )
        self.assertEqual(
            render_date(datetime.date(2012, 2, 29), "en", "do 'of' MMMM, y"),
            "29th of February, 2012",
        )

    def test_cldr_widths_are_babels_format_date(self):
        rng = np.random.default_rng(7)
        first = datetime.date(1950, 1, 1).toordinal()
        for ordinal in rng.integers(first, first + 36524, size=40).tolist():
            day = datetime.date.fromordinal(ordinal)
            for locale in DEFAULT_LOCALES:
                for width in CLDR_WIDTHS:
                    self.assertEqual(
                        render_date(day, locale, width),
                        babel.dates.format_date(day, width, locale=locale),
                    )

    def test_week_year_trap(self):
        # ISO week-years: 2008-12-29 is in 2009-W01, 2010-01-03 in 2009-W53.
        for day, year in [
            (datetime.date(2008, 12, 29), "08"),
            (datetime.date(2010, 1, 3), "10"),
        ]:
            for locale, name in all_formats():
                text = render_date(day, locale, name)
                self.assertIn(year, text, (locale, name))
                self.assertNotIn("09", text, (locale, name))
        for locale, name in all_formats():
            pattern = (
                babel.dates.get_date_format(name, locale=locale).pattern
                if name in CLDR_WIDTHS
                else name
            )
            self.assertNotIn("Y", "".join(pattern.split("'")[::2]), (locale, name))

    def test_formats_of_a_locale_differ(self):
        days = days_of(2009)
        for locale, names in date_formats().items():
            renderings = {
                name: [render_date(day, locale, name) for day in days] for name in names
            }
            for index, name in enumerate(names):
                for other in names[index + 1 :]:
                    self.assertNotEqual(
                        renderings[name], renderings[other], (locale, name, other)
                    )

    def test_default_mix_writes_no_two_days_alike(self):
        # Day/month swaps show within a year, digit clashes within a month,
        # two-digit years at the ends of the default range.
        formats = date_formats()
        meaning = {}
        for day in days_of(1950, 2008, 2049):
            for locale, names in formats.items():
                for name in names:
                    text = render_date(day, locale, name)
                    for variant in (text, text.lower()):
                        self.assertEqual(
                            meaning.setdefault(variant, day), day, (variant, name)
                        )
        self.assertEqual(meaning["6/5/08"], datetime.date(2008, 6, 5))
        self.assertEqual(meaning["50. 1. 1."], datetime.date(1950, 1, 1))
        self.assertEqual(meaning["49. 1. 1."], datetime.date(2049, 1, 1))
        self.assertEqual(
            render_date(datetime.date(2008, 5, 6), "es", "short"), "6/5/08"
        )

    def test_other_babel_locales_get_the_cldr_widths(self):
        self.assertEqual(date_formats(["it"]), {"it": CLDR_WIDTHS})
        self.assertEqual(render_date(JUNE_25, "it", "long"), "25 giugno 2009")
        self.assertEqual(date_formats(["ko_KR"]), {"ko_KR": CLDR_WIDTHS})

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`day` must be a datetime.date"):
            render_date("2009-06-25", "en", "long")
        with self.assertRaisesRegex(ValueError, "unknown locale.*'xx'"):
            render_date(JUNE_25, "xx", "long")
        with self.assertRaisesRegex(
            ValueError,
            re.escape(
                "`format` must be one of 'short', 'medium', 'long', 'full', "
                "'y년 M월 d일 (E)', 'yyyy.MM.dd', 'yy년 M월 d일', 'y/M/d' for locale "
                "'ko', received: format='MMMM do, y'"
            ),
        ):
            render_date(JUNE_25, "ko", "MMMM do, y")


class GenerateDatesTest(TestCase):
    def test_pairs_and_targets(self):
        pairs = generate_dates(2000, seed=3)
        self.assertIsInstance(pairs, SentencePairs)
        self.assertLen(pairs, 2000)
        for target in pairs.targets:
            self.assertRegex(target, r"^\d{4}-\d{2}-\d{2}$")
            day = datetime.date.fromisoformat(target)
            self.assertEqual(day.isoformat(), target)
            self.assertBetween(
                day, datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
            )
        for source in pairs.sources:
            self.assertTrue(source.isprintable() and source == source.strip())
            self.assertNotRegex(source, "[\u00a0\u202f\ue000]")

    def test_targets_are_the_days_of_the_sources(self):
        english = generate_dates(300, locales=["en"], formats=["long"], seed=1)
        for source, target in zip(english.sources, english.targets):
            self.assertEqual(
                datetime.datetime.strptime(source, "%B %d, %Y").date(),
                datetime.date.fromisoformat(target),
            )
        german = generate_dates(300, locales=["de"], formats=["medium"], seed=2)
        for source, target in zip(german.sources, german.targets):
            self.assertEqual(
                datetime.datetime.strptime(source, "%d.%m.%Y").date(),
                datetime.date.fromisoformat(target),
            )
        korean = generate_dates(300, locales=["ko"], formats=["full"], seed=4)
        for source, target in zip(korean.sources, korean.targets):
            year, month, day = re.fullmatch(
                r"(\d{4})년 (\d{1,2})월 (\d{1,2})일 [월화수목금토일]요일", source
            ).groups()
            day = datetime.date(int(year), int(month), int(day))
            self.assertEqual(day.isoformat(), target)
            self.assertEqual(source, render_date(day, "ko", "full"))

    def test_seed_reproduces(self):
        first = generate_dates(500, seed=11)
        again = generate_dates(500, seed=11)
        other = generate_dates(500, seed=12)
        self.assertEqual(first.sources, again.sources)
        self.assertEqual(first.targets, again.targets)
        self.assertNotEqual(first.targets, other.targets)
        # A longer run starts with the pairs of a shorter one.
        self.assertEqual(generate_dates(3, seed=11).sources, first.sources[:3])
        self.assertEqual(generate_dates(3, seed=11).targets, first.targets[:3])
        self.assertEqual(
            generate_dates(3, seed=11, lowercase=0.0).targets, first.targets[:3]
        )

    def test_days_uniform_and_lowercasing(self):
        n = 20_000
        plain = generate_dates(n, seed=5, lowercase=0.0)
        mixed = generate_dates(n, seed=5)
        # The lower-casing draw changes nothing else.
        self.assertEqual(plain.targets, mixed.targets)
        self.assertEqual(
            [s.lower() for s in plain.sources], [s.lower() for s in mixed.sources]
        )
        hangul = sum(bool(re.search("[가-힣]", s)) for s in plain.sources)
        # ko: 4 of its 8 formats have Hangul, so about 1/5 * 1/2 of the pairs.
        self.assertBetween(hangul / n, 0.09, 0.11)
        cased = [(p, m) for p, m in zip(plain.sources, mixed.sources) if p != p.lower()]
        lowered = sum(p != m for p, m in cased) / len(cased)
        self.assertBetween(lowered, 0.23, 0.27)
        days = np.array(
            [datetime.date.fromisoformat(t).toordinal() for t in plain.targets]
        )
        start = datetime.date(1950, 1, 1).toordinal()
        fraction = (days - start) / 36524
        self.assertBetween(fraction.mean(), 0.49, 0.51)
        self.assertLess(fraction.min(), 0.001)
        self.assertGreater(fraction.max(), 0.999)
        years = {t[:4] for t in plain.targets}
        self.assertLen(years, 100)

    def test_every_locale_and_format_appears(self):
        pairs = generate_dates(1500, seed=0, lowercase=0.0)
        formats = date_formats()
        found = set()
        for source, target in zip(pairs.sources, pairs.targets):
            day = datetime.date.fromisoformat(target)
            for locale, names in formats.items():
                found.update(
                    (locale, name)
                    for name in names
                    if render_date(day, locale, name) == source
                )
        self.assertEqual(
            found, {(locale, name) for locale in formats for name in formats[locale]}
        )

    def test_uniform_over_locales_then_formats(self):
        n = 6000
        # "full" tells the locales apart (weekday names), so each is known.
        pairs = generate_dates(n, formats=["full"], seed=6, lowercase=0.0)
        counts = dict.fromkeys(DEFAULT_LOCALES, 0)
        for source, target in zip(pairs.sources, pairs.targets):
            day = datetime.date.fromisoformat(target)
            (locale,) = [
                loc for loc in counts if render_date(day, loc, "full") == source
            ]
            counts[locale] += 1
        for locale, count in counts.items():
            self.assertBetween(count / n, 0.18, 0.22, locale)
        # The Korean formats never coincide, so each is known.
        names = date_formats(["ko"])["ko"]
        pairs = generate_dates(n, locales=["ko"], seed=6)
        counts = dict.fromkeys(names, 0)
        for source, target in zip(pairs.sources, pairs.targets):
            day = datetime.date.fromisoformat(target)
            (name,) = [x for x in names if render_date(day, "ko", x) == source]
            counts[name] += 1
        for name, count in counts.items():
            self.assertBetween(count / n, 1 / 8 - 0.02, 1 / 8 + 0.02, name)

    def test_ranges_and_format_selection(self):
        pairs = generate_dates(
            50,
            locales=["ko", "en"],
            start="2009-06-25",
            end=datetime.date(2009, 6, 25),
            formats=["full"],
        )
        self.assertEqual(set(pairs.targets), {"2009-06-25"})
        self.assertEqual(
            set(pairs.sources),
            {
                "2009년 6월 25일 목요일",
                "Thursday, June 25, 2009",
                "thursday, june 25, 2009",
            },
        )
        self.assertEqual(
            date_formats(["en", "fr"], formats=["long", "do MMMM y"]),
            {"en": ("long", "do MMMM y"), "fr": ("long", "do MMMM y")},
        )
        self.assertEqual(
            date_formats(["en", "es"], formats=["short"]),
            {"en": ("short",), "es": ("short",)},
        )
        # Over a century, the default mix leaves two-digit years out ...
        wide = date_formats(start="1900-01-01", end="2099-12-31")
        self.assertNotIn("short", wide["en"])
        self.assertNotIn("dd.MM.yy", wide["en"])
        self.assertIn("dd/MM/yyyy", wide["en"])
        self.assertEqual(wide["fr"], date_formats()["fr"])
        # ... and a range just short of a century keeps them.
        self.assertIn("short", date_formats(start="1950-01-01", end="2049-12-31")["en"])
        self.assertNotIn(
            "short", date_formats(start="1950-01-01", end="2050-01-01")["en"]
        )
        self.assertIn("short", date_formats(start="2000-02-29", end="2100-02-28")["en"])
        self.assertNotIn(
            "short", date_formats(start="2000-02-29", end="2100-03-01")["en"]
        )

    def test_ambiguous_mix_warns(self):
        with self.assertWarnsRegex(UserWarning, "stands for both"):
            generate_dates(3000, locales=["en", "es"], formats=["short"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            generate_dates(50_000)

    def test_bad_arguments(self):
        cases = [
            ({"n": 0}, r"`n` must be a positive integer, received: n=0"),
            ({"locales": ["en", "xx"]}, r"unknown locale, received: 'xx'"),
            ({"locales": "en"}, "sequence of locale names"),
            ({"locales": []}, "at least one locale"),
            ({"locales": ["en", "en"]}, "must not repeat"),
            ({"formats": ["YYYY"]}, r"unknown format name.*'YYYY'"),
            ({"formats": "long"}, "sequence of format names"),
            ({"formats": ["MMMM do, y"]}, "leaves locale 'ko' without a format"),
            (
                {"start": "2000-01-02", "end": "2000-01-01"},
                "`start` must not be after `end`",
            ),
            ({"start": "2000-13-01"}, "start='2000-13-01'"),
            (
                {"start": "1900-01-01", "formats": ["short"]},
                "'short' of locale 'en' writes two-digit years",
            ),
            ({"seed": -1}, "seed=-1"),
            ({"lowercase": 1.5}, "lowercase=1.5"),
        ]
        for kwargs, message in cases:
            with self.assertRaisesRegex(ValueError, message):
                generate_dates(**{"n": 10, **kwargs})


class SplitDatesTest(TestCase):
    def test_no_shared_strings(self):
        pairs = generate_dates(5000, seed=9)
        for by in ("source", "target"):
            train, test = split_dates(pairs, held_out=0.1, seed=1, by=by)
            self.assertLen(train.sources + test.sources, 5000)
            self.assertEmpty(set(train.sources) & set(test.sources))
            if by == "target":
                self.assertEmpty(set(train.targets) & set(test.targets))
            self.assertBetween(len(test) / 5000, 0.08, 0.12)
            # Input order is kept on both sides.
            position = {id(s): i for i, s in enumerate(pairs.sources)}
            for side in (train, test):
                order = [position[id(s)] for s in side.sources]
                self.assertEqual(order, sorted(order))
            again = split_dates(pairs, held_out=0.1, seed=1, by=by)
            self.assertEqual(again[1].sources, test.sources)

    def test_duplicates_stay_together(self):
        pairs = SentencePairs(["a", "b", "a", "c", "a"], ["1", "2", "1", "3", "1"])
        for seed in range(5):
            train, test = split_dates(pairs, held_out=0.3, seed=seed)
            self.assertLen(set(test.sources), 1)
            self.assertEqual(len(test), 3 if test.sources[0] == "a" else 1)
            self.assertEqual(len(train) + len(test), 5)
        train, test = split_dates(SentencePairs(["a", "b"], ["1", "2"]), 0.01)
        self.assertEqual((len(train), len(test)), (1, 1))

    def test_bad_arguments(self):
        pairs = generate_dates(10)
        with self.assertRaisesRegex(ValueError, "held_out=1.0"):
            split_dates(pairs, held_out=1.0)
        with self.assertRaisesRegex(ValueError, "held_out=0"):
            split_dates(pairs, held_out=0)
        with self.assertRaisesRegex(ValueError, "by='day'"):
            split_dates(pairs, by="day")
        with self.assertRaisesRegex(ValueError, "must be a SentencePairs"):
            split_dates([("a", "b")])
        with self.assertRaisesRegex(ValueError, "at least 2 distinct"):
            split_dates(SentencePairs(["a", "a"], ["1", "1"]))
