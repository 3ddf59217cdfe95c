"""Java text syntax used by the SMTs' configs: ``java.util.regex`` patterns and replacements, and
``java.text.SimpleDateFormat`` patterns (US locale, UTC, lenient parsing as Java's default)."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

# --- java.util.regex ---------------------------------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")


class JavaRegexError(ValueError):
    """The pattern is not a valid Java regex (or uses syntax Python's ``re`` cannot express)."""


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex with Python's ``re``: named groups ``(?<n>..)``, ``\\z`` and ``\\Z`` are translated.

    The translation is syntactic and covers the constructs topic patterns use; Unicode/POSIX classes
    (``\\p{Alpha}``) are not supported and raise :class:`JavaRegexError`.
    """
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "z" and not in_class:
                out.append(r"\Z")
            elif nxt == "Z" and not in_class:
                out.append(r"(?=\n?\Z)")
            elif nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            elif nxt in "pP":
                raise JavaRegexError(f"Unsupported Unicode class \\{nxt} near index {i}")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
            i += 1
            continue
        m = _NAMED_GROUP.match(pattern, i)
        if m:
            out.append(f"(?P<{m.group(1)}>")
            i = m.end()
            continue
        out.append(c)
        i += 1
    if in_class:
        raise JavaRegexError(f"Unclosed character class near index {len(pattern) - 1}")
    try:
        return re.compile("".join(out))
    except re.error as e:
        raise JavaRegexError(str(e)) from None


def java_replace_first(regex: re.Pattern[str], text: str, replacement: str) -> str:
    """``Matcher.replaceFirst``: ``$n`` and ``${name}`` group references, ``\\`` escapes the next character."""
    m = regex.search(text)
    if m is None:
        return text
    return text[: m.start()] + _expand(m, replacement) + text[m.end() :]


def _expand(m: re.Match[str], replacement: str) -> str:
    out: list[str] = []
    i = 0
    groups = m.re.groups
    while i < len(replacement):
        c = replacement[i]
        if c == "\\":
            i += 1
            if i >= len(replacement):
                raise ValueError("character to be escaped is missing")
            out.append(replacement[i])
            i += 1
        elif c == "$":
            i += 1
            if i >= len(replacement):
                raise ValueError("Illegal group reference: group index is missing")
            if replacement[i] == "{":
                end = replacement.find("}", i)
                if end < 0:
                    raise ValueError("named capturing group is missing trailing '}'")
                name = replacement[i + 1 : end]
                if not name:
                    raise ValueError("named capturing group has 0 length name")
                if name not in m.re.groupindex:
                    raise ValueError("No group with name {" + name + "}")
                out.append(m.group(name) or "")
                i = end + 1
            else:
                if not replacement[i].isdigit():
                    raise ValueError("Illegal group reference")
                ref = int(replacement[i])
                if ref > groups:
                    raise IndexError("No group " + str(ref))
                i += 1
                while i < len(replacement) and replacement[i].isdigit():
                    candidate = ref * 10 + int(replacement[i])
                    if candidate > groups:
                        break
                    ref = candidate
                    i += 1
                out.append(m.group(ref) or "")
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --- java.text.SimpleDateFormat ------------------------------------------------------------------

_PATTERN_CHARS = "GyMdkHmsSEDFwWahKzZYuXL"
_NUMERIC = set("yMdkHmsSDFwWhKYuL")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class _Tok:
    letter: str  # "" for a literal
    count: int
    text: str = ""


class JavaDateFormat:
    """A ``SimpleDateFormat`` with the UTC time zone: :meth:`format` and (lenient) :meth:`parse` of epoch millis."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._toks = _compile(pattern)

    def to_pattern(self) -> str:
        return self.pattern

    # -- formatting ---------------------------------------------------------------------------
    def format(self, millis: int) -> str:
        when = _When.of(millis)
        return "".join(t.text if not t.letter else _format_field(t, when) for t in self._toks)

    # -- parsing ------------------------------------------------------------------------------
    def parse(self, text: str) -> int:
        """Epoch millis; raises ValueError (Java: ParseException) when the text does not match."""
        fields: dict[str, int] = {}
        pos = 0
        toks = self._toks
        for idx, t in enumerate(toks):
            if not t.letter:
                if not text.startswith(t.text, pos):
                    raise ValueError(f'Unparseable date: "{text}"')
                pos += len(t.text)
                continue
            nxt = toks[idx + 1] if idx + 1 < len(toks) else None
            abutting = nxt is not None and nxt.letter != "" and _is_numeric(nxt)
            pos = _parse_field(t, text, pos, abutting, fields)
        return _resolve(fields)


def _compile(pattern: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                toks.append(_Tok("", 0, "'"))
                i += 2
                continue
            j = i + 1
            buf: list[str] = []
            while True:
                if j >= n:
                    raise ValueError("Unterminated quote")
                if pattern[j] == "'":
                    if j + 1 < n and pattern[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(pattern[j])
                j += 1
            toks.append(_Tok("", 0, "".join(buf)))
            i = j + 1
            continue
        if ("a" <= c <= "z") or ("A" <= c <= "Z"):
            if c not in _PATTERN_CHARS:
                raise ValueError(f"Illegal pattern character '{c}'")
            j = i
            while j < n and pattern[j] == c:
                j += 1
            count = j - i
            if c == "X" and count > 3:
                raise ValueError("invalid ISO 8601 format: length=" + str(count))
            toks.append(_Tok(c, count))
            i = j
            continue
        if toks and not toks[-1].letter:
            toks[-1] = _Tok("", 0, toks[-1].text + c)
        else:
            toks.append(_Tok("", 0, c))
        i += 1
    return toks


def _is_numeric(t: _Tok) -> bool:
    if t.letter in ("M", "L"):
        return t.count <= 2
    return t.letter in _NUMERIC


def _pad(value: int, count: int) -> str:
    s = str(abs(value))
    return ("-" if value < 0 else "") + s.rjust(count, "0")


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (no range limit, unlike ``datetime``)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_CUTOVER = -141427  # 1582-10-15, where java.util.GregorianCalendar switches from the Julian calendar
_JDN_EPOCH = 2440588


def java_days_from_civil(y: int, m: int, d: int) -> int:
    """``GregorianCalendar``'s day number: Julian calendar before the 1582 cutover, Gregorian after."""
    a = (14 - m) // 12
    y2 = y + 4800 - a
    m2 = m + 12 * a - 3
    julian = d + (153 * m2 + 2) // 5 + 365 * y2 + y2 // 4 - 32083 - _JDN_EPOCH
    return julian if julian < _CUTOVER else days_from_civil(y, m, d)


def java_civil_from_days(z: int) -> tuple[int, int, int]:
    if z >= _CUTOVER:
        return civil_from_days(z)
    c = z + _JDN_EPOCH + 32082
    d = (4 * c + 3) // 1461
    e = c - 1461 * d // 4
    m = (5 * e + 2) // 153
    return d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1


def civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


@dataclass(frozen=True, slots=True)
class _When:
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    milli: int
    days: int  # since the epoch

    @classmethod
    def of(cls, millis: int) -> _When:
        days, ms = divmod(millis, 86_400_000)
        y, m, d = java_civil_from_days(days)
        secs, milli = divmod(ms, 1000)
        mins, sec = divmod(secs, 60)
        hour, minute = divmod(mins, 60)
        return cls(y, m, d, hour, minute, sec, milli, days)

    @property
    def weekday(self) -> int:  # Monday = 0
        return (self.days + 3) % 7

    @property
    def day_of_year(self) -> int:
        return self.days - java_days_from_civil(self.year, 1, 1) + 1


def _week_of_year(when: _When) -> int:
    """US rules (weeks start on Sunday, the week holding January 1st is week 1)."""
    saturday = when.days + (5 - when.weekday) % 7
    if civil_from_days(saturday)[0] > when.year:
        return 1
    jan1 = days_from_civil(when.year, 1, 1)
    offset = (jan1 + 4) % 7  # days since Sunday
    return (when.day_of_year - 1 + offset) // 7 + 1


def _format_field(t: _Tok, when: _When) -> str:
    c, n = t.letter, t.count
    if c == "G":
        return "AD" if when.year > 0 else "BC"
    if c in ("y", "Y"):
        year = when.year if when.year > 0 else 1 - when.year
        if c == "Y" and _week_of_year(when) == 1 and when.month == 12:
            year += 1
        return _pad(year % 100, 2) if n == 2 else _pad(year, n)
    if c in ("M", "L"):
        if n >= 4:
            return _MONTHS[when.month - 1]
        if n == 3:
            return _MONTHS[when.month - 1][:3]
        return _pad(when.month, n)
    if c == "d":
        return _pad(when.day, n)
    if c == "H":
        return _pad(when.hour, n)
    if c == "k":
        return _pad(when.hour or 24, n)
    if c == "K":
        return _pad(when.hour % 12, n)
    if c == "h":
        return _pad(when.hour % 12 or 12, n)
    if c == "m":
        return _pad(when.minute, n)
    if c == "s":
        return _pad(when.second, n)
    if c == "S":
        return _pad(when.milli, n)
    if c == "E":
        return _DAYS[when.weekday] if n >= 4 else _DAYS[when.weekday][:3]
    if c == "u":
        return _pad(when.weekday + 1, n)
    if c == "D":
        return _pad(when.day_of_year, n)
    if c == "F":
        return _pad((when.day - 1) // 7 + 1, n)
    if c == "w":
        return _pad(_week_of_year(when), n)
    if c == "W":
        first = days_from_civil(when.year, when.month, 1)
        offset = (first + 4) % 7
        return _pad((when.day - 1 + offset) // 7 + 1, n)
    if c == "a":
        return "AM" if when.hour < 12 else "PM"
    if c == "z":
        return "Coordinated Universal Time" if n >= 4 else "UTC"
    if c == "Z":
        return "+0000"
    # X
    return "Z"


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


_NUM = re.compile(r"-?\d+")


def _parse_field(t: _Tok, text: str, pos: int, abutting: bool, fields: dict[str, int]) -> int:
    c, n = t.letter, t.count
    start = pos
    pos = _skip_spaces(text, pos)
    bad = ValueError(f'Unparseable date: "{text}"')
    if c in ("M", "L") and n >= 3:
        return _parse_name(text, pos, _MONTHS, "M", fields, bad)
    if c == "E":
        _parse_name(text, pos, _DAYS, "E", fields, bad)
        return pos + (len(_DAYS[fields["E"]]) if _matches_long(text, pos, _DAYS) else 3)
    if c == "a":
        for i, word in enumerate(("AM", "PM")):
            if text[pos : pos + 2].upper() == word:
                fields["a"] = i
                return pos + 2
        raise bad
    if c == "G":
        for i, word in enumerate(("BC", "AD")):
            if text[pos : pos + 2].upper() == word:
                fields["G"] = i
                return pos + 2
        raise bad
    if c in "zZX":
        if c == "Z" and text.startswith("Z", pos):
            raise bad  # RFC 822 zones have no "Z"
        return _parse_zone(text, pos, fields, bad)
    # numeric
    if abutting:
        # Java counts the width from where the field started, before the skipped spaces
        if start + n > len(text):
            raise bad
        m = _NUM.match(text[: start + n], pos)
        if m is None:
            raise bad
        digits = m.group()
    else:
        m = _NUM.match(text, pos)
        if m is None:
            raise bad
        digits = m.group()
    value = int(digits)
    key = {"L": "M", "Y": "y"}.get(c, c)
    if key == "y" and n <= 2 and len(digits) == 2 and digits.isdigit():
        value = _two_digit_year(value)
    fields[key] = value
    return pos + len(digits)


def _matches_long(text: str, pos: int, names: tuple[str, ...]) -> bool:
    return any(text[pos : pos + len(w)].lower() == w.lower() for w in names)


def _parse_name(text: str, pos: int, names: tuple[str, ...], key: str, fields: dict[str, int], bad: ValueError) -> int:
    best = -1
    best_len = 0
    for i, word in enumerate(names):
        for cand in (word, word[:3]):
            if text[pos : pos + len(cand)].lower() == cand.lower() and len(cand) > best_len:
                best, best_len = i, len(cand)
    if best < 0:
        raise bad
    fields[key] = best + 1 if key == "M" else best
    return pos + best_len


_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")


def _parse_zone(text: str, pos: int, fields: dict[str, int], bad: ValueError) -> int:
    if text.startswith("Z", pos):
        fields["zone"] = 0
        return pos + 1
    for prefix in ("UTC", "GMT", "UT"):
        if text.startswith(prefix, pos):
            pos += len(prefix)
            m = _OFFSET.match(text, pos)
            if m is None:
                fields["zone"] = 0
                return pos
            break
    m = _OFFSET.match(text, pos)
    if m is None:
        raise bad
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    fields["zone"] = minutes if m.group(1) == "+" else -minutes
    return m.end()


def _two_digit_year(value: int) -> int:
    """SimpleDateFormat's default century: within 80 years before and 20 years after now."""
    now = _dt.datetime.now(_dt.UTC)
    start_year = now.year - 80
    year = (start_year // 100) * 100 + value
    if year < start_year or (year == start_year and now.timetuple().tm_yday > 1):
        year += 100 if year < start_year else 0
    return year


def _resolve(fields: dict[str, int]) -> int:
    """Lenient ``GregorianCalendar`` resolution of the parsed fields (out-of-range values roll over)."""
    year = fields.get("y", 1970)
    if fields.get("G", 1) == 0:
        year = 1 - year
    if "D" in fields and "M" not in fields and "d" not in fields:
        month0 = 0
        day = fields["D"]
    else:
        month0 = fields.get("M", 1) - 1
        day = fields.get("d", 1)
    y_add, month0 = divmod(month0, 12)
    year += y_add
    if "H" in fields or "k" in fields:
        hour = fields["H"] if "H" in fields else (0 if fields["k"] == 24 else fields["k"])
    else:
        # Java: h=12 means 0, other values (even 13+) are kept and roll over leniently
        hour = (0 if fields["h"] == 12 else fields["h"]) if "h" in fields else fields.get("K", 0)
        hour += 12 * fields.get("a", 0)
    days = java_days_from_civil(year, month0 + 1, 1) + day - 1
    seconds = ((days * 24 + hour) * 60 + fields.get("m", 0) - fields.get("zone", 0)) * 60 + fields.get("s", 0)
    return seconds * 1000 + fields.get("S", 0)
