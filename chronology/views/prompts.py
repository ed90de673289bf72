"""Pattern prompts for the DSL (the school's open prompts, and what to do with each) and the
admin's settings for the rules. Staff never see a prompt."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain.prompts import RULE_IDS, RULE_NAMES, next_step_of
from ..models import Child, Prompt
from ..services.paging import page_number
from ..security import current_school, has_role, roles_required
from ..services import observations as observation_service, prompts as service

bp = Blueprint("prompts", __name__, url_prefix="/prompts")


# --- For the child's chronology page -----------------------------------------------------------


@bp.app_template_global("open_prompts_for")
def open_prompts_for(child: Child) -> list[Prompt]:
    """The child's open prompts, for a DSL only: anyone else gets none."""
    school = current_school()
    if school is None or child.school_id != school.id or not has_role("dsl"):
        return []
    return service.open_prompts_for_child(child)


@bp.app_template_global("prompt_groups")
def prompt_groups(prompts: list[Prompt]) -> list[service.PromptGroup]:
    """The prompts as the DSL reads them: overlapping ones together, under the one that leads."""
    return service.group_prompts(prompts)


@bp.app_template_global("prompt_cited")
def prompt_cited(prompts: list[Prompt]) -> dict:
    """Each evidence ref of these prompts -> how it reads ("12/01/2026 — Injury"), in a few queries."""
    return service.evidence_cited(prompts)


@bp.app_template_global("evidence_in_date_order")
def evidence_in_date_order(refs: list[str], cited: dict) -> list:
    return service.evidence_in_date_order(refs, cited)


@bp.app_template_global("prompt_evidence")
def prompt_evidence(prompts: list[Prompt]) -> dict[str, list[str]]:
    """Chronology entry id ("observation-12") -> the rules it is evidence for."""
    found: dict[str, list[str]] = {}
    for prompt in prompts:
        for ref in prompt.evidence_refs:
            found.setdefault(anchor(ref), []).append(prompt.rule)
    return found


@bp.app_template_filter("evidence_anchor")
def anchor(ref: str) -> str:
    """An evidence ref ("observation:12") as the id of its chronology entry ("observation-12")."""
    kind, _, record_id = ref.partition(":")
    return f"{kind}-{record_id}"


@bp.app_template_filter("evidence_label")
def evidence_label(ref: str, cited: dict | None = None) -> str:
    """How an evidence record reads: its date and what it was, never its database id."""
    found = (cited or {}).get(ref)
    if found is not None:
        return found.text
    kind, _, _ = ref.partition(":")
    words = {"observation": "A concern", "review": "A DSL decision", "referral": "A referral",
             "life-event": "A life event"}
    return f"{words.get(kind, 'A record')} no longer on the chronology"


@bp.app_template_filter("prompt_text")
def prompt_text(explanation: str) -> dict[str, object]:
    """A stored explanation as what was seen, why it matters (the finding) and the next step."""
    text, next_step = next_step_of(explanation or "")
    seen, _, why = text.partition("\n\n")
    return {"seen": seen.strip(), "why": why.strip(), "next_step": next_step.strip()}


# --- The DSL's dashboard and actions ------------------------------------------------------------


@bp.get("/")
@roles_required("dsl")
def dashboard():
    rule = request.args.get("rule", "")
    chosen = rule if rule in RULE_IDS else ""
    school = current_school()
    page, items = service.open_prompt_items(school, chosen or None, page=page_number(request.args.get("page")))
    namesakes = observation_service.namesakes_among(school.id, [item.head.child for item in items])
    return render_template("prompts/dashboard.html", items=items, page=page, rule=chosen,
                           rule_ids=RULE_IDS, rule_names=RULE_NAMES, namesakes=namesakes)


def _render_prompt(prompt: Prompt, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200):
    merged = service.merged_with(prompt)
    cited = service.evidence_cited([prompt, *merged])
    return render_template("prompts/prompt.html", prompt=prompt, choices=service.action_choices(prompt),
                           merged=merged, cited=cited, evidence=service.evidence_in_date_order(prompt.evidence_refs, cited),
                           values=values or {"reason": "", "link": ""}, errors=errors or {},
                           rule_names=RULE_NAMES), status


def _prompt(prompt_id: int) -> Prompt:
    return service.prompt_in_school(current_school(), prompt_id)


@bp.get("/<int:prompt_id>")
@roles_required("dsl")
def show(prompt_id: int):
    return _render_prompt(_prompt(prompt_id))


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("prompts.dashboard"))


@bp.post("/<int:prompt_id>/acknowledge")
@roles_required("dsl")
def acknowledge(prompt_id: int):
    prompt = _prompt(prompt_id)
    try:
        service.acknowledge(prompt, current_user)
    except service.PromptRefused as refused:
        return _render_prompt(prompt, errors={"acknowledge": refused.message}, status=409)
    return _done("Prompt acknowledged, with any shown with it. It stays on the list until it is actioned "
                 "or dismissed.")


@bp.post("/<int:prompt_id>/action")
@roles_required("dsl")
def action(prompt_id: int):
    prompt = _prompt(prompt_id)
    values = {"reason": "", "link": request.form.get("link", "")}
    try:
        service.action(prompt, current_user, values["link"])
    except service.PromptRefused as refused:
        status = 400 if refused.field else 409
        return _render_prompt(prompt, values, {refused.field or "link": refused.message}, status)
    return _done("Prompt marked as actioned.")


@bp.post("/<int:prompt_id>/dismiss")
@roles_required("dsl")
def dismiss(prompt_id: int):
    prompt = _prompt(prompt_id)
    values = {"reason": request.form.get("reason", ""), "link": ""}
    try:
        service.dismiss(prompt, current_user, values["reason"])
    except service.PromptRefused as refused:
        status = 400 if refused.field else 409
        return _render_prompt(prompt, values, {refused.field or "reason": refused.message}, status)
    return _done("Prompt dismissed. It comes back only if new evidence arrives.")


# --- The admin's settings -----------------------------------------------------------------------


def _render_settings(values: dict[str, str] | None = None, enabled: set[str] | None = None,
                     errors: dict[str, str] | None = None, status: int = 200):
    rows = service.settings_rows(current_school())
    if values is None:
        values = {f.name: str(f.value) for row in rows for f in row.fields}
    if enabled is None:
        enabled = {row.rule for row in rows if row.enabled}
    return render_template("prompts/settings.html", rows=rows, values=values, enabled=enabled,
                           errors=errors or {}, school=current_school()), status


@bp.get("/settings")
@roles_required("admin")
def settings():
    return _render_settings()


@bp.post("/settings")
@roles_required("admin")
def save_settings():
    typed: dict[str, dict[str, object]] = {}
    values: dict[str, str] = {}
    for row in service.settings_rows(current_school()):
        for f in row.fields:
            if f.name in request.form:
                values[f.name] = request.form[f.name]
                typed.setdefault(row.rule, {})[f.setting] = request.form[f.name]
    enabled = {r for r in request.form.getlist("enabled") if r in RULE_IDS}
    try:
        changed = service.update_settings(current_school(), current_user, enabled, typed)
    except service.InvalidPromptSettings as invalid:
        return _render_settings(values, enabled, invalid.errors, status=400)
    flash(f"Settings saved: {changed} rule(s) changed." if changed else "No settings were changed.",
          "success")
    return redirect(url_for("prompts.settings"))
