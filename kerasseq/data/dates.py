"""Human-readable dates paired with ISO `YYYY-MM-DD`, in several languages.

The date-normalisation exercise of the Sequence Models course (translate
"25th of June, 2009" to "2009-06-25" with an attention model), made
multilingual: dates are written with Babel's CLDR formats ("short",
"medium", "long", "full") in English, Korean, French, German and Spanish, plus
hand-picked patterns per language (the course's English ones among them), and
English and French ordinals ("25th of June, 2009", "1er juin 2009"), which
CLDR lacks.

A format name is either a CLDR width or a CLDR date pattern (`d` day, `dd`
zero-padded day, `M`/`MM` month number, `MMM`/`MMMM` abbreviated/full month
name, `E`/`EEE`/`EEEE` weekday, `y` year, `yy` two-digit year, quoted text
literal) extended with `do`, the ordinal day. Patterns never use `Y`, the
week-numbering year, which turns 2008-12-29 into "2009" (a classic bug).

The default mix is built so that no string stands for two dates: Spanish
"short" (`d/M/yy`, "6/5/09" is 6 May) is left out because English "short"
(`M/d/yy`) reads the same string as June 5; Spanish gets the unambiguous
`d/M/y` instead. Two-digit years are unambiguous in the default range
1950-2049 (50-99 are 19xx, 00-49 are 20xx); for a range of 100 years or more,
the default mix leaves two-digit formats out. `generate_dates` warns if the
pairs it returns contain a string with two different targets.
"""

import dataclasses
import datetime
import functools
import math
import numbers
import re
import warnings
from collections.abc import Callable
from collections.abc import Sequence

import babel
import babel.dates
import numpy as np

from kerasseq import validation
from kerasseq.data.sentence_pairs import SentencePairs

DEFAULT_LOCALES = ("en", "ko", "fr", "de", "es")
CLDR_WIDTHS = ("short", "medium", "long", "full")

# Patterns used on top of the CLDR widths, per locale. Each differs from every
# other format of its locale on some day of the year (tested).
_EXTRA_FORMATS = {
    "en": (
        # The course's English patterns (with `y`, not its week-year `YYY`).
        "d MMM y",
        "d MMMM y",
        "dd MMM y",
        "d MMM, y",
        "d MMMM, y",
        "dd, MMM y",
        "d MM yy",
        "MMMM d y",
        "dd.MM.yy",
        "dd/MM/yyyy",
        "EEEE d MMMM y",
        "EEE, MMM d, y",
        # Ordinals, which CLDR lacks.
        "do 'of' MMMM, y",
        "MMMM do, y",
        "do MMMM y",
        "EEEE, MMMM do, y",
    ),
    "ko": ("y년 M월 d일 (E)", "yyyy.MM.dd", "yy년 M월 d일", "y/M/d"),
    "fr": ("EEE d MMM y", "do MMMM y", "EEEE do MMMM y"),
    "de": ("d. MMM y", "d.M.y", "EEE, d. MMM y", "EEEE, d.M.y"),
    "es": ("d/M/y", "dd/MM/y", "EEE, d MMM y", "EEEE d 'de' MMMM 'de' y"),
}

# Left out of the default mix: (locale, format) -> why.
_NOT_BY_DEFAULT = {
    ("es", "short"): "d/M/yy reads like English M/d/yy with day and month swapped",
}


def _english_ordinal(day: int) -> str:
    if day % 100 in (11, 12, 13):
        return f"{day}th"
    return f"{day}{({1: 'st', 2: 'nd', 3: 'rd'}).get(day % 10, 'th')}"


def _french_ordinal(day: int) -> str:
    return "1er" if day == 1 else str(day)


_ORDINALS = {"en": _english_ordinal, "fr": _french_ordinal}
# A private-use character Babel copies through; replaced by the ordinal day.
_ORDINAL_MARK = "\ue000"


def _unquoted_parts(pattern: str) -> list[str]:
    # Splitting on quotes leaves the literal text at the odd indices.
    return pattern.split("'")[::2]


def _has_two_digit_year(pattern: str) -> bool:
    return any(re.search(r"(?<!y)yy(?!y)", part) for part in _unquoted_parts(pattern))


@dataclasses.dataclass(frozen=True)
class _Format:
    locale: babel.Locale
    pattern: babel.dates.DateTimePattern
    ordinal: Callable[[int], str] | None
    two_digit_year: bool

    def render(self, day: datetime.date) -> str:
        text = self.pattern.apply(day, self.locale)
        if self.ordinal is not None:
            text = text.replace(_ORDINAL_MARK, self.ordinal(day.day))
        return text


def _parse_locale(locale) -> str:
    if not isinstance(locale, str) or not locale:
        raise ValueError(
            f"`locales` must hold locale names such as 'en', received: {locale!r}"
        )
    try:
        return str(babel.Locale.parse(locale))
    except (ValueError, babel.UnknownLocaleError) as error:
        raise ValueError(
            f"`locales` contains an unknown locale, received: {locale!r} ({error})"
        ) from None


def _formats_of(locale: str) -> tuple[str, ...]:
    return CLDR_WIDTHS + _EXTRA_FORMATS.get(locale, ())


@functools.cache
def _compile(locale: str, name: str) -> _Format:
    """The Babel objects of one (locale, format), built once."""
    parsed = babel.Locale.parse(locale)
    if name in CLDR_WIDTHS:
        pattern = babel.dates.get_date_format(name, locale=parsed).pattern
    else:
        pattern = name
    ordinal = None
    parts = pattern.split("'")
    for index in range(0, len(parts), 2):
        # `do` (not inside quotes, not part of a longer field) is the ordinal.
        marked = re.sub(
            r"(?<![A-Za-z])do(?![A-Za-z])", f"'{_ORDINAL_MARK}'", parts[index]
        )
        if marked != parts[index]:
            ordinal = _ORDINALS[parsed.language]
        parts[index] = marked
    pattern = "'".join(parts)
    if any("Y" in part for part in _unquoted_parts(pattern)):
        raise AssertionError(f"week-year `Y` in the date pattern {pattern!r}")
    return _Format(
        locale=parsed,
        pattern=babel.dates.parse_pattern(pattern),
        ordinal=ordinal,
        two_digit_year=_has_two_digit_year(pattern),
    )


def _check_date(name: str, value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(
        f"`{name}` must be a datetime.date or an ISO 'YYYY-MM-DD' string, "
        f"received: {name}={value!r}"
    )


def _check_range(start, end) -> tuple[datetime.date, datetime.date]:
    start = _check_date("start", start)
    end = _check_date("end", end)
    if start > end:
        raise ValueError(
            "`start` must not be after `end`, received: "
            f"start={start.isoformat()!r}, end={end.isoformat()!r}"
        )
    return start, end


def _spans_a_century(start: datetime.date, end: datetime.date) -> bool:
    """Whether two days of [start, end] share day, month and two-digit year."""
    if start.year + 100 > datetime.MAXYEAR:
        return False
    try:
        partner = start.replace(year=start.year + 100)
    except ValueError:  # 29 February without a leap year a century later.
        partner = datetime.date(start.year + 100, 3, 1)
    return partner <= end


def _check_locales(locales) -> tuple[str, ...]:
    if isinstance(locales, str) or not isinstance(locales, Sequence):
        raise ValueError(
            "`locales` must be a sequence of locale names such as ('en', 'ko'), "
            f"received: locales={locales!r}"
        )
    if not locales:
        raise ValueError(
            f"`locales` must name at least one locale, received: locales={locales!r}"
        )
    parsed = tuple(_parse_locale(locale) for locale in locales)
    if len(set(parsed)) != len(parsed):
        raise ValueError(
            f"`locales` must not repeat a locale, received: locales={locales!r}"
        )
    return parsed


def date_formats(
    locales: Sequence[str] = DEFAULT_LOCALES,
    formats: Sequence[str] | None = None,
    start: datetime.date | str = datetime.date(1950, 1, 1),
    end: datetime.date | str = datetime.date(2049, 12, 31),
) -> dict[str, tuple[str, ...]]:
    """The formats `generate_dates` uses for each locale, with these arguments.

    Every locale Babel knows has the four CLDR widths `"short"`, `"medium"`,
    `"long"` and `"full"`; English, Korean, French, German and Spanish add
    the patterns of this module's table (English: the course's patterns and
    ordinals such as `"do 'of' MMMM, y"`; French: `"do MMMM y"` for
    "1er juin 2009"; and so on). Without `formats`, Spanish `"short"` is left
    out (it reads like English `"short"` with day and month swapped), and so
    are two-digit years when `[start, end]` spans 100 years or more.

    Args:
        locales: Locale names Babel knows (e.g. `"en"`, `"ko"`, `"it"`).
            Defaults to `("en", "ko", "fr", "de", "es")`.
        formats: Optional format names to keep: CLDR widths and patterns of
            the table, each kept in the locales that have it. Defaults to
            `None`, the default mix.
        start: First day of the range (a `datetime.date` or ISO string).
        end: Last day of the range, included.

    Returns:
        A dict from normalised locale name to its tuple of format names.

    Raises:
        ValueError: An unknown locale or format name, a locale left without
            formats, a two-digit-year format asked for on a range of 100 years
            or more, or `start` after `end`.

    Example:

    >>> from kerasseq.data.dates import date_formats
    >>> date_formats(["ko"], formats=["long", "full"])
    {'ko': ('long', 'full')}
    >>> len(date_formats()["en"])
    20
    """
    locales = _check_locales(locales)
    start, end = _check_range(start, end)
    century = _spans_a_century(start, end)
    resolved = {}
    if formats is None:
        for locale in locales:
            resolved[locale] = tuple(
                name
                for name in _formats_of(locale)
                if (locale, name) not in _NOT_BY_DEFAULT
                and not (century and _compile(locale, name).two_digit_year)
            )
            if not resolved[locale]:
                raise ValueError(
                    f"No format of locale {locale!r} is unambiguous between "
                    f"start={start.isoformat()!r} and end={end.isoformat()!r}"
                )
        return resolved
    if isinstance(formats, str) or not isinstance(formats, Sequence) or not formats:
        raise ValueError(
            "`formats` must be None or a non-empty sequence of format names, "
            f"received: formats={formats!r}"
        )
    known = {name for locale in locales for name in _formats_of(locale)}
    for name in formats:
        if name not in known:
            raise ValueError(
                f"`formats` contains an unknown format name for locales "
                f"{list(locales)}, received: {name!r}; see `date_formats()`"
            )
    for locale in locales:
        resolved[locale] = tuple(
            name for name in _formats_of(locale) if name in formats
        )
        if not resolved[locale]:
            raise ValueError(
                f"`formats` leaves locale {locale!r} without a format, received: "
                f"formats={list(formats)!r}; it has {list(_formats_of(locale))}"
            )
        if century:
            for name in resolved[locale]:
                if _compile(locale, name).two_digit_year:
                    raise ValueError(
                        f"Format {name!r} of locale {locale!r} writes two-digit "
                        "years, which are ambiguous on a range of 100 years or "
                        f"more, received: start={start.isoformat()!r}, "
                        f"end={end.isoformat()!r}"
                    )
    return resolved


def render_date(day: datetime.date, locale: str, format: str) -> str:
    """Writes one date in one locale and format.

    Args:
        day: The `datetime.date` to write.
        locale: A locale name Babel knows, e.g. `"en"` or `"ko"`.
        format: A CLDR width (`"short"`, `"medium"`, `"long"`, `"full"`) or a
            pattern of the locale's table (see `date_formats`).

    Returns:
        The human-readable string.

    Example:

    >>> import datetime
    >>> from kerasseq.data.dates import render_date
    >>> render_date(datetime.date(2009, 6, 25), "en", "do 'of' MMMM, y")
    '25th of June, 2009'
    >>> render_date(datetime.date(2009, 6, 25), "ko", "full")
    '2009년 6월 25일 목요일'
    """
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        raise ValueError(f"`day` must be a datetime.date, received: day={day!r}")
    (locale,) = _check_locales([locale])
    validation.check_one_of(
        "format", format, _formats_of(locale), context=f"for locale {locale!r}"
    )
    return _compile(locale, format).render(day)


def generate_dates(
    n: int,
    locales: Sequence[str] = DEFAULT_LOCALES,
    start: datetime.date | str = datetime.date(1950, 1, 1),
    end: datetime.date | str = datetime.date(2049, 12, 31),
    seed: int = 0,
    formats: Sequence[str] | None = None,
    lowercase: float = 0.25,
) -> SentencePairs:
    """Generates human-readable dates (sources) and their ISO dates (targets).

    Each pair draws, independently: a day uniformly from `[start, end]`, a
    locale uniformly from `locales`, a format uniformly from that locale's
    formats (`date_formats(locales, formats, start, end)`), and lower-cases
    the text with probability `lowercase` ("june 25th, 2009", as the course
    did for every date). The target is `day.isoformat()`. The same arguments
    give the same pairs (NumPy's `default_rng`, one stream per draw), and the
    first `k` pairs are the same for every `n >= k`.

    Args:
        n: Positive integer, the number of pairs.
        locales: Locale names Babel knows. Defaults to
            `("en", "ko", "fr", "de", "es")`.
        start: First day (a `datetime.date` or ISO string). Defaults to
            1950-01-01.
        end: Last day, included. Defaults to 2049-12-31.
        seed: Non-negative integer seed. Defaults to `0`.
        formats: Optional format names to keep (see `date_formats`). Defaults
            to `None`, the default mix.
        lowercase: Float in `[0, 1]`, the probability of lower-casing a
            source. Defaults to `0.25`.

    Returns:
        A `SentencePairs` with human-readable `sources` and ISO `targets`.

    Raises:
        ValueError: On bad arguments (see `date_formats` too).

    Example:

    >>> from kerasseq.data.dates import generate_dates
    >>> pairs = generate_dates(3, locales=["en"], formats=["MMMM do, y"],
    ...                        lowercase=0.0)
    >>> for source, target in zip(pairs.sources, pairs.targets):
    ...     print(f"{source:>20} -> {target}")
      January 24th, 2035 -> 2035-01-24
    September 12th, 2013 -> 2013-09-12
     February 11th, 2001 -> 2001-02-11
    """
    n = validation.check_positive_int("n", n)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer, received: seed={seed!r}"
        )
    if (
        isinstance(lowercase, bool)
        or not isinstance(lowercase, numbers.Real)
        or not 0.0 <= lowercase <= 1.0
    ):
        raise ValueError(
            f"`lowercase` must be a float in [0, 1], received: lowercase={lowercase!r}"
        )
    start, end = _check_range(start, end)
    resolved = date_formats(locales, formats, start, end)
    compiled = [
        [_compile(locale, name) for name in names] for locale, names in resolved.items()
    ]
    # One stream per draw, so that the first pairs do not depend on `n`.
    days_rng, locales_rng, formats_rng, lower_rng = (
        np.random.default_rng([int(seed), stream]) for stream in range(4)
    )
    first = start.toordinal()
    days = days_rng.integers(0, end.toordinal() - first + 1, size=n) + first
    locale_indices = locales_rng.integers(0, len(compiled), size=n)
    format_draws = formats_rng.random(size=n)
    lowered = lower_rng.random(size=n) < lowercase
    sources, targets = [], []
    for ordinal, locale_index, draw, lower in zip(
        days.tolist(), locale_indices.tolist(), format_draws.tolist(), lowered.tolist()
    ):
        choices = compiled[locale_index]
        day = datetime.date.fromordinal(ordinal)
        text = choices[int(draw * len(choices))].render(day)
        sources.append(text.lower() if lower else text)
        targets.append(day.isoformat())
    _warn_if_ambiguous(sources, targets)
    return SentencePairs(sources=sources, targets=targets)


def _warn_if_ambiguous(sources: list[str], targets: list[str]) -> None:
    seen = {}
    for source, target in zip(sources, targets):
        other = seen.setdefault(source, target)
        if other != target:
            warnings.warn(
                f"The source {source!r} stands for both {other} and {target}: "
                "these locales and formats write two dates the same way, so "
                "exact match cannot reach 1; leave one of the formats out",
                stacklevel=3,
            )
            return


def split_dates(
    pairs: SentencePairs,
    held_out: float = 0.1,
    seed: int = 0,
    by: str = "source",
) -> tuple[SentencePairs, SentencePairs]:
    """Splits pairs into training and held-out parts that share no string.

    With `by="source"`, every copy of a human-readable string goes to the
    same side, so a held-out exact match is never a memorised string. With
    `by="target"`, every pair of a day goes to the same side: held-out days
    were never seen in any format (the stricter test). The held-out side gets
    `round(held_out * k)` of the `k` distinct keys (at least one, and at least
    one is left for training), drawn with `seed`; both sides keep the input
    order.

    Args:
        pairs: A `SentencePairs`, e.g. from `generate_dates`.
        held_out: Float in `(0, 1)`, the fraction of distinct keys held out.
            Defaults to `0.1`.
        seed: Non-negative integer seed. Defaults to `0`.
        by: `"source"` (the default) or `"target"`, what must not be shared.

    Returns:
        The tuple `(train, held_out)` of `SentencePairs`.

    Example:

    >>> from kerasseq.data.dates import generate_dates, split_dates
    >>> train, test = split_dates(generate_dates(1000), held_out=0.2)
    >>> len(train) + len(test), set(train.sources) & set(test.sources)
    (1000, set())
    """
    if not isinstance(pairs, SentencePairs):
        raise ValueError(
            f"`pairs` must be a SentencePairs, received: pairs={type(pairs).__name__}"
        )
    if (
        isinstance(held_out, bool)
        or not isinstance(held_out, numbers.Real)
        or not 0.0 < held_out < 1.0
    ):
        raise ValueError(
            f"`held_out` must be a float in (0, 1), received: held_out={held_out!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer, received: seed={seed!r}"
        )
    if by not in ("source", "target"):
        raise ValueError(f"`by` must be 'source' or 'target', received: by={by!r}")
    keys = pairs.sources if by == "source" else pairs.targets
    distinct = list(dict.fromkeys(keys))
    if len(distinct) < 2:
        raise ValueError(
            f"`pairs` must hold at least 2 distinct {by}s to split, received "
            f"{len(distinct)}"
        )
    count = min(max(math.floor(held_out * len(distinct) + 0.5), 1), len(distinct) - 1)
    order = np.random.default_rng(int(seed)).permutation(len(distinct))
    chosen = {distinct[index] for index in order[:count].tolist()}
    train, test = ([], []), ([], [])
    for key, source, target in zip(keys, pairs.sources, pairs.targets):
        side = test if key in chosen else train
        side[0].append(source)
        side[1].append(target)
    return SentencePairs(*train), SentencePairs(*test)
