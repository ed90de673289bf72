"""The alert-fatigue benchmark (bench/alert_fatigue.py) must not drift: its school is deterministic,
has the kinds it says in the shares it states, its pattern children really carry their patterns,
its quiet children are really quiet, and a small run reports the four figures."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bench import alert_fatigue as af
from chronology.domain.prompts import rules
from chronology.domain.vocabulary import CHILD_CATEGORIES, FAMILY_CATEGORY_SLUGS

NEGLECT = frozenset({"hunger", "hygiene", "clothing", "tiredness", "health-neglect", "not-brought"})
ADOLESCENT = frozenset({"exclusion", "missing-education", "missing-home", "substance-misuse-child",
                        "criminal-exploitation", "sexual-exploitation"})
CHILD_SLUGS = frozenset(t.slug for t in CHILD_CATEGORIES)


@pytest.fixture(scope="module")
def school() -> af.School:
    return af.generate(1000, 16)


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _most_in_window(days: list[date], window: int) -> int:
    """The most of `days` inside any `window` consecutive calendar days."""
    return max((sum(1 for d in days if first <= d < first + timedelta(days=window)) for first in days), default=0)


def test_same_seed_same_school_and_another_seed_another():
    first = [c.as_plain() for c in af.generate(200, 5).children]
    assert first == [c.as_plain() for c in af.generate(200, 5).children]
    assert first != [c.as_plain() for c in af.generate(200, 6).children]


@pytest.mark.parametrize("size", [200, 1000, 2500])
def test_each_kind_and_story_is_as_many_as_its_stated_share(size):
    made = af.generate(size, 2)
    kinds = {k: len(made.of_kind(k)) for k in ("quiet", "handled", "pattern")}
    assert kinds == af.planned_counts(size)
    assert sum(kinds.values()) == size
    for story, share in af.HANDLED_SHARES.items():
        assert sum(1 for c in made.children if c.story == story) == round(size * share)
    # One child per pattern per 1,000 children (at least one set), E8 both as a girl and as a boy.
    sets = max(1, round(size / 1000))
    assert sorted(c.story for c in made.of_kind("pattern")) == sorted([p.name for p, _ in af.PATTERNS] * sets)
    e8 = {c.gender for c in made.of_kind("pattern") if c.expected == ("E8",)}
    assert e8 == {"female", "male"}


def test_a_school_of_1000_is_about_94_quiet_4_handled_2_pattern_as_the_module_says(school):
    assert {k: len(school.of_kind(k)) for k in ("quiet", "handled", "pattern")} == {
        "quiet": 940, "handled": 40, "pattern": 20}
    assert {e for c in school.of_kind("pattern") for e in c.expected} == {f"E{n}" for n in range(1, 20)}


def _concerns_in(child: af.SyntheticChild, first: date, last: date, slugs=None) -> list[af.Obs]:
    return [o for o in child.concerns() if first <= o.day <= last and (slugs is None or set(o.categories) & slugs)]


def _has_pattern(child: af.SyntheticChild) -> bool:
    """Whether the child's records carry what DOMAIN.md's pattern needs, read without the rules."""
    rule = child.expected[0]
    concerns = child.concerns()
    cats = [set(o.categories) for o in concerns]
    days = [o.day for o in concerns]

    def kinds_within(slugs: frozenset[str], window: int) -> int:
        return max((len({s for o in _concerns_in(child, last.day - timedelta(days=window - 1), last.day)
                         for s in o.categories} & slugs) for last in concerns), default=0)

    if rule == "E1":
        return _most_in_window(days, 30) >= 3 or _most_in_window(days, 90) >= 5
    if rule == "E2":
        return len({s for c in cats for s in c} & FAMILY_CATEGORY_SLUGS) >= 3
    if rule == "E3":
        return {"domestic-abuse", "parental-mental-health", "parental-substance-misuse"} <= {s for c in cats for s in c}
    if rule == "E4":
        months = {}
        for o in concerns:
            for s in set(o.categories) & NEGLECT:
                months.setdefault(s, set()).add((o.day.year, o.day.month))
        return any(len(m) >= 3 for m in months.values())
    if rule == "E5":
        return any("poverty" in c for c in cats) and any(c & NEGLECT for c in cats)
    if rule == "E6":
        return any("missing-home" in c for c in cats) and not any(e.kind == "return-home-interview"
                                                                   for e in child.life_events)
    if rule == "E7":
        signs = {s for o in concerns for s in set(o.categories) & ADOLESCENT if _age(child.date_of_birth, o.day) >= 11}
        return len(signs) >= 2
    if rule == "E8":
        return any("sexual-exploitation" in c for c in cats)
    if rule == "E9":
        return any("self-harm" in c for c in cats)
    if rule == "E10":
        return _most_in_window(days, 90) >= 3 and not any(o.child_voice for o in concerns)
    if rule == "E11":
        return (child.sen_primary_need in af.COMMUNICATION_NEED_CODES and "send" in child.flags
                and _most_in_window(days, 90) >= 2)
    if rule == "E12":
        return any(r.status == "not-accepted" and any(d > r.outcome_on for d in days) for r in child.referrals)
    if rule == "E13":
        return any(e.kind == "early-help-closed" and any(e.day < d <= e.day + timedelta(days=182) for d in days)
                   for e in child.life_events)
    if rule == "E14":
        return any(o.source in {"wider-family", "community"} and o.answered_on is None for o in concerns)
    if rule == "E15":
        return (any("not-brought" in o.categories and _age(child.date_of_birth, o.day) < 5 for o in concerns)
                and any("poverty" in c for c in cats))
    if rule == "E16":
        return any("injury" in o.categories and any(b <= o.day < b + timedelta(days=365) for b in child.babies)
                   for o in concerns)
    if rule == "E17":
        return any("young-carer" in c for c in cats) and not any(
            r.kind == "young-carers-assessment" or r.agency == "young-carers" for r in child.referrals)
    if rule == "E18":
        return kinds_within(CHILD_SLUGS, 183) >= 4
    if rule == "E19":
        return any(a.percent < 90 and _concerns_in(child, a.start, a.end, NEGLECT) for a in child.attendance)
    raise AssertionError(f"no check for {rule}")


def test_every_pattern_child_carries_its_patterns_categories(school):
    for child in school.of_kind("pattern"):
        assert _has_pattern(child), child.story


def test_quiet_children_are_never_within_the_thresholds_that_define_e1():
    e1 = rules.E1Settings()
    for seed in (1, 16, 99):
        for child in af.generate(1000, seed).of_kind("quiet"):
            days = [o.day for o in child.concerns()]
            assert _most_in_window(days, e1.short_window_days) < e1.short_min_observations, child.number
            assert _most_in_window(days, e1.long_window_days) < e1.long_min_observations, child.number
            assert all((b - a).days >= af.QUIET_MIN_GAP_DAYS for a, b in zip(days, days[1:]))
            # Innocuous only: an explained graze (the child said how), an upset morning, a strength.
            for o in child.observations:
                assert o.categories in {("injury",), ("emotional-wellbeing",), ("strength",)}
                assert o.source == "staff"
                assert o.categories != ("injury",) or o.child_voice
            assert not child.referrals and not child.life_events


def test_handled_children_had_help_and_have_six_quiet_months_by_the_years_end(school):
    for child in school.of_kind("handled"):
        assert child.concerns() and child.concerns()[-1].day <= af.YEAR_END - timedelta(days=183)
        kinds = {e.kind for e in child.life_events}
        supported = any(e.kind == "school-support" and e.ended_on for e in child.life_events)
        early_help = {"early-help-started", "early-help-closed"} <= kinds
        accepted = any(r.agency == "early-help" and r.status == "accepted" for r in child.referrals)
        assert supported or early_help or accepted, child.story
        if child.story.startswith("hardship"):
            assert any("poverty" in o.categories for o in child.concerns())
            assert any(set(o.categories) & NEGLECT for o in child.concerns())
        else:
            assert "bereavement" in kinds


def test_the_rules_see_only_what_was_recorded_by_each_day():
    child = next(c for c in af.generate(1000, 16).of_kind("pattern") if c.expected == ("E12",))
    over_time = af.RecordsOverTime(child, af.Capabilities.detect())
    referral = child.referrals[0]
    before = over_time.on(referral.outcome_on - timedelta(days=1))
    assert [r.status for r in before.referrals] == ["awaiting-response"]
    assert all(o.occurred_on < referral.outcome_on for o in before.observations)
    after = over_time.on(referral.outcome_on)
    assert [r.status for r in after.referrals] == ["not-accepted"]
    assert over_time.on(af.YEAR_START - timedelta(days=1)).observations == ()


def test_attendance_is_known_only_once_its_half_term_is_over():
    caps = af.Capabilities.detect()
    assert caps.attendance, "the rules' records carry attendance (version 2)"
    child = next(c for c in af.generate(1000, 16).of_kind("pattern") if c.expected == ("E19",))
    over_time = af.RecordsOverTime(child, caps)
    spring1 = next(a for a in child.attendance if a.percent == 84.0)
    assert all(a.period_end < spring1.end for a in over_time.on(spring1.end).attendance)
    assert spring1.end in {a.period_end for a in over_time.on(spring1.end + timedelta(days=1)).attendance}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fatigue")
    (folder / "results.md").write_text("# Benchmark results (smoke)\n\n| fig | what |\n")
    assert af.main(["--children", "200", "--seed", "3", "--output", str(folder)]) == 0
    assert af.main(["--children", "200", "--seed", "3", "--output", str(folder)]) == 0  # again: replaced
    return folder


def test_a_small_run_reports_the_four_figures_in_sane_ranges(small_run):
    result = json.loads((small_run / "results-fatigue.json").read_text())
    names = [f["figure"] for f in result["figures"]]
    assert names == [f"prompts per 100 quiet children, {t} term" for t in af.TERMS] + [
        "quiet children ever prompted", "handled children with an open prompt at the year's end",
        "recall on the pattern children"]
    for f in result["figures"]:
        assert 0 <= f["value"] <= 100, f
    m = result["measurement"]
    assert m["kinds"] == af.planned_counts(200)
    assert m["school_days"] == len(af.SCHOOL_DAYS) > 180
    assert m["pattern"]["measured"] + len(m["pattern"]["not_expressible"]) == m["kinds"]["pattern"]
    assert result["rules"] == list(rules.RULE_IDS)


def test_results_md_keeps_what_else_it_holds_and_one_fatigue_section(small_run):
    text = (small_run / "results.md").read_text()
    assert text.startswith("# Benchmark results (smoke)")
    assert text.count(af.MARK_START) == 1 and text.count(af.MARK_END) == 1
    assert "| recall on the pattern children |" in text


def test_a_rule_that_misses_a_pattern_is_reported_as_a_miss():
    # E1 made impossible to reach: its pattern child must show up as missed, not as found.
    settings = rules.settings_with({"E1": {"short_min_observations": 100, "long_min_observations": 100}})
    m = af.measure(af.generate(200, 3), settings)
    assert "E1" in m["pattern"]["misses_by_rule"]
    assert m["pattern"]["recall_percent"] < 100


def test_it_exits_1_only_when_it_cannot_measure(tmp_path, capsys):
    assert af.main(["--children", "30", "--output", str(tmp_path)]) == 1
    assert af.main(["--setting", "E1.no_such_setting=3", "--output", str(tmp_path)]) == 1
    assert "could not measure" in capsys.readouterr().err
    assert not (tmp_path / "results-fatigue.json").exists()


def test_the_suites_results_md_keeps_the_fatigue_section(tmp_path):
    from bench import run as suite

    af.write_section(tmp_path / "results.md", ["## Alert fatigue", "| recall | 100% |"])
    suite.write("smoke", suite.machine(), None, tmp_path)
    text = (tmp_path / "results.md").read_text()
    assert text.startswith("# Benchmark results (smoke)")
    assert f"{af.MARK_START}\n## Alert fatigue\n| recall | 100% |\n{af.MARK_END}" in text
    suite.write("smoke", suite.machine(), None, tmp_path)  # and again: still one section
    assert (tmp_path / "results.md").read_text().count(af.MARK_START) == 1
