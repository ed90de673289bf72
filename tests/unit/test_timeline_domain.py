"""The timeline's shape, worked out without an app: rows, range, clusters and the words that describe it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import chronology
from chronology.domain.csv_export import csv_text, safe_cell
from chronology.domain.timeline import (
    EVENTS_ROW, Mark, build_timeline, find_clusters, severity_of, text_alternative,
)
from chronology.domain.trends import csv_rows, last_months, month_counts, Trends

LABELS = {"hunger": "Hunger", "hygiene": "Hygiene", "injury": "Injury", "strength": "Strength or protective factor",
          "parental-mental-health": "Parent's mental health"}
ORDER = ["hunger", "hygiene", "injury", "parental-mental-health", "strength"]


def obs(n: int, on: date, *categories: str, severity: str = "concern") -> Mark:
    return Mark(f"observation-{n}", "observation", on, frozenset(categories), severity)


def test_one_row_per_category_that_occurs_in_the_vocabulary_order_then_events():
    marks = [obs(1, date(2026, 3, 3), "injury"), obs(2, date(2026, 3, 4), "hunger", "hygiene"),
             Mark("referral-1", "referral", date(2026, 3, 5)), Mark("life-event-2", "life-event", date(2026, 3, 1))]
    timeline = build_timeline(marks, labels=LABELS, order=ORDER)
    assert [row.key for row in timeline.rows] == ["hunger", "hygiene", "injury", EVENTS_ROW]
    assert [row.label for row in timeline.rows][:3] == ["Hunger", "Hygiene", "Injury"]
    events = timeline.rows[-1]
    assert [m.ref for m in events.marks] == ["life-event-2", "referral-1"]
    # An observation with two categories is a mark on each of its rows.
    assert [m.ref for m in timeline.rows[0].marks] == ["observation-2"]
    assert [m.ref for m in timeline.rows[1].marks] == ["observation-2"]


def test_a_schools_own_category_gets_its_own_row_after_the_standard_ones():
    timeline = build_timeline([obs(1, date(2026, 3, 3), "zz-school-own"), obs(2, date(2026, 3, 3), "hunger")],
                              labels=LABELS, order=ORDER)
    assert [row.key for row in timeline.rows] == ["hunger", "zz-school-own"]
    assert timeline.rows[1].label == "zz-school-own"


def test_range_is_the_chosen_dates_or_else_the_first_and_last_mark():
    marks = [obs(1, date(2026, 3, 3), "hunger"), obs(2, date(2026, 6, 20), "hunger")]
    plain = build_timeline(marks)
    assert (plain.start, plain.end) == (date(2026, 3, 3), date(2026, 6, 20))
    chosen = build_timeline(marks, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert (chosen.start, chosen.end) == (date(2026, 1, 1), date(2026, 12, 31))
    half = build_timeline(marks, start=date(2026, 2, 1))
    assert (half.start, half.end) == (date(2026, 2, 1), date(2026, 6, 20))


def test_three_marks_within_fourteen_days_make_a_cluster_and_overlapping_runs_merge():
    start = date(2026, 3, 1)
    days = [0, 5, 13, 20, 26, 60, 61]  # 0,5,13 | 13,20,26 overlap at day 13 -> one run; 60,61 too few
    marks = [obs(n, start + timedelta(days=d), "hunger") for n, d in enumerate(days)]
    clusters = find_clusters("hunger", marks)
    assert len(clusters) == 1
    assert (clusters[0].start, clusters[0].end, clusters[0].size) == (start, start + timedelta(days=26), 5)


def test_marks_fourteen_days_apart_are_not_a_cluster():
    start = date(2026, 3, 1)
    marks = [obs(1, start, "hunger"), obs(2, start + timedelta(days=7), "hunger"),
             obs(3, start + timedelta(days=14), "hunger")]
    assert find_clusters("hunger", marks) == ()
    assert len(find_clusters("hunger", marks, days=15)) == 1


def test_clusters_are_found_per_row_and_never_for_strengths_or_events():
    start = date(2026, 3, 1)
    marks = [obs(n, start + timedelta(days=n), "hunger", "strength") for n in range(3)]
    marks += [obs(10, start, "hygiene"), obs(11, start + timedelta(days=40), "hygiene")]
    marks += [Mark(f"review-{n}", "review", start) for n in range(3)]
    timeline = build_timeline(marks, labels=LABELS, order=ORDER)
    assert [(c.row, c.size) for c in timeline.clusters] == [("hunger", 3)]


def test_severity_urgent_first_then_strength_only_records():
    assert severity_of(True, ["strength"]) == "urgent"
    assert severity_of(False, ["strength"]) == "strength"
    assert severity_of(False, ["strength", "hunger"]) == "concern"
    assert severity_of(False, []) == "concern"


def test_text_alternative_counts_observations_categories_range_and_the_most_frequent():
    marks = [obs(n, date(2026, 3, 3) + timedelta(days=20 * n), "hunger") for n in range(5)]
    marks += [obs(10 + n, date(2026, 4, 1), slug) for n, slug in enumerate(
        ["hygiene", "injury", "parental-mental-health", "x-own"])]
    marks += [obs(15, date(2026, 4, 2), "strength", severity="strength")]
    marks += [obs(20, date(2026, 6, 20), "hygiene", "injury")]
    marks += [obs(30, date(2026, 5, 1), "injury"), obs(31, date(2026, 5, 3), "injury"),
              obs(32, date(2026, 5, 5), "hygiene")]
    timeline = build_timeline(marks, labels=LABELS, order=ORDER)
    assert timeline.summary.startswith(
        "14 observations in 6 categories between 3 March and 20 June 2026; most frequent: hunger (5);")
    assert timeline.summary.endswith("; 1 strength recorded.")


def test_text_alternative_names_ties_events_urgency_and_clusters():
    day = date(2025, 12, 30)
    marks = [obs(1, day, "parental-mental-health", severity="urgent"), obs(2, day + timedelta(days=3), "hygiene"),
             obs(3, day + timedelta(days=4), "hygiene"), obs(4, day + timedelta(days=5), "hygiene"),
             obs(5, day + timedelta(days=5), "parental-mental-health"),
             obs(6, day + timedelta(days=6), "parental-mental-health"),
             Mark("referral-1", "referral", day), Mark("review-1", "review", day), Mark("review-2", "review", day)]
    text = build_timeline(marks, labels=LABELS, order=ORDER).summary
    assert text.startswith("6 observations in 2 categories between 30 December 2025 and 5 January 2026; "
                           "most frequent: hygiene (3), parent's mental health (3); 1 marked urgent.")
    assert "1 referral, 2 reviews." in text
    assert "2 clusters of concerns close together (hygiene: 3 between 2 January and 4 January 2026; " in text


def test_text_alternative_for_a_single_observation_and_for_none():
    one = build_timeline([obs(1, date(2026, 3, 3), "hunger")], labels=LABELS)
    assert one.summary == "1 observation in 1 category on 3 March 2026; most frequent: hunger (1)."
    empty = build_timeline([Mark("life-event-1", "life-event", date(2026, 3, 3))],
                           start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert empty.summary == "No observations between 1 March and 31 March 2026. 1 life event."
    assert text_alternative(empty) == empty.summary


# --- trends: pure parts ------------------------------------------------------------------------


def test_last_twelve_months_run_oldest_first_across_a_new_year():
    months = last_months(date(2026, 2, 14))
    assert months[0] == date(2025, 3, 1) and months[-1] == date(2026, 2, 1) and len(months) == 12


def test_month_counts_split_categories_and_ignore_days_outside_the_window():
    months = last_months(date(2026, 2, 14), 2)
    by_month, totals = month_counts([(date(2026, 1, 3), "hunger;hygiene", 2), (date(2026, 1, 9), "hunger", 1),
                                     (date(2025, 5, 1), "hunger", 7)], months)
    assert by_month == {"hunger": {date(2026, 1, 1): 3}, "hygiene": {date(2026, 1, 1): 2}}
    assert totals == {date(2026, 1, 1): 3}


def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_apostrophe():
    for dangerous in ("=HYPERLINK(\"x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "-2"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Hunger") == "Hunger" and safe_cell(5) == "5" and safe_cell(None) == ""
    assert safe_cell("O'Neill") == "O'Neill" and safe_cell("a=b") == "a=b" and safe_cell("Zoë") == "Zoë"
    # A number the app counted is a number, not a formula; True is text.
    assert safe_cell(-3) == "-3" and safe_cell(-0.5) == "-0.5" and safe_cell(True) == "True"


def test_every_cell_of_the_shared_csv_writer_is_made_safe_and_quoted_as_csv():
    text = csv_text([["name", "note"], ["=1+1", "a, b"], ["\tx", None], ["@SUM(A1)", 'say "hi"']])
    assert text == 'name,note\r\n\'=1+1,"a, b"\r\n\'\tx,\r\n\'@SUM(A1),"say ""hi"""\r\n'


def test_no_module_writes_csv_except_through_the_shared_writer():
    package = Path(chronology.__file__).parent
    writers = [str(path.relative_to(package)) for path in package.rglob("*.py")
               if path.name != "csv_export.py" and re.search(r"csv\.(writer|DictWriter)\b", path.read_text())]
    assert writers == []


def test_the_trends_csv_is_written_by_the_shared_writer_so_a_formula_category_is_defused():
    trends = Trends(tuple(last_months(date(2026, 2, 14), 1)), {"=cmd": {date(2026, 2, 1): 1}},
                    {date(2026, 2, 1): 1}, {"E1": 2}, {("police", "accepted"): 1})
    rows = list(csv.reader(io.StringIO(csv_text(csv_rows(trends)))))
    assert rows[0] == ["figure", "group", "detail", "count"]
    assert ["observations by category", "'=cmd", "2026-02", "1"] in rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_up_to_twelve_months_of_records_is_one_picture_over_their_own_span():
    from chronology.domain.timeline import Period, periods

    assert periods([date(2025, 12, 9), date(2025, 8, 28), date(2025, 10, 1)]) == [
        Period(date(2025, 8, 28), date(2025, 12, 9))]
    assert periods([]) == []


def test_more_than_twelve_months_is_one_picture_per_school_year_that_has_records():
    from chronology.domain.timeline import periods, school_year_of

    assert school_year_of(date(2026, 8, 31)) == 2025 and school_year_of(date(2026, 9, 1)) == 2026
    found = periods([date(2023, 8, 28), date(2023, 9, 15), date(2025, 12, 9)])
    assert [(p.start, p.end, p.title) for p in found] == [
        (date(2022, 9, 1), date(2023, 8, 31), "September 2022 to August 2023"),
        (date(2023, 9, 1), date(2024, 8, 31), "September 2023 to August 2024"),
        (date(2025, 9, 1), date(2026, 8, 31), "September 2025 to August 2026"),
    ]
