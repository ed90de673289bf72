"""Which children on a list share a name and need telling apart."""

from __future__ import annotations

from chronology.domain.names import display_name, namesake_counts


def test_a_child_is_shown_by_the_forename_they_use():
    assert display_name("Oskar", None, "Walsh") == "Oskar Walsh"
    assert display_name("Aleksander", "Oskar", "Walsh") == "Oskar Walsh"


def test_children_shown_by_the_same_name_are_counted_and_others_are_not():
    shown = [(1, "Oskar Walsh"), (2, "Amira Okafor"), (3, "Oskar Walsh")]
    assert namesake_counts(shown, []) == {1: 1, 2: 0, 3: 1}


def test_a_namesake_on_the_roll_counts_though_not_on_the_list():
    assert namesake_counts([(1, "Oskar Walsh")], [(1, "Oskar Walsh"), (9, "Oskar Walsh"), (5, "Oscar Walsh")]) == {1: 1}


def test_names_that_differ_only_in_accents_capitals_or_apostrophes_look_alike():
    assert namesake_counts([(1, "Zoë O'Neill")], [(2, "zoe O’Neill"), (3, "Zoe Oneill")]) == {1: 2}


def test_a_child_listed_twice_is_not_their_own_namesake():
    assert namesake_counts([(1, "Oskar Walsh"), (1, "Oskar Walsh")], [(1, "Oskar Walsh")]) == {1: 0}
