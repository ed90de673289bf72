"""Real-browser journeys: the app on a real server on 127.0.0.1, driven by Debian's Chromium through
Playwright, with axe-core run on every page a journey visits and a screenshot of each kept.

The journeys run on SQLite only. What they test (the pages, the scripts, keyboard and focus, what a
screen reader is told) does not depend on the database, and every route they use is already tested
against SQLite and PostgreSQL in tests/web; running each journey twice would double the slowest part
of the suite for no new coverage.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from chronology.extensions import db

E2E_DIR = Path(__file__).resolve().parent
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = E2E_DIR.parent.parent / "test-artifacts" / "e2e"
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"The browser journeys are required in CI: {reason}. Run `make system-deps` as root.")
    pytest.skip(f"Browser journeys skipped: {reason} (run `make system-deps`)")


@pytest.fixture
def database_url(tmp_path, sqlite_template) -> str:
    """SQLite only for the journeys (see the module docstring); overrides the two-backend fixture."""
    copy = tmp_path / "test.sqlite"
    shutil.copy(sqlite_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on 127.0.0.1, on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"  # links in alert emails point here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        db.session.remove()  # the test's own reads must not see a stale session afterwards


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable("/usr/bin/chromium is missing (apt-get install chromium)")
    if not AXE_JS.exists():
        _unavailable("axe-core is missing (npm install in tests/e2e)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install -e '.[dev]')")
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    except Exception as error:  # noqa: BLE001 (any failure to start the browser is reported the same way)
        playwright.stop()
        _unavailable(f"Chromium did not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


# --- axe-core and screenshots on every page ------------------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
    resultTypes: ['violations']
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' '))
  }));
}"""

# For a tab with JavaScript off: timers that run their callback once the current task yields.
TIMERS_WITHOUT_JAVASCRIPT = """() => {
  let next = 1;
  const cancelled = new Set();
  window.setTimeout = (fn, _ms, ...args) => {
    const id = next++;
    Promise.resolve().then(() => { if (!cancelled.has(id)) fn(...args); });
    return id;
  };
  window.clearTimeout = id => cancelled.add(id);
  window.requestAnimationFrame = fn => window.setTimeout(() => fn(performance.now()));
  window.requestIdleCallback = fn => window.setTimeout(() => fn({didTimeout: false, timeRemaining: () => 50}));
}"""

# Every visible form control is named by a <label> (or, for the type-ahead's option buttons, its text).
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length))
  .map(el => el.outerHTML.slice(0, 120))"""


class Journey:
    """One person in one browser tab. `check(name)` is called on every page the journey reaches:
    it runs axe-core, checks every field has a label and saves a screenshot. A page loaded and
    left without a check fails the test, so no visited page escapes the accessibility checks."""

    def __init__(self, page, base: str, folder: Path, *, javascript: bool = True) -> None:
        self.page = page
        self.javascript = javascript
        self.base = base
        self.folder = folder
        self.shots: list[Path] = []
        self.unchecked: list[str] = []
        self.skipped: list[str] = []
        page.on("load", self._loaded)

    def _loaded(self, page) -> None:
        if page.url == "about:blank":
            return
        if self.unchecked:
            self.skipped.extend(self.unchecked)
        self.unchecked = [page.url]

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.unchecked = []
        if self.javascript:
            page.add_script_tag(path=str(AXE_JS))
        else:
            # A page without JavaScript takes no <script> tag, but Playwright's evaluate still runs;
            # its timers never fire, so axe-core is given ones that run as soon as it yields.
            page.evaluate(TIMERS_WITHOUT_JAVASCRIPT)
            page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
        violations = page.evaluate(AXE_RUN)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        if os.environ.get("E2E_AXE_LOG"):  # E2E_AXE_LOG=file lists every finding, minor ones too
            with open(os.environ["E2E_AXE_LOG"], "a", encoding="utf-8") as log:
                for v in violations:
                    log.write(f"{name}\t{v['impact']}\t{v['id']}\t{v['help']}\t{v['nodes'][:3]}\n")
        shot = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        assert not serious, f"axe found serious or critical problems on {page.url} ({name}):\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in serious)
        unlabelled = page.evaluate(UNLABELLED)
        assert not unlabelled, f"fields without a label on {page.url}: {unlabelled}"

    def finish(self) -> None:
        missed = self.skipped + self.unchecked
        assert not missed, f"pages visited without an accessibility check: {missed}"


@pytest.fixture
def journey(browser, live_server, request):
    """Open a browser tab for the test: journey(), or journey(phone=True) for a 390x844 phone;
    width= narrows the window (journey(phone=True, width=320)) and javascript=False turns scripts off.
    Each call is a separate person (its own cookies); every page each tab loaded must have been
    checked by the end of the test."""
    opened: list[tuple[object, Journey]] = []
    test_name = re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower()).strip("-")

    def open_tab(phone: bool = False, label: str = "", *, javascript: bool = True,
                 width: int | None = None) -> Journey:
        viewport = dict(PHONE if phone else DESKTOP)
        if width is not None:
            viewport["width"] = width
        # bypass_csp: the app's `script-src 'self'` would otherwise refuse the injected axe-core.
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                      java_script_enabled=javascript, bypass_csp=True, accept_downloads=True,
                                      locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(15_000)
        folder = ARTIFACTS / (test_name + (f"-{label}" if label else ""))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        tab = Journey(context.new_page(), live_server, folder, javascript=javascript)
        opened.append((context, tab))
        return tab

    yield open_tab
    for context, _tab in opened:
        context.close()
    failed = getattr(request.node, "rep_call", None)
    if failed is None or failed.passed:
        for _context, tab in opened:
            tab.finish()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
