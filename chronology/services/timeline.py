"""A child's timeline drawn as SVG on the server with pygal, for the chronology page and the PDF.

pygal styles its charts with an inline <style> block, a config <script> and `style=""`
attributes. The page's Content-Security-Policy (`style-src 'self'`, `script-src 'self'`)
would block all three, so an XML filter removes them and writes the same look as SVG
presentation attributes (fill="...", stroke="..."), which a CSP does not govern. The result
is self-contained: no scripts, no stylesheets, no external references, only links to the
records' anchors on the chronology page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pygal
from markupsafe import Markup
from pygal.etree import etree  # lxml when installed, else the standard library: elements must match
from pygal.style import Style

from ..domain.chronology import Entry
from ..domain.timeline import EVENTS_ROW, STRENGTH, Mark, Timeline, build_timeline, severity_of
from ..domain.vocabulary import (
    AGENCIES, CATEGORIES, LIFE_EVENT_KINDS, REVIEW_DECISIONS, label_for,
)

# Concern is an orange so that urgent red stands out; each mark colour has 3:1 contrast against white.
SEVERITY_COLOURS = {"urgent": "#b10e1e", "concern": "#c25400", "strength": "#00703c"}
EVENT_COLOURS = {"referral": "#4c2c92", "review": "#505a5f", "life-event": "#1d70b8"}
CLUSTER_COLOUR = "#ffdd00"
TEXT_COLOUR = "#0b0c0c"
GUIDE_COLOUR = "#d8dadb"
FONT = "Arial, Helvetica, sans-serif"
FONT_SIZE = 12
ROW_HEIGHT = 26
LABELS = {t.slug: t.label for t in CATEGORIES} | {EVENTS_ROW: "Referrals, reviews, life events"}
ORDER = [t.slug for t in CATEGORIES]
LEGEND_SPACE = 30
COLOURS = {**SEVERITY_COLOURS, **EVENT_COLOURS}
LEGEND = {"cluster": "Cluster (3+)", "urgent": "Urgent", "concern": "Concern",
          "strength": "Strength", "referral": "Referral", "review": "DSL decision", "life-event": "Life event"}


def mark_for(entry: Entry) -> Mark:
    """The timeline's view of one chronology entry: which anchor, when, what about, how serious."""
    record = entry.record
    ref = f"{entry.kind}-{record.id}"
    if entry.kind == "observation":
        severity = severity_of(bool(getattr(record, "urgent", False)), entry.categories)
        about = ", ".join(label_for(CATEGORIES, c) for c in sorted(entry.categories)) or "no category"
        word = {"urgent": "Urgent concern", "strength": "Strength"}.get(severity, "Concern")
        return Mark(ref, entry.kind, entry.occurred_on, entry.categories, severity, f"{word}: {about}")
    if entry.kind == "referral":
        label = f"Referral to {label_for(AGENCIES, record.agency)}"
    elif entry.kind == "review":
        label = f"DSL decision: {label_for(REVIEW_DECISIONS, record.decision)}"
    else:
        label = f"Life event: {label_for(LIFE_EVENT_KINDS, record.kind)}"
    return Mark(ref, entry.kind, entry.occurred_on, frozenset(), "concern", label)


def timeline_for(view_or_entries: Any, *, start: date | None = None, end: date | None = None) -> Timeline:
    """A Timeline from a ChronologyView, a list of Entry, a list of Mark, or a Timeline as it is."""
    if isinstance(view_or_entries, Timeline):
        return view_or_entries
    items = getattr(view_or_entries, "entries", view_or_entries)
    marks = [item if isinstance(item, Mark) else mark_for(item) for item in items]
    return build_timeline(marks, start=start, end=end, labels=LABELS, order=ORDER)


def _month_labels(start: date, end: date) -> list[dict[str, Any]]:
    """Ticks at the first of each month, thinned so that at most about 12 are shown."""
    ticks = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        ticks.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    ticks = [t for t in ticks if t >= start] or [start]
    step = max(1, -(-len(ticks) // 12))
    return [{"label": f"{t:%b %Y}" if t.month == 1 or i == 0 else f"{t:%b}", "value": t.toordinal()}
            for i, t in enumerate(ticks[::step])]


def _week_labels(start: date, end: date) -> list[dict[str, Any]]:
    days = (end - start).days
    step = max(1, days // 8)
    return [{"label": f"{d.day} {d:%b}", "value": d.toordinal()}
            for d in (date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1, step))]


class _TimelineChart(pygal.XY):
    """pygal's XY chart without the per-point data that only its tooltip script reads.

    That script is never sent (the CSP forbids it), and writing its data for every point
    was most of the cost of a 1,000-entry timeline.
    """

    def _tooltip_data(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _static_value(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _format(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def _confidence_interval(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _get_x_label(self, *args: Any, **kwargs: Any) -> None:
        return None


def render_svg(timeline: Timeline, *, width: int = 960, chart_id: str = "timeline",
               title: str = "Timeline of the chronology") -> str:
    """The SVG markup of a timeline. Every mark is a link to its record's anchor on the chronology page."""
    rows = timeline.rows
    count = max(1, len(rows))
    x0, x1 = timeline.start.toordinal(), timeline.end.toordinal()
    if x0 == x1:
        x0, x1 = x0 - 3, x1 + 3
    pad = max(1, (x1 - x0) // 60)
    style = Style(font_family=FONT, label_font_size=FONT_SIZE, major_label_font_size=FONT_SIZE,
                  background="#ffffff", plot_background="#ffffff", foreground=TEXT_COLOUR,
                  foreground_strong=TEXT_COLOUR, foreground_subtle=GUIDE_COLOUR)
    labels = (_month_labels if x1 - x0 > 62 else _week_labels)(date.fromordinal(x0), date.fromordinal(x1))
    # pygal pads every series to the longest one, so all marks go in one series (coloured per mark
    # below) and the legend is written by the filter rather than drawn from seven padded series.
    chart = _TimelineChart(
        style=style, width=width, height=ROW_HEIGHT * count + 60 + LEGEND_SPACE, show_legend=False, js=[], css=[],
        disable_xml_declaration=True, stroke=False, dots_size=6, truncate_label=-1, margin=10,
        margin_bottom=10 + LEGEND_SPACE, xrange=(x0 - pad, x1 + pad), range=(0.5, count + 0.5),
        show_x_guides=True, show_y_guides=True, x_labels=labels,
        y_labels=[{"label": row.label, "value": count - n} for n, row in enumerate(rows)],
        show_minor_x_labels=True, print_values=False, no_data_text="",
    )
    bands: list = []
    marks: list = []
    roles: set[str] = set()
    for n, row in enumerate(rows):
        y = count - n
        for cluster in row.clusters:
            # One series of broken lines: a band behind each cluster, drawn first so marks sit on top.
            bands += [(cluster.start.toordinal(), y), (cluster.end.toordinal(), y), None]
        for mark in row.marks:
            role = mark.kind
            if mark.kind == "observation":
                role = "strength" if row.key == STRENGTH and mark.severity != "urgent" else mark.severity
            roles.add(role)
            marks.append({
                "value": (mark.on.toordinal(), y),
                "tooltip": f"{mark.on.day} {mark.on:%B %Y}: {mark.label or mark.ref}",
                "xlink": {"href": f"#{mark.ref}", "class_": f"mark mark-{role}", "data-ref": mark.ref,
                          "data-row": row.key, "fill": COLOURS[role]},
            })
    if bands:
        roles.add("cluster")
        chart.add(LEGEND["cluster"], bands[:-1], stroke=True, show_dots=False, allow_interruptions=True)
    chart.add("marks", marks)
    legend = [role for role in LEGEND if role in roles]
    chart.add_xml_filter(lambda root: _self_contained(root, chart_id, title, timeline.summary, legend))
    return chart.render(is_unicode=True)


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _self_contained(root, chart_id: str, title: str, summary: str, legend: list[str]):  # noqa: ANN001, ANN202
    """Swap pygal's stylesheet and script for presentation attributes; label the picture; add the legend.

    Tags are compared by local name: pygal's tree is namespaced under lxml and plain under xml.etree.
    """
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    root.attrib.pop("id", None)
    width, height = root.get("viewBox", "0 0 960 300").split()[2:]
    root.attrib.update({"id": chart_id, "class": "timeline-chart", "role": "group", "width": width,
                        "height": height, "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                        "font-family": FONT, "font-size": str(FONT_SIZE), "fill": TEXT_COLOUR})
    stack = [root]
    while stack:
        parent = stack.pop()
        in_link = _local(parent.tag) == "a"
        for child in list(parent):
            name = _local(child.tag) or None
            classes = child.get("class", "")
            # Comments (with the render date), scripts, stylesheets, the tooltip, pygal's tooltip
            # data and axis titles, and its default "Pygal" title: none of them belongs in the picture.
            if (name is None or name in ("script", "style", "desc")
                    or (name == "title" and not in_link) or "tooltip-overlay" in classes):
                parent.remove(child)
                continue
            child.attrib.pop("style", None)
            if name == "a":
                child.attrib.pop("target", None)
                child.set("href", child.get(_XLINK_HREF, ""))  # SVG 2 readers ignore xlink:href
                child.set("stroke", "#ffffff")
                for inner in list(child):
                    if _local(inner.tag) == "desc":
                        child.remove(inner)
                    elif _local(inner.tag) == "circle":
                        inner.set("class", "dot")
                continue  # its <title> and <circle> need nothing more
            if name == "rect" and "background" in classes:
                child.set("fill", "#ffffff")
            elif name == "path" and "line" in classes and ("guide" in classes or "axis" in classes):
                child.set("fill", "none")
                child.set("stroke", GUIDE_COLOUR)
            elif name == "g" and "axis" in classes:
                child.set("text-anchor", "end" if " y" in f" {classes}" else "middle")
            elif name == "g" and "serie-0" in classes.split() and "cluster" in legend:
                child.attrib.update({"class": classes + " clusters", "fill": "none", "stroke": CLUSTER_COLOUR,
                                     "stroke-width": str(ROW_HEIGHT - 8), "stroke-linecap": "round"})
            stack.append(child)
    desc = etree.Element(f"{ns}desc", {"id": f"{chart_id}-desc"})
    desc.text = summary
    heading = etree.Element(f"{ns}title", {"id": f"{chart_id}-title"})
    heading.text = title
    root.insert(0, desc)
    root.insert(0, heading)
    root.append(_legend(ns, legend, float(width), float(height)))
    return root


def _legend(ns: str, roles: list[str], width: float, height: float):  # noqa: ANN201 (an lxml or etree element)
    """A key to the colours, in one line along the foot of the picture."""
    group = etree.Element(f"{ns}g", {"class": "legend", "aria-hidden": "true"})
    step = min(140.0, (width - 20) / max(1, len(roles)))
    y = height - LEGEND_SPACE / 2
    for n, role in enumerate(roles):
        x = 20 + n * step
        if role == "cluster":
            etree.SubElement(group, f"{ns}rect", {"x": f"{x - 8:.0f}", "y": f"{y - 7:.0f}", "width": "22",
                                                  "height": "14", "rx": "7", "fill": CLUSTER_COLOUR})
        else:
            etree.SubElement(group, f"{ns}circle", {"cx": f"{x:.0f}", "cy": f"{y:.0f}", "r": "6",
                                                    "fill": COLOURS[role], "stroke": "#ffffff"})
        label = etree.SubElement(group, f"{ns}text", {"x": f"{x + 18:.0f}", "y": f"{y + 4:.0f}"})
        label.text = LEGEND[role]
    return group


def _local(tag: Any) -> str:
    """An element's name without its namespace; "" for comments and processing instructions."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def timeline_svg(view_or_entries: Any, *, start: date | None = None, end: date | None = None,
                 width: int = 960, chart_id: str = "timeline") -> Markup:
    """The timeline as safe SVG markup, for a page or a PDF: accepts a ChronologyView, entries or a Timeline.

    The PDF export can call this with the same view the page uses; the SVG carries its own
    <title> and <desc> (the text alternative) and links to `#observation-<id>` style anchors.
    """
    timeline = timeline_for(view_or_entries, start=start, end=end)
    return Markup(render_svg(timeline, width=width, chart_id=chart_id))

