"""A child's timeline drawn as SVG on the server with pygal, for the chronology page and the PDF.

pygal styles its charts with an inline <style> block, a config <script> and `style=""`
attributes. The page's Content-Security-Policy (`style-src 'self'`, `script-src 'self'`)
would block all three, so an XML filter removes them and writes the same look as SVG
presentation attributes (fill="...", stroke="..."), which a CSP does not govern. The result
is self-contained: no scripts, no stylesheets, no external references, only links to the
records' anchors on the chronology page.

pygal draws the frame (axes, labels, guides); the marks and cluster bands are written at its
coordinates as escaped markup, which keeps a 1,000-entry chronology's picture to ~10 ms.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pygal
from markupsafe import Markup, escape
from pygal.etree import etree  # lxml when installed, else the standard library: elements must match
from pygal.style import Style

from ..domain.chronology import Entry
from ..domain.timeline import (
    EVENTS_ROW, STRENGTH, Mark, Period, Row, Timeline, build_timeline, periods, severity_of,
)
from ..domain.vocabulary import (
    AGENCIES, CATEGORIES, LIFE_EVENT_KINDS, REVIEW_DECISIONS, label_for,
)

# Concern is an orange so that urgent red stands out; each mark colour has 3:1 contrast against white.
SEVERITY_COLOURS = {"urgent": "#b10e1e", "concern": "#c25400", "strength": "#00703c"}
EVENT_COLOURS = {"referral": "#4c2c92", "review": "#505a5f", "life-event": "#1d70b8",
                 "information-shared": "#005ea5"}
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
          "strength": "Strength", "referral": "Referral", "review": "DSL decision", "life-event": "Life event",
          "information-shared": "Information shared"}


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
    elif entry.kind == "information-shared":
        label = f"Information shared with {record.with_agency}"
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


def render_svg(timeline: Timeline, *, width: int = 960, chart_id: str = "timeline",
               title: str = "Timeline of the chronology") -> str:
    """The SVG markup of a timeline. Every mark is a link to its record's anchor on the chronology page.

    pygal draws the frame (background, row and date labels, guides) from two invisible corner points;
    the cluster bands and marks are written as markup at pygal's own coordinates, where the filter leaves
    a placeholder. Handing pygal one point per mark cost ~0.1 ms a mark (its per-point state lookups,
    tooltip data, a <g> per dot, and the tree to build and serialise): most of a 1,000-entry page.
    """
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
    chart = pygal.XY(
        style=style, width=width, height=ROW_HEIGHT * count + 60 + LEGEND_SPACE, show_legend=False, js=[], css=[],
        disable_xml_declaration=True, stroke=False, show_dots=False, truncate_label=-1, margin=10,
        margin_bottom=10 + LEGEND_SPACE, xrange=(x0 - pad, x1 + pad), range=(0.5, count + 0.5),
        show_x_guides=True, show_y_guides=True, x_labels=labels,
        y_labels=[{"label": row.label, "value": count - n} for n, row in enumerate(rows)],
        show_minor_x_labels=True, print_values=False, no_data_text="",
    )
    chart.add("frame", [(x0 - pad, 0.5), (x1 + pad, count + 0.5)])  # drawn invisibly: it sets pygal's scale
    roles = {_role(row, mark) for row in rows for mark in row.marks} | ({"cluster"} if timeline.clusters else set())
    legend = [role for role in LEGEND if role in roles]
    scale: dict[str, Any] = {}

    def finish(root):  # noqa: ANN001, ANN202
        scale["view"] = chart.view  # pygal's projection from (day, row) to the plot, alive only while it renders
        return _self_contained(root, chart_id, title, timeline.summary, legend)

    chart.add_xml_filter(finish)
    svg = chart.render(is_unicode=True)
    placeholder = f"<!--{_MARKS_GO_HERE}-->"
    if placeholder not in svg:  # a pygal that no longer draws a plot group: fail loudly, not a picture without marks
        raise RuntimeError("pygal's chart has no plot to draw the timeline's marks on")
    return svg.replace(placeholder, _marks_markup(timeline, scale["view"]), 1)


def _role(row: Row, mark: Mark) -> str:
    """The mark's colour and legend entry: its severity for a concern, else its kind."""
    if mark.kind != "observation":
        return mark.kind
    return "strength" if row.key == STRENGTH and mark.severity != "urgent" else mark.severity


_MARKS_GO_HERE = "timeline-marks"
_XLINK = "http://www.w3.org/1999/xlink"


def _marks_markup(timeline: Timeline, view: Any) -> str:
    """The cluster bands, then the marks on top of them, as SVG markup (every value escaped).

    Written as text rather than as elements: a 1,000-entry chronology has ~1,500 marks, and a tree of
    4,500 elements took longer to build and serialise than all the rest of the picture.
    """
    count = max(1, len(timeline.rows))
    x_of: dict[date, str] = {}
    said: dict[date, str] = {}
    bands: list[str] = []
    marks: list[str] = []
    for n, row in enumerate(timeline.rows):
        y = f"{view.y(count - n):.2f}"
        key = escape(row.key)
        for cluster in row.clusters:
            bands.append(f'<path d="M{view.x(cluster.start.toordinal()):.2f} {y} '
                         f'H{view.x(cluster.end.toordinal()):.2f}" class="band"/>')
        for mark in row.marks:
            role = _role(row, mark)
            x = x_of.get(mark.on) or x_of.setdefault(mark.on, f"{view.x(mark.on.toordinal()):.2f}")
            day = said.get(mark.on) or said.setdefault(mark.on, f"{mark.on.day} {mark.on:%B %Y}")
            ref = escape(mark.ref)
            marks.append(f'<a href="#{ref}" xlink:href="#{ref}" class="mark mark-{role}" data-ref="{ref}" '
                         f'data-row="{key}" fill="{COLOURS[role]}"><title>{escape(day)}: '
                         f'{escape(mark.label or mark.ref)}</title><circle cx="{x}" cy="{y}" r="6" class="dot"/></a>')
    markup = ""
    if bands:
        markup = (f'<g class="series clusters" fill="none" stroke="{CLUSTER_COLOUR}" stroke-width="{ROW_HEIGHT - 8}" '
                  f'stroke-linecap="round">{"".join(bands)}</g>')
    # The xlink prefix is declared here: with no xlink attribute left in pygal's tree, its root no longer does.
    return markup + (f'<g class="series marks" stroke="#ffffff" xmlns:xlink="{_XLINK}">{"".join(marks)}</g>')


def _self_contained(root, chart_id: str, title: str, summary: str, legend: list[str]):  # noqa: ANN001, ANN202
    """Swap pygal's stylesheet and script for presentation attributes; label the picture; add the legend.

    The plot keeps a placeholder where the bands and marks go (see `render_svg`).

    Tags are compared by local name: pygal's tree is namespaced under lxml and plain under xml.etree.
    """
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    root.attrib.pop("id", None)
    width, height = root.get("viewBox", "0 0 960 300").split()[2:]
    root.attrib.update({"id": chart_id, "class": "timeline-chart", "role": "group", "width": width,
                        "height": height, "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                        "font-family": FONT, "font-size": str(FONT_SIZE), "fill": TEXT_COLOUR})
    plot = None
    stack = [root]
    while stack:
        parent = stack.pop()
        for child in list(parent):
            name = _local(child.tag) or None
            classes = child.get("class", "")
            # Comments (with the render date), scripts, stylesheets, the tooltip, the frame's empty series,
            # axis titles, and pygal's default "Pygal" title: none of them belongs in the picture.
            if (name is None or name in ("script", "style", "desc", "title") or "tooltip-overlay" in classes
                    or "series" in classes.split() or "overlay" in classes.split()):
                parent.remove(child)
                continue
            child.attrib.pop("style", None)
            if name == "rect" and "background" in classes:
                child.set("fill", "#ffffff")
            elif name == "path" and "line" in classes and ("guide" in classes or "axis" in classes):
                child.set("fill", "none")
                child.set("stroke", GUIDE_COLOUR)
            elif name == "g" and "axis" in classes:
                child.set("text-anchor", "end" if " y" in f" {classes}" else "middle")
            elif name == "g" and classes.split() == ["plot"]:
                plot = child
            stack.append(child)
    if plot is not None:
        plot.append(etree.Comment(_MARKS_GO_HERE))
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


def pictures_for(entries: list[Entry], *, width: int, chart_id: str = "timeline") -> list[tuple[Period, Markup]]:
    """The timeline as one picture, or one per school year when the records span more than twelve months.

    For a PDF, `width` is the page's content width in CSS pixels: drawn at that size the picture
    fits between the margins with its labels at full size, instead of being cut at the page's edge.
    """
    found = periods(e.occurred_on for e in entries)
    pictures = []
    for n, period in enumerate(found, start=1):
        within = [e for e in entries if period.start <= e.occurred_on <= period.end]
        start, end = (period.start, period.end) if period.title else (None, None)
        pictures.append((period, timeline_svg(within, start=start, end=end, width=width,
                                              chart_id=chart_id if len(found) == 1 else f"{chart_id}-{n}")))
    return pictures
