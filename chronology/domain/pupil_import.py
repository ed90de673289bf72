"""Reading a school's MIS pupil export (CSV) into checked rows, with every problem it has."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from .dates import parse_date, uk_date
from .family import DetailsDraft, details_problems, normal_nhs_number
from .upn import clean_upn, upn_problem
from .vocabulary import CP_PLAN_STATES, SEN_NEEDS

# --- shared by every CSV import ------------------------------------------------------------------


class UnreadableUpload(ValueError):
    """A file that is not CSV text at all, with a message that says how to fix it."""


@dataclass(frozen=True)
class RowError:
    """One problem: the line as an editor numbers it, the column heading as written, and why."""

    line: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


SAVE_AS_CSV = "In Excel choose File > Save As > CSV UTF-8 (Comma delimited) (*.csv)."

# One well-formed UTF-8 character of two to four bytes (the table in RFC 3629). Found in a file
# that is not all UTF-8, it means the file mixes encodings (typically rows pasted in from another
# file): read as Windows-1252, that character would become mojibake such as "Ã«" for "ë".
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file, decoded strictly; UnreadableUpload says where and how to fix it.

    UTF-8 (with or without Excel's BOM) and UTF-16 with a BOM are read as they are. A file that
    is not UTF-8 is read as Windows-1252 (Excel's plain "CSV (Comma delimited)") only when none of
    it is UTF-8: one Windows-1252 byte in a UTF-8 file would otherwise turn every "Zoë" into "ZoÃ«".
    """
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UnreadableUpload(f"This is an Excel workbook, not a CSV file. {SAVE_AS_CSV}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _utf16(data)
    if b"\x00" in data:
        raise UnreadableUpload(f"This is not a text file, so it cannot be a CSV export. {SAVE_AS_CSV}")
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if has_bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    if has_bom or _UTF8_MULTIBYTE.search(body):
        raise UnreadableUpload(
            f"The file mixes two kinds of text: most of it is UTF-8, but {_where(body, first_bad)}, "
            f"which is not. Correct that character and save the file as UTF-8. {SAVE_AS_CSV}")
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as error:
        raise UnreadableUpload(f"The file's characters cannot be read: {_where(body, error.start)}, which is "
                               f"neither UTF-8 nor Windows-1252. {SAVE_AS_CSV}") from None


def _utf16(data: bytes) -> str:
    try:
        text = data.decode("utf-16")  # the BOM says which byte order, and is dropped
    except UnicodeDecodeError as error:
        raise UnreadableUpload(f"The file says it is UTF-16 but byte {error.start + 1:,} cannot be read as "
                               f"UTF-16. {SAVE_AS_CSV}") from None
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode Text" is UTF-16 with tabs between the cells, not commas.
    if "\t" in first_line and "," not in first_line:
        raise UnreadableUpload(f"This file was saved as 'Unicode Text' (tab-separated), not CSV. {SAVE_AS_CSV}")
    if "\x00" in text:
        raise UnreadableUpload(f"This is not a text file, so it cannot be a CSV export. {SAVE_AS_CSV}")
    return text


def _where(data: bytes, position: int) -> str:
    """Where a byte is, as "line 3, byte 12 is 0xEB (ë in Windows-1252)", counting both from 1."""
    before = data[:position]
    # Line breaks as the CSV reader counts them: \r\n, \n or a lone \r.
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    value = data[position]
    shown = bytes([value]).decode("cp1252", errors="ignore")
    meaning = f" ({shown} in Windows-1252)" if shown.isprintable() and shown.strip() else ""
    return f"line {line}, byte {position - start + 1} is 0x{value:02X}{meaning}"


def heading_key(heading: str) -> str:
    """Fold a column heading so "Date_of_Birth ", "date of birth" and "DATE-OF-BIRTH" match."""
    text = heading.replace("\ufeff", "").replace("_", " ").replace("-", " ")
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Table:
    """The non-blank rows of a CSV file, each with the line it starts on."""

    header_line: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    error: RowError | None = None


def read_table(text: str) -> Table:
    """Split CSV text into rows, keeping line numbers right across quoted line breaks."""
    # strict: an unclosed quote is an error, instead of silently swallowing the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    found: list[tuple[int, tuple[str, ...]]] = []
    start = 1
    error: RowError | None = None
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            # Spreadsheets often leave rows of empty cells at the end; they mean nothing.
            if any(c.strip() for c in cells):
                found.append((line, tuple(cells)))
    except csv.Error as problem:
        error = RowError(start, "", f"The file cannot be read as CSV from this line on ({problem}). "
                                    "Check for a quotation mark that is not closed.")
    if not found:
        return Table(1, (), (), error or RowError(1, "", "The file is empty: it has no heading row."))
    (header_line, header), *rows = found
    return Table(header_line, header, tuple(rows), error)


def map_headings(table: Table, aliases: Mapping[str, str],
                 required: tuple[str, ...]) -> tuple[dict[str, int], dict[str, str], list[str], list[RowError]]:
    """Which cell holds each field, the heading it had, the headings not used, and header problems."""
    columns: dict[str, int] = {}
    headings: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, heading in enumerate(table.header):
        name = aliases.get(heading_key(heading))
        if name is None:
            if heading.strip():
                ignored.append(heading.strip())
            continue
        if name in columns:
            errors.append(RowError(table.header_line, heading.strip(),
                                   f"This column and {headings[name]!r} both give {name}; keep only one."))
            continue
        columns[name] = index
        headings[name] = heading.strip()
    for name in required:
        if name not in columns:
            errors.append(RowError(table.header_line, name,
                                   f"The heading row has no {name} column. Needed: {', '.join(required)}."))
    return columns, headings, ignored, errors


def cell(cells: tuple[str, ...], index: int) -> str:
    """A cell's text; a short row (some exports drop trailing empty cells) reads as blank."""
    return cells[index] if index < len(cells) else ""


def extra_cells_error(line: int, cells: tuple[str, ...], width: int) -> RowError | None:
    if any(c.strip() for c in cells[width:]):
        return RowError(line, "", f"This row has {len(cells)} cells but the heading row has {width}. "
                                  "A value with a comma in it probably needs quotation marks.")
    return None


YES = frozenset({"y", "yes", "true", "1"})
NO = frozenset({"n", "no", "false", "0", ""})


def parse_yes_no(value: str) -> bool:
    key = value.strip().casefold()
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(f"{value.strip()!r} is not yes or no; write Y or N.")


def parse_known_yes_no(value: str) -> bool | None:
    """Yes or no where the file says; an empty cell means the MIS does not know, which is not "no"."""
    return parse_yes_no(value) if value.strip() else None


def read_upn(raw: str) -> str:
    """The UPN in its compact form; ValueError says what is wrong with it."""
    text = raw.strip()
    if not text:
        raise ValueError("The UPN is missing.")
    if problem := upn_problem(text):
        raise ValueError(problem)
    return clean_upn(text)


def read_text(raw: str, *, limit: int | None = None, lines_ok: bool = False) -> str:
    """A cell's words, trimmed and composed (Zoe + diaeresis is stored as Zoë); ValueError if unusable."""
    text = unicodedata.normalize("NFC", raw.strip())
    if lines_ok:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    elif "\n" in text or "\r" in text:
        raise ValueError("This cell has a line break in it.")
    if limit is not None and len(text) > limit:
        raise ValueError(f"This is longer than {limit:,} characters.")
    return text


# Unicode's Bidi_Control characters: invisible, and they reorder the text around them, so a name
# holding one shows as something other than what was typed ("\u202eenoR" shows as "Rone").
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A spreadsheet runs a cell starting with one of these as a formula. No one's name starts with
# one (a double-barrelled name's hyphen comes after a letter), so such a cell is a mistake or an attack.
NAME_CANNOT_START = ("=", "+", "-", "@")


def name_problem(name: str) -> str | None:
    """Why a name cannot be a person's name as typed, or None; apostrophes and accents are fine."""
    for char in name:
        if unicodedata.category(char) == "Cc":
            what = "a tab" if char == "\t" else "an invisible control character"
            return f"This name has {what} in it ({_codepoint(char)}). Retype the name in the MIS and export again."
        if char in BIDI_CONTROLS:
            return (f"This name has a hidden character that changes the direction of the text ({_codepoint(char)}), "
                    "so it would not show as typed. Retype the name in the MIS and export again.")
    if name.startswith(NAME_CANNOT_START):
        return (f"A name cannot start with {name[0]!r}: a spreadsheet would run it as a formula. "
                "Check the name in the MIS.")
    return None


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()


def read_optional_date(raw: str) -> date | None:
    """A UK or ISO date, or None for an empty cell; DateProblem (a ValueError) when it cannot be read."""
    return parse_date(raw, two_digit_years=False) if raw.strip() else None


R = TypeVar("R")


@dataclass(frozen=True)
class ImportFile(Generic[R]):
    """The rows of a file that read cleanly, every problem with the rest, and the headings it used."""

    rows: tuple[R, ...] = ()
    errors: tuple[RowError, ...] = ()
    headings: Mapping[str, str] | None = None
    ignored_columns: tuple[str, ...] = ()

    def heading(self, name: str) -> str:
        """The column's heading as the file spells it, for messages about that column."""
        return (self.headings or {}).get(name, name)


@dataclass(frozen=True)
class OpenedFile:
    """A file's table and the columns it gives, once its heading row has been checked."""

    table: Table
    columns: dict[str, int]
    headings: dict[str, str]
    ignored: tuple[str, ...]
    errors: list[RowError]

    def cells(self, cells: tuple[str, ...]) -> dict[str, str]:
        """A row's raw cell for every field the file has a column for."""
        return {name: cell(cells, index) for name, index in self.columns.items()}


def open_file(text: str, aliases: Mapping[str, str], required: tuple[str, ...],
              nothing: str) -> OpenedFile | ImportFile:
    """Read the heading row; an ImportFile of its problems when there is no use reading further."""
    table = read_table(text)
    errors: list[RowError] = [table.error] if table.error else []
    if not table.header:
        return ImportFile(errors=tuple(errors))
    columns, headings, ignored, header_errors = map_headings(table, aliases, required)
    if header_errors:
        return ImportFile(errors=tuple(header_errors + errors), headings=headings, ignored_columns=tuple(ignored))
    if not table.rows and not errors:
        errors.append(RowError(table.header_line, "", f"The file has a heading row but no {nothing}."))
    return OpenedFile(table, columns, headings, tuple(ignored), errors)


# --- pupils --------------------------------------------------------------------------------------

REQUIRED = ("upn", "legal_forename", "legal_surname", "date_of_birth", "gender", "year_group")
BOOLEAN_FLAGS = ("disability", "eal", "looked_after", "child_in_need", "early_help_plan", "young_carer")
OPTIONAL = ("preferred_forename", "send", *BOOLEAN_FLAGS, "cp_plan", "joined_on", "left_on")
# What a referral asks about the child beyond the roll: kept as the child's details (a versioned
# record a DSL can also correct by hand), not on the roll itself.
DETAIL_FIELDS = ("address", "ethnicity", "religion", "first_language", "interpreter_needed", "sen_primary_need",
                 "communication_needs", "nhs_number")

ALIASES: dict[str, str] = {heading_key(name): name for name in REQUIRED + OPTIONAL + DETAIL_FIELDS}
ALIASES.update({
    "forename": "legal_forename",
    "first name": "legal_forename",
    "surname": "legal_surname",
    "last name": "legal_surname",
    "preferred name": "preferred_forename",
    "preferred first name": "preferred_forename",
    "dob": "date_of_birth",
    "sex": "gender",
    "year": "year_group",
    "nc year": "year_group",
    "sen": "send",
    "sen status": "send",
    "looked after": "looked_after",
    "cla": "looked_after",
    "lac": "looked_after",
    "cin": "child_in_need",
    "early help": "early_help_plan",
    "cp plan": "cp_plan",
    "child protection plan": "cp_plan",
    "date of entry": "joined_on",
    "admission date": "joined_on",
    "entry date": "joined_on",
    "date of leaving": "left_on",
    "leaving date": "left_on",
    "home address": "address",
    "full address": "address",
    "pupil address": "address",
    "ethnic group": "ethnicity",
    "ethnic origin": "ethnicity",
    "ethnicity code": "ethnicity",
    "home language": "first_language",
    "language": "first_language",
    "interpreter": "interpreter_needed",
    "interpreter required": "interpreter_needed",
    "primary need": "sen_primary_need",
    "sen need": "sen_primary_need",
    "primary sen need": "sen_primary_need",
    "sen primary need type": "sen_primary_need",
    "nhs no": "nhs_number",
    "nhs no.": "nhs_number",
})

# MIS SEN status codes: N none, K SEN support, E EHC plan. A, P and S are the pre-2014 codes
# (School Action, School Action Plus, Statement) that older records still carry.
SEN_CODES = {"n": False, "k": True, "e": True, "a": True, "p": True, "s": True}
GENDER_WORDS = {"m": "male", "male": "male", "f": "female", "female": "female"}
MAX_LENGTH = {"legal_forename": 100, "preferred_forename": 100, "legal_surname": 100,
              "gender": 20, "year_group": 20, "ethnicity": 100, "religion": 100, "first_language": 100,
              "address": 1000, "communication_needs": 4000}
NAME_FIELDS = frozenset({"legal_forename", "preferred_forename", "legal_surname"})
# The ages a pupil can be on the day of the import: from a nursery place at 2 (the youngest a
# school takes a child, with funded two-year-old places) to 25 (the oldest an EHC plan runs).
# Outside them the date is a typing or export slip (01/01/0001, 01/01/1900, today's date).
YOUNGEST_AGE, OLDEST_AGE = 2, 25
# An address or a note on communication needs may run over several lines of a quoted cell.
MULTI_LINE = frozenset({"address", "communication_needs"})


@dataclass(frozen=True)
class PupilRow:
    """One pupil as the file gives it: only the fields the file has a column for."""

    line: int
    upn: str
    values: Mapping[str, object]
    # The child's details the file gives (only cells with something in them: an MIS that does not
    # know a child's religion says nothing about it, and what a DSL recorded stays).
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PupilFile:
    rows: tuple[PupilRow, ...] = ()
    errors: tuple[RowError, ...] = ()
    ignored_columns: tuple[str, ...] = ()


def parse_pupils(text: str, *, today: date) -> PupilFile:
    """Every pupil in the export, or every problem with it; a caller writes nothing unless errors is empty."""
    table = read_table(text)
    errors: list[RowError] = [table.error] if table.error else []
    if not table.header:
        return PupilFile(errors=tuple(errors))
    columns, headings, ignored, header_errors = map_headings(table, ALIASES, REQUIRED)
    if header_errors:
        return PupilFile(errors=tuple(header_errors + errors), ignored_columns=tuple(ignored))
    if not table.rows and not errors:
        errors.append(RowError(table.header_line, "", "The file has a heading row but no pupils."))
    rows: list[PupilRow] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        values, row_errors = _read_pupil(line, cells, columns, headings, today)
        if extra := extra_cells_error(line, cells, len(table.header)):
            row_errors.insert(0, extra)
        upn = values.get("upn")
        if isinstance(upn, str):
            if upn in first_line:
                row_errors.insert(0, RowError(line, headings["upn"],
                                              f"The UPN {upn} is also on line {first_line[upn]}."))
            else:
                first_line[upn] = line
        if row_errors:
            errors.extend(row_errors)
        else:
            details = {name: values.pop(name) for name in DETAIL_FIELDS if name in values}
            details = {name: value for name, value in details.items() if value not in ("", None)}
            rows.append(PupilRow(line=line, upn=str(upn), values=values, details=details))
    return PupilFile(rows=tuple(rows), errors=tuple(errors), ignored_columns=tuple(ignored))


def _read_pupil(line: int, cells: tuple[str, ...], columns: dict[str, int], headings: dict[str, str],
                today: date) -> tuple[dict[str, object], list[RowError]]:
    values: dict[str, object] = {}
    errors: list[RowError] = []
    for name, index in columns.items():
        raw = cell(cells, index)
        try:
            values[name] = _read_value(name, raw, today)
        except ValueError as problem:
            errors.append(RowError(line, headings[name], str(problem)))
    joined, left, born = values.get("joined_on"), values.get("left_on"), values.get("date_of_birth")
    if isinstance(joined, date) and isinstance(left, date) and left < joined:
        errors.append(RowError(line, headings["left_on"], "The leaving date is before the joining date."))
    if isinstance(joined, date) and isinstance(born, date) and joined < born:
        errors.append(RowError(line, headings["joined_on"], "The joining date is before the date of birth."))
    # The same checks as the child's page, so an import and a DSL can never disagree.
    given = {name: values[name] for name in DETAIL_FIELDS if name in values and values[name] is not None}
    for name, reason in details_problems(DetailsDraft(**given)).items():  # type: ignore[arg-type]
        written = cell(cells, columns[name]).strip()
        errors.append(RowError(line, headings[name], f"{written!r} is not valid. {reason}"))
    return values, errors


def _read_value(name: str, raw: str, today: date) -> object:
    """One cell as the value the Child record keeps; ValueError (DateProblem too) says what is wrong."""
    if name in MULTI_LINE:
        return read_text(raw, limit=MAX_LENGTH[name], lines_ok=True)
    text = unicodedata.normalize("NFC", raw.strip())
    if "\n" in text or "\r" in text:
        raise ValueError("This cell has a line break in it.")
    if name == "upn":
        if not text:
            raise ValueError("The UPN is missing.")
        if problem := upn_problem(text):
            raise ValueError(problem)
        return clean_upn(text)
    if name in ("legal_forename", "legal_surname") and not text:
        raise ValueError("This name is missing.")
    if name in NAME_FIELDS and (problem := name_problem(text)):
        raise ValueError(problem)
    if len(text) > MAX_LENGTH.get(name, len(text)):
        raise ValueError(f"This is longer than {MAX_LENGTH[name]} characters.")
    if name == "date_of_birth":
        return _plausible_birth_date(parse_date(text, two_digit_years=False), today)
    if name in ("joined_on", "left_on"):
        return parse_date(text, two_digit_years=False) if text else None
    if name == "preferred_forename":
        return text or None
    if name == "gender":
        return GENDER_WORDS.get(text.casefold(), text)
    if name == "send":
        return _sen(text)
    if name in BOOLEAN_FLAGS:
        return parse_yes_no(text)
    if name == "interpreter_needed":
        return parse_known_yes_no(text)
    if name == "sen_primary_need":
        return sen_need_code(text)
    if name == "nhs_number":
        return normal_nhs_number(text)
    if name == "cp_plan":
        state = text.casefold() or "none"
        if state not in CP_PLAN_STATES:
            raise ValueError(f"{text!r} is not a child protection plan state; write none, current or past.")
        return state
    return text


def _plausible_birth_date(born: date, today: date) -> date:
    """The date of birth of a child a school could have on its roll today; ValueError otherwise."""
    if born > today:
        raise ValueError(f"The date of birth {uk_date(born)} is in the future.")
    if born > years_before(today, YOUNGEST_AGE):
        raise ValueError(f"The date of birth {uk_date(born)} makes this pupil under {YOUNGEST_AGE} years old "
                         f"today; a school's youngest pupils start nursery at {YOUNGEST_AGE}. "
                         "Check the date in the MIS.")
    if born < years_before(today, OLDEST_AGE):
        raise ValueError(f"The date of birth {uk_date(born)} makes this pupil over {OLDEST_AGE} years old today. "
                         "Check the date in the MIS.")
    return born


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


_SEN_NEED_BY_KEY = {key: term.slug for term in SEN_NEEDS for key in (term.slug.casefold(), term.label.casefold())}


def sen_need_code(text: str) -> str:
    """The census code for an SEN primary need written as "ASD", "asd", "ASD - Autistic ..." or its name.

    Anything else is returned as written, for details_problems to refuse with the list of codes.
    """
    key = " ".join(text.casefold().split())
    if not key:
        return ""
    if key in _SEN_NEED_BY_KEY:
        return _SEN_NEED_BY_KEY[key]
    head = key.replace("–", "-").split(" - ")[0].split(":")[0].strip()
    return _SEN_NEED_BY_KEY.get(head, text)


def _sen(text: str) -> bool:
    key = text.casefold()
    if key in SEN_CODES:
        return SEN_CODES[key]
    try:
        return parse_yes_no(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a SEN status; write N (none), K (SEN support) or E (EHC plan).") from None
