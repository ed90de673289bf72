"""Four journeys in a real browser, as the people who use Chronology make them.

Each page a journey reaches is checked by axe-core (no serious or critical violation, every field
labelled) and photographed into test-artifacts/e2e/ (see conftest.py)."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from chronology.domain.observation_rules import ObservationDraft
from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import Child, Observation, Prompt, Referral
from chronology.services import clock, observations as observation_service
from tests.factories import PASSWORD, make_child, make_school, make_user, totp_code

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the Python package playwright is not installed (pip install -e '.[dev]')", allow_module_level=True)

YESTERDAY = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")


def sign_in(tab, email: str, *, second_factor: bool = False) -> None:
    tab.goto("/login")
    tab.check("sign-in")
    tab.page.get_by_label("Email address").fill(email)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()
    if second_factor:
        tab.page.wait_for_url("**/login/two-factor")
        tab.check("two-factor")
        tab.page.get_by_label("Code").fill(totp_code(email))
        tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_url(lambda url: "/login" not in url)


# --- 1. A teacher on a phone ---------------------------------------------------------------------


def test_a_teacher_logs_an_urgent_concern_on_a_phone_and_the_dsl_is_emailed(journey, mailbox):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    child = make_child(school, "Siobhán", "O'Neill", year_group="4")
    make_child(school, "Simon", "Okafor", year_group="4")
    tab = journey(phone=True)
    page = tab.page

    sign_in(tab, teacher.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a concern about a child")
    tab.check("log-a-concern-empty")

    page.get_by_label("Which child?").press_sequentially("obh", delay=30)
    option = page.locator("#child-results").get_by_role("button", name=re.compile("Siobhán O'Neill"))
    expect(option).to_be_visible()
    expect(page.locator("#child-results-status")).to_have_text("1 child matches: press Tab to choose.")
    tab.check("child-type-ahead")
    option.click()
    expect(page.get_by_label("Which child?")).to_have_value("Siobhán O'Neill")
    assert page.locator("#child_id").input_value() == str(child.id)

    page.get_by_label("Date", exact=True).fill(YESTERDAY)
    page.get_by_label("Time (optional)").fill("08:50")
    page.get_by_label("Where did it happen?").fill("Year 4 classroom")
    page.locator("summary", has_text="About the child").click()
    page.get_by_label(re.compile("^Hunger")).check()
    page.get_by_label("Seen or heard by me or another member of staff").check()
    page.get_by_label("Yes, I saw or heard it myself").check()
    description = page.get_by_label("What did you see or hear?")
    advice = page.locator("#language-advice")
    assert advice.evaluate("el => el.childNodes.length") == 0  # truly empty, so no empty box is drawn
    description.press_sequentially("Poor home conditions. Mum is obviously not coping.", delay=10)
    expect(advice).to_have_attribute("aria-live", "polite")
    expect(advice).to_contain_text("Advice on your words")
    expect(advice).to_contain_text("obviously")
    tab.check("log-a-concern-advice")
    description.fill("Came in at 08:50 with a bruise about 3cm across on her left cheek. She held her arm "
                     "and would not take her coat off.")
    page.get_by_label("What did the child say? (optional)").fill("Mum's boyfriend got cross. I can't go home.")
    page.get_by_label("What did you do?").fill("Stayed with her and came to find the DSL.")
    page.get_by_label("This is urgent").check()
    page.get_by_role("button", name="Send to the DSL").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Speak to the DSL now, in person")
    tab.check("urgent-submitted")

    [mail] = mailbox.wait(1)
    assert mail["to"] == [dsl.email]
    body = mail["message"].get_content()
    observation = db.session.scalars(select(Observation)).one()
    assert f"{tab.base}/dsl/observations/{observation.id}/review" in body
    assert "Siobhán" not in body and "bruise" not in body  # the email carries a link, never the details
    assert observation.urgent and observation.child_id == child.id


# --- 2. A DSL works the case ---------------------------------------------------------------------


def _concern(school, child, author, days_ago: int, description: str, *, significant: bool = False):
    draft = ObservationDraft(
        occurred_on=clock.today() - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Year 5 classroom", categories=("hunger",), source="staff", first_hand=True,
        description=description, child_voice="I didn't have tea.", action_taken="Gave breakfast.",
    )
    return observation_service.record_observation(school, child, author, draft, today=clock.today())


def test_a_dsl_reviews_refers_records_the_outcome_weighs_prompts_and_exports(journey):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    child = make_child(school, "Amara", "Okafor", year_group="5")
    for days_ago, words in ((20, "Asked for toast twice before the bell and ate it very quickly."),
                            (12, "Had no packed lunch and said there was no food at home."),
                            (3, "Took food from another child's lunchbox and hid it in her coat.")):
        _concern(school, child, teacher, days_ago, words)
    rules = {p.rule for p in db.session.scalars(select(Prompt).where(Prompt.child_id == child.id))}
    assert {"E1", "E4"} <= rules  # 3 concerns in 30 days; 3 signs of neglect in 8 weeks
    tab = journey()
    page = tab.page

    sign_in(tab, dsl.email, second_factor=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Concerns to review")
    tab.check("review-queue")

    # A first look at the newest concern, then the child's whole chronology with its prompts.
    page.get_by_role("link", name="Review the concern about Amara Okafor").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review: concern about Amara Okafor")
    tab.check("review-concern")
    page.get_by_role("link", name="Open Amara Okafor's chronology").click()
    prompts = page.locator("#prompts")
    expect(prompts).to_contain_text("Small worries are adding up")  # E1
    expect(prompts).to_contain_text("Repeated signs of neglect")  # E4
    expect(page.locator(".entry-evidence")).to_have_count(3)
    tab.check("chronology-with-prompts")

    # Dismiss the neglect prompt from the prompts dashboard, first forgetting the reason.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Prompts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pattern prompts")
    tab.check("prompts-dashboard")
    page.locator("tr", has_text="E4").get_by_role("link").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("neglect")
    tab.check("prompt-e4")
    page.get_by_role("button", name="Dismiss").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    tab.check("prompt-dismiss-error")
    reason = page.get_by_label("Dismiss: why this prompt needs no action")
    summary.get_by_role("link").click()
    expect(reason).to_be_focused()
    reason.fill("Known to us: breakfast club place agreed with mum last week; food bank referral made.")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Prompt dismissed.")).to_be_visible()
    # E1 and E4 stand on the same three concerns, so the DSL read them as one prompt, and setting
    # it aside sets both aside (each audited); no open prompt is left for Amara.
    expect(page.locator("table.prompts")).to_have_count(0)
    tab.check("prompts-after-dismiss")
    db.session.expire_all()
    e4 = db.session.scalars(select(Prompt).where(Prompt.child_id == child.id, Prompt.rule == "E4")).one()
    assert e4.status == "dismissed" and "breakfast club" in e4.dismissed_reason
    e1 = db.session.scalars(select(Prompt).where(Prompt.child_id == child.id, Prompt.rule == "E1")).one()
    assert e1.status == "dismissed"

    # Back to the child: review the newest concern and decide to refer.
    tab.goto(f"/children/{child.id}/chronology")
    expect(page.locator("body")).not_to_contain_text("Repeated signs of neglect")
    tab.check("chronology-after-dismiss")
    page.locator(".entry", has_text="lunchbox").get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review: concern about Amara Okafor")
    tab.check("review-again")
    page.get_by_label("Referral to children's social care").check()
    page.get_by_label("Reason for this decision").fill("Third food concern in three weeks; "
                                                       "hunger is now affecting her learning.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record a referral for Amara Okafor")
    tab.check("record-referral")
    page.get_by_label("Referred to").select_option("social-care")
    page.get_by_label("Their reference (optional)").fill("MASH-2026-0412")
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_text("Referral recorded.")).to_be_visible()
    tab.check("chronology-after-referral")

    # The outcome arrives a few days later.
    page.get_by_role("link", name="Update outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Update the referral for Amara Okafor")
    tab.check("update-referral")
    page.get_by_label("Status").select_option("accepted")
    page.get_by_label("Outcome (optional)", exact=True).fill(
        "Accepted for an early help assessment; family support worker allocated.")
    page.get_by_label("Date of outcome (optional)").fill(date.today().strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_text("Referral updated.")).to_be_visible()
    expect(page.locator(".chronology")).to_contain_text("family support worker allocated")
    tab.check("chronology-final")
    referral = db.session.scalars(select(Referral).where(Referral.child_id == child.id)).one()
    db.session.refresh(referral)
    assert referral.status == "accepted" and "family support worker" in referral.outcome

    # The multi-agency PDF, from the chronology.
    page.get_by_role("link", name="Export PDF").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("chronology as a PDF")
    tab.check("export")
    page.get_by_label(re.compile("^Multi-agency chronology")).check()
    page.get_by_label("Why are you worried about this child?").fill(
        "Repeated signs that Amara is not being fed, now referred and accepted for early help.")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    pdf = download_info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Amara" in text and "Okafor" in text


# --- 3. An admin imports pupils ------------------------------------------------------------------

HEADER = "UPN,Legal Forename,Preferred Forename,Legal Surname,DOB,Gender,Year Group,SEN Status"
UPN1, UPN2, UPN3 = synthetic_upn(901), synthetic_upn(902), synthetic_upn(903)


def _csv(bad_date: str) -> bytes:
    rows = [HEADER, f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K", f"{UPN2},Siobhán,,O'Neill,{bad_date},F,6,N",
            f"{UPN3},Kwame,,Mensah,12/01/2016,M,4,N"]
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def _children(school) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Child).where(Child.school_id == school.id))


def test_an_admin_imports_pupils_fixing_the_one_bad_row(journey):
    school = make_school("Oakfield Primary")
    admin = make_user(school, "admin", name="Sam Patel")
    tab = journey()
    page = tab.page
    sign_in(tab, admin.email, second_factor=True)
    tab.check("admin-home")
    page.get_by_role("link", name="Import pupils").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import pupils")
    tab.check("import")

    page.get_by_label("Pupil list (CSV file)").set_input_files(
        {"name": "pupils.csv", "mimeType": "text/csv", "buffer": _csv("31/09/2014")})
    page.get_by_role("button", name="Import pupils").click()
    expect(page.locator(".error-summary")).to_contain_text("There is a problem")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("Nothing was imported")
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("3")  # the header is line 1
    expect(rows.first).to_contain_text("31/09/2014")
    tab.check("import-error")
    assert _children(school) == 0

    page.get_by_label("Pupil list (CSV file)").set_input_files(
        {"name": "pupils.csv", "mimeType": "text/csv", "buffer": _csv("30/09/2014")})
    page.get_by_role("button", name="Import pupils").click()
    expect(page.locator("#import-result")).to_contain_text("3 pupils added")
    tab.check("import-done")
    assert _children(school) == 3


# --- 4. Keyboard only ----------------------------------------------------------------------------

FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {ok: false, what: 'nothing focused'};
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {ok: outline || shadow, what: el.outerHTML.slice(0, 100),
          outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow};
}"""


class Keyboard:
    """Tab, Space, Enter and typing only, checking after every key that focus can be seen."""

    def __init__(self, page) -> None:
        self.page = page
        self.steps = 0

    def focus_is_visible(self) -> None:
        state = self.page.evaluate(FOCUS_SHOWN)
        assert state["ok"], f"focus is not visible after key {self.steps}: {state}"

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.steps += 1
        self.focus_is_visible()

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=5)
        self.steps += 1
        self.focus_is_visible()

    def tab_to(self, selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            self.press("Tab")
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")


def test_the_whole_concern_form_can_be_completed_with_the_keyboard_and_focus_is_always_visible(journey):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff")
    child = make_child(school, "Kwame", "Mensah", year_group="3")
    tab = journey()
    page = tab.page
    keys = Keyboard(page)

    tab.goto("/login")
    tab.check("sign-in")
    keys.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()  # the first stop is the skip link, and it shows
    keys.tab_to("#email")
    keys.type(teacher.email)
    keys.tab_to("#password")
    keys.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/observations/new")
    tab.check("form")

    keys.tab_to("#child_query")
    keys.type("Mens")
    page.locator("#child-results button").first.wait_for()
    keys.press("Tab")
    expect(page.locator("#child-results button").first).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#child_query")).to_be_focused()
    assert page.locator("#child_id").input_value() == str(child.id)

    keys.tab_to("#occurred_on")
    keys.type(YESTERDAY)
    keys.tab_to("#location")
    keys.type("Dining hall")
    keys.tab_to("summary")  # "About the child"
    keys.press("Enter")
    keys.tab_to("#cat-tiredness")
    keys.press("Space")
    keys.tab_to("#source-staff")
    keys.press("Space")
    keys.tab_to("#first_hand-yes")
    keys.press("Space")
    keys.tab_to("#description")
    keys.type("Fell asleep at his desk twice before 10:00 and said he had been up all night.")
    keys.tab_to("#child_voice")
    keys.type("The baby cries all night.")
    keys.tab_to("#action_taken")
    keys.type("Let him rest in the library and told his class teacher.")
    keys.tab_to("button.button[type=submit]")
    page.keyboard.press("Enter")  # sends the form: the next page is checked below

    expect(page.get_by_role("heading", level=1)).to_have_text("Concern recorded")
    tab.check("sent")
    observation = db.session.scalars(select(Observation)).one()
    version = observation.current
    assert observation.child_id == child.id and not observation.urgent
    assert version.categories == ["tiredness"] and version.source == "staff" and version.first_hand
    assert version.location == "Dining hall" and "asleep" in version.description


# --- The error summary ---------------------------------------------------------------------------


def test_a_form_with_errors_shows_a_summary_at_the_top_linking_to_each_field(journey):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff")
    tab = journey(phone=True)
    page = tab.page
    sign_in(tab, teacher.email)
    tab.check("form")
    page.get_by_role("button", name="Send to the DSL").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: "))
    tab.check("form-with-errors")
    # It is the first thing in the page's main content, and screen readers are told of it.
    assert page.evaluate("document.querySelector('main > :not(.notice)') === document.querySelector('.error-summary')")
    assert summary.get_attribute("role") == "alert"
    links = summary.get_by_role("link")
    assert links.count() >= 4
    # The summary lists the problems in the order of the fields on the page.
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    in_page_order = page.evaluate("""ids => ids.slice().sort((a, b) => {
        const x = document.querySelector(a), y = document.querySelector(b);
        return x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1; })""", targets)
    assert targets == in_page_order, targets
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        assert href.startswith("#")
        target = page.locator(href)
        expect(target).to_have_count(1)
        # Each error also sits beside its field.
        message = links.nth(i).inner_text()
        expect(page.locator(".field-has-error", has_text=message).first).to_be_visible()
        links.nth(i).click()
        expect(target).to_be_in_viewport()
    page.get_by_role("link", name=re.compile("child's name|Type part")).click()
    expect(page.get_by_label("Which child?")).to_be_focused()


# --- 6. The pages the journeys above do not reach ------------------------------------------------


def test_my_records_trends_child_search_and_life_events_pass_the_same_checks(journey):
    school = make_school("Oakfield Primary")
    teacher = make_user(school, "staff", name="Priya Shah")
    dsl = make_user(school, "dsl", name="Dana Lewis")
    child = make_child(school, "Amara", "Okafor", year_group="5")
    for days_ago, words in ((9, "Asked for toast twice before the bell and ate it very quickly."),
                            (2, "Had no packed lunch and said there was no food at home.")):
        _concern(school, child, teacher, days_ago, words)

    staff = journey(label="teacher")
    sign_in(staff, teacher.email)
    staff.check("after-sign-in")
    staff.goto("/observations/mine")
    expect(staff.page.get_by_role("heading", level=1)).to_be_visible()
    expect(staff.page.get_by_role("link", name="Amara Okafor")).to_have_count(2)
    staff.check("my-records")

    tab = journey(label="dsl")
    page = tab.page
    sign_in(tab, dsl.email, second_factor=True)
    tab.check("after-sign-in")
    tab.goto("/trends/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab.check("trends")
    tab.goto("/children/")
    tab.check("child-search")
    page.get_by_label("Part of the child's name").fill("okaf")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("link", name=re.compile("Amara Okafor"))).to_be_visible()
    tab.check("child-search-results")
    tab.goto(f"/children/{child.id}/life-events/new")
    tab.check("life-event")
    page.get_by_role("button", name="Save life event").click()
    expect(page.locator(".error-summary")).to_contain_text("There is a problem")
    tab.check("life-event-with-errors")
    page.get_by_label("What happened?").select_option("moved-house")
    page.get_by_label("Date").fill((clock.today() - timedelta(days=1)).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Save life event").click()
    page.wait_for_url(f"**/children/{child.id}/chronology")
    expect(page.get_by_text("Moved house").locator("visible=true").first).to_be_visible()
    tab.check("chronology-with-life-event")
