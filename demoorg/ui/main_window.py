"""The main window: the org browser (apps, tabs, list views, records, dashboards) and the start page.

Opening or building an org is one change that every view hears about through
``org_did_change(OrgChanges)``; navigation goes through one :meth:`MainWindow.navigate` that keeps
back/forward history and remembers, per org, where the user was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import DBAPIError

from demoorg.errors import DemoOrgError
from demoorg.org.orgfile import Org, open_org
from demoorg.org.query import OrgReader
from demoorg.org.server import reason
from demoorg.seeders.writers import PgTarget, parse_target
from demoorg.ui import theme
from demoorg.ui.actions import ActionRegistry, shortcut_table
from demoorg.ui.builder import BuildController, BuilderWidget, BuildRequest, progress_text
from demoorg.ui.dashboard import DashboardWidget
from demoorg.ui.format import Formatter
from demoorg.ui.header import GlobalHeader, NavBar, tab_label
from demoorg.ui.list_view import ListViewWidget
from demoorg.ui.navigation import History, Location
from demoorg.ui.record_page import RecordPageWidget
from demoorg.ui.search_page import SearchResultsWidget
from demoorg.ui.server_dialog import ServerDialog
from demoorg.ui.start_page import RecentOrg, StartPage
from demoorg.ui.widgets import label

RECENT_LIMIT = 10


@dataclass(frozen=True, slots=True)
class OrgChanges:
    """What changed in the open org, so each view knows whether to refresh.

    Attributes:
        path: the org now open (None when none is).
        opened: another org was opened (every view starts over).
        built: the org was just built.
        data: records changed in the same org (views refresh their rows).
    """

    path: str | None
    opened: bool = False
    built: bool = False
    data: bool = False


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, from the one action table."""

    def __init__(self, settings: QSettings | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.addWidget(label("Keyboard shortcuts", "pageTitle"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(6)
        for r, (menu, title, keys) in enumerate(shortcut_table(settings)):
            grid.addWidget(label(menu, "caption"), r, 0)
            grid.addWidget(label(title, "fieldValue"), r, 1)
            grid.addWidget(label(keys, "fieldValue"), r, 2)
        lay.addLayout(grid)
        lay.addWidget(
            label("Change a shortcut in the settings file: [shortcuts] <action id>=Ctrl+K", "muted")
        )


def server_place(target: PgTarget) -> str:
    """A server org as people say it: ``northwind_medical on demo-db/demos``."""
    return f"{target.name} on {target.url.host or 'localhost'}/{target.url.database or ''}"


def problem_text(exc: BaseException, location: str | None) -> str:
    """One line for an error met while reading an org: what failed and what to do."""
    if isinstance(exc, DBAPIError):
        where = location or "the org"
        target = parse_target(where) if "://" in where else None
        if isinstance(target, PgTarget):
            where = server_place(target)
        return (
            f"{where} cannot be read: {reason(exc)}. Check the connection, then reopen the org "
            "from the start page."
        )
    if isinstance(exc, DemoOrgError):
        return str(exc)
    first = " ".join(str(exc).split())
    return f"Something went wrong: {type(exc).__name__}: {first}"[:300]


def dropped_packs(mime: Any) -> list[str]:
    """The local ``.demopack`` files among dropped URLs."""
    if not mime.hasUrls():
        return []
    return [
        u.toLocalFile()
        for u in mime.urls()
        if u.isLocalFile() and u.toLocalFile().lower().endswith(".demopack")
    ]


def remembered_location(path: str) -> str:
    """An org's location as the app remembers it: a file's absolute path, or a server org's URL
    and name without any password (``str(PgTarget)``)."""
    if "://" in path:
        try:
            target = parse_target(path)
        except DemoOrgError:
            return path
        return str(target) if isinstance(target, PgTarget) else str(target.resolve())
    return str(Path(path).resolve())


def _org_key(path: str) -> str:
    return hashlib.sha1(remembered_location(path).encode()).hexdigest()[:16]


class MainWindow(QMainWindow):
    """The desktop app's window.

    Signals:
        org_did_change(OrgChanges): an org was opened, built or changed.
        location_changed(Location): the user moved to another screen.
    """

    org_did_change = Signal(object)
    location_changed = Signal(object)

    def __init__(
        self,
        settings: QSettings,
        today: date | None = None,
        summaries: list[Any] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        # The wall clock is read at the edge, once, and handed to the builder.
        self.today = today or date.today()
        self._summaries = summaries
        self.org: Org | None = None
        self.org_path: str | None = None
        self.reader: OrgReader | None = None
        self.fmt = Formatter()
        self.history = History()
        self.app_key: str | None = None
        self.builder: BuilderWidget | None = None
        self.list_view: ListViewWidget | None = None
        self.record_page: RecordPageWidget | None = None
        self.dashboard: DashboardWidget | None = None
        self.search_page: SearchResultsWidget | None = None
        self.presenter: Any = None  # the presentation running (demoorg.ui.presenter.Presenter)
        self.setWindowTitle("demoorg")
        self.setMinimumSize(1024, 680)
        self.setAcceptDrops(True)  # demo packs dropped on the window are installed

        central = QWidget()
        central.setObjectName("page")
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.header = GlobalHeader()
        self.header.search_requested.connect(lambda t: self.navigate(Location.search(t)))
        self.header.back.clicked.connect(self.back)
        self.header.forward.clicked.connect(self.forward)
        self.nav = NavBar()
        self.nav.setMinimumWidth(300)  # many tabs clip at the right instead of widening the window
        self.nav.tab_selected.connect(self._on_tab_selected)
        self.nav.app_selected.connect(self.set_app)
        lay.addWidget(self.header)
        lay.addWidget(self.nav)
        # A problem met while reading the org (a team server gone away): one line over the page.
        self.problem = label("", "errorBox", wrap=True)
        self.problem.setContentsMargins(12, 6, 12, 6)
        self.problem.hide()
        lay.addWidget(self.problem)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.start_page = StartPage()
        self.start_page.build_default_requested.connect(self.build_default_org)
        self.start_page.cancel_requested.connect(self._cancel_default_build)
        self.start_page.customize_requested.connect(lambda: self.show_builder())
        self.start_page.industry_requested.connect(self.show_builder)
        self.start_page.set_calendar(self.today)
        self._industries_listed = False
        self.start_page.open_requested.connect(self.open_path)
        self.start_page.browse_requested.connect(self.browse_org)
        self.start_page.server_requested.connect(self.show_server_dialog)
        self.server_dialog: ServerDialog | None = None
        self.stack.addWidget(self.start_page)
        self.default_build = BuildController(self)
        self.default_build.build_progressed.connect(self._on_default_progressed)
        self.default_build.build_finished.connect(lambda r: self._on_built(str(r.path)))
        self.default_build.build_failed.connect(self._on_default_failed)
        self.default_build.build_cancelled.connect(self._on_default_cancelled)

        self.actions = ActionRegistry(self, settings)
        self._make_actions()
        self.org_did_change.connect(self._on_org_did_change)
        self._restore_window()
        self.show_start()

    # --- actions and menus ---------------------------------------------------------------------------

    def _make_actions(self) -> None:
        a = self.actions
        a.add("demoorg.org.new", self.show_builder)
        a.add("demoorg.org.open", self.browse_org)
        a.add("demoorg.org.open_server", self.show_server_dialog)
        a.add("demoorg.org.home", self.show_start)
        a.add("demoorg.app.quit", self.close)
        a.add("demoorg.nav.back", self.back)
        a.add("demoorg.nav.forward", self.forward)
        a.add("demoorg.nav.next_tab", lambda: self._step_tab(1))
        a.add("demoorg.nav.previous_tab", lambda: self._step_tab(-1))
        a.add("demoorg.nav.app_launcher", self._show_launcher)
        a.add("demoorg.search.focus", self.focus_search)
        a.add("demoorg.list.search", self._focus_list_search)
        a.add("demoorg.view.refresh", self.refresh)
        a.add("demoorg.view.full_screen", self._toggle_full_screen)
        a.add("demoorg.help.shortcuts", self.show_shortcuts)
        a.add("demoorg.present.story", self._show_present_menu)
        menu = QMenu(self)
        for action_id in (
            "demoorg.org.new",
            "demoorg.org.open",
            "demoorg.org.open_server",
            "demoorg.org.home",
        ):
            menu.addAction(a[action_id])
        menu.addSeparator()
        self.present_menu = QMenu("Present", self)
        self.present_menu.aboutToShow.connect(self._fill_present_menu)
        menu.addMenu(self.present_menu)
        menu.addSeparator()
        for action_id in ("demoorg.view.refresh", "demoorg.view.full_screen"):
            menu.addAction(a[action_id])
        menu.addSeparator()
        menu.addAction(a["demoorg.help.shortcuts"])
        menu.addAction(a["demoorg.app.quit"])
        self.header.menu_button.setMenu(menu)
        self.header.back.setToolTip(a["demoorg.nav.back"].toolTip())
        self.header.forward.setToolTip(a["demoorg.nav.forward"].toolTip())
        self.header.search.setToolTip(a["demoorg.search.focus"].toolTip())

    # --- presenting ------------------------------------------------------------------------------------

    def _show_present_menu(self) -> None:
        if self.org is not None:
            self.present_menu.popup(
                self.header.menu_button.mapToGlobal(self.header.menu_button.rect().bottomLeft())
            )

    def _fill_present_menu(self) -> None:
        """The stories that fit the open org, with their feature badges and status."""
        from demoorg.present import stories_for_org

        self.present_menu.clear()
        if self.org is None:
            self.present_menu.addAction("Open an org to present a story").setEnabled(False)
            return
        fits = stories_for_org(self.org.meta)
        if not fits:
            self.present_menu.addAction("No stories for this industry").setEnabled(False)
        for fit in fits:
            title = fit.story.title if fit.story else fit.path.stem
            persona = f"{fit.story.persona} · " if fit.story else ""
            badges = "  ".join(f"[{b.label}: {b.stage}]" for b in fit.badges)
            act = self.present_menu.addAction(f"{title}  —  {persona}{fit.status}")
            act.setToolTip(badges or fit.status)
            act.setStatusTip(badges)
            act.setEnabled(fit.playable)
            act.triggered.connect(lambda _c=False, path=fit.path: self.present_story(path))

    def present_story(self, story_path: Any) -> bool:
        """Presents a story on the open org: the console here, the audience window beside it."""
        from demoorg.ui.presenter import run_presenter

        if self.org_path is None:
            return False
        if self.presenter is not None:
            self.presenter.end()
        try:
            self.presenter = run_presenter(self.org_path, story_path, settings=self.settings)
        except DemoOrgError as exc:
            box = QDialog(self)
            box.setWindowTitle("This story cannot be presented")
            lay = QVBoxLayout(box)
            lay.addWidget(label(str(exc), "errorBox", wrap=True))
            box.open()
            return False
        self.presenter.ended.connect(self._on_presentation_ended)
        return True

    def _on_presentation_ended(self) -> None:
        self.presenter = None

    def show_shortcuts(self) -> None:
        dlg = ShortcutsDialog(self.settings, self)
        dlg.setModal(True)
        dlg.open()

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def focus_search(self) -> None:
        self.header.search.setFocus()
        self.header.search.selectAll()

    def _focus_list_search(self) -> None:
        if self.list_view is not None and self.stack.currentWidget() is self.list_view:
            self.list_view.focus_search()
        else:
            self.focus_search()

    def _show_launcher(self) -> None:
        if self.nav.isVisible():
            self.nav.launcher.showMenu()

    # --- settings --------------------------------------------------------------------------------------

    def _restore_window(self) -> None:
        geo = self.settings.value("window/geometry")
        if isinstance(geo, QByteArray | bytes) and geo:
            self.restoreGeometry(QByteArray(geo))
        else:
            self.resize(1440, 900)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray | bytes) and state:
            self.restoreState(QByteArray(state))

    def recent(self) -> list[RecentOrg]:
        try:
            items = json.loads(str(self.settings.value("recent", "[]")))
        except json.JSONDecodeError:
            return []
        out = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                out.append(
                    RecentOrg(
                        item["path"],
                        str(item.get("prospect", "")),
                        str(item.get("industry", "")),
                        str(item.get("detail", "")),
                    )
                )
        return out

    def _remember(self, path: str, org: Org) -> None:
        """Puts the org first in the recent orgs (a server org by its location, no password)."""
        b = org.build
        target = parse_target(org.location) if "://" in org.location else None
        if isinstance(target, PgTarget):
            path = str(target)
            where = server_place(target)
        else:
            where = Path(path).name
        detail = (
            f"{b.get('release', '')} · {b.get('size_name', '')} · {b.get('locale', '')} · {where}"
        )
        entry = {
            "path": path,
            "prospect": org.meta.get("prospect", {}).get("name", ""),
            "industry": b.get("industry", ""),
            "detail": detail,
        }
        items = [
            {"path": r.path, "prospect": r.prospect, "industry": r.industry, "detail": r.detail}
            for r in self.recent()
            if remembered_location(r.path) != remembered_location(path)
        ]
        items.insert(0, entry)
        self.settings.setValue("recent", json.dumps(items[:RECENT_LIMIT]))
        self.settings.setValue("last_org", path)

    def _save_location(self, loc: Location) -> None:
        if self.org_path is None or loc.kind == "search":
            return
        key = _org_key(self.org_path)
        self.settings.setValue(f"orgs/{key}/location", loc.href())
        if self.app_key:
            self.settings.setValue(f"orgs/{key}/app", self.app_key)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        if self.server_dialog is not None:
            self.server_dialog.wait()  # its listing thread must not outlive the window
        for controller in (self.default_build, self.builder.controller if self.builder else None):
            if controller is not None and controller.is_running():
                controller.cancel()
                controller.wait()
        if self.org is not None:
            self.org.close()  # a server org's connections end with the window
        super().closeEvent(event)

    # --- orgs --------------------------------------------------------------------------------------------

    def open_last(self) -> bool:
        """Opens the org file used last (if it is still there) where the user left it.

        Server orgs are reopened from the start page's recent orgs instead: the app never
        connects to a server, which may be unreachable from here, before the window shows.
        """
        last = self.settings.value("last_org")
        candidates = [str(last)] if last else []
        candidates += [r.path for r in self.recent()]
        for path in candidates:
            if "://" not in path and Path(path).is_file():
                return self.open_path(path)
        return False

    def open_path(self, path: str, location: Location | None = None) -> bool:
        """Opens an org (a file, or a server org's location); on failure the start page shows
        why. Returns True when open."""
        error = self._open(path, location)
        if error:
            self.show_start()
            self.start_page.show_error(error)
            return False
        return True

    def _open(self, path: str, location: Location | None = None) -> str | None:
        """Opens an org and shows it; returns why it could not be opened (None when open)."""
        org = None
        try:
            org = open_org(path)
            reader = OrgReader(org)
        except DemoOrgError as exc:
            return str(exc)
        except DBAPIError as exc:  # the server went away between opening and reading
            if org is not None:
                org.close()
            return f"{org.location if org else path} cannot be read: {reason(exc)}"
        if self.org is not None:
            self.org.close()
        # ``path`` may hold a password typed for this session; only memory keeps it.
        self.org, self.reader, self.org_path = org, reader, path
        self._remember(path, org)
        self.org_did_change.emit(OrgChanges(path, opened=True))
        self.navigate(location or self._start_location())
        return None

    def show_server_dialog(self) -> ServerDialog:
        """Open from server: lists a server's orgs and opens the one picked."""
        if self.server_dialog is None:
            self.server_dialog = ServerDialog(self.settings, self)
            self.server_dialog.org_chosen.connect(self._on_server_org_chosen)
        self.server_dialog.open()
        return self.server_dialog

    def _on_server_org_chosen(self, location: str) -> None:
        dialog = self.server_dialog
        assert dialog is not None
        error = self._open(location)
        if error:
            dialog.show_error(error)  # the dialog stays open to pick another
        else:
            dialog.accept()

    def _start_location(self) -> Location:
        assert self.org_path is not None
        key = _org_key(self.org_path)
        href = self.settings.value(f"orgs/{key}/location")
        loc = Location.parse(str(href)) if href else None
        if loc is not None and self._valid(loc):
            return loc
        app = self._app()
        if app and app["tabs"]:
            return self._tab_location(app["tabs"][0])
        assert self.reader is not None
        first = next(iter(self.reader.objects))
        return Location.list(first)

    def _valid(self, loc: Location) -> bool:
        r = self.reader
        if r is None:
            return False
        if loc.kind in ("list", "record"):
            return loc.object is not None and r.has_object(loc.object)
        if loc.kind == "dashboard":
            return any(d["key"] == loc.key for d in r.dashboards())
        return loc.kind == "search"

    def _on_org_did_change(self, changes: OrgChanges) -> None:
        if not changes.opened or self.org is None or self.reader is None:
            if changes.data:
                self.refresh()
            return
        org, reader = self.org, self.reader
        prospect = org.meta.get("prospect", {})
        color = prospect.get("color") or theme.ACCENT
        theme.set_brand(color)
        self.fmt = Formatter(reader.locale)
        for old in (self.list_view, self.record_page, self.dashboard, self.search_page):
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
        self.list_view = ListViewWidget(reader, self.fmt)
        self.record_page = RecordPageWidget(reader, self.fmt)
        self.record_page.brand = color
        self.dashboard = DashboardWidget(reader, self.fmt)
        self.dashboard.brand = color
        self.search_page = SearchResultsWidget(reader)
        for w in (self.list_view, self.record_page, self.dashboard, self.search_page):
            w.link_activated.connect(self.open_href)
            self.stack.addWidget(w)
        self.history.clear()
        self.header.set_brand(prospect.get("name", "Acme"), color, prospect.get("logo"))
        b = org.build
        self.header.chip.setText(f"{b.get('release', '')} · API {b.get('api_version', '')}")
        self.header.chip.setToolTip(
            f"{b.get('template_label', '')} · as of {b.get('as_of', '')} · "
            f"{b.get('locale', '')} · seed {b.get('seed', '')}"
        )
        self.setWindowTitle(f"{prospect.get('name', '')} · {b.get('template_label', '')} — demoorg")
        key = self.settings.value(f"orgs/{_org_key(self.org_path or '')}/app")
        apps = self._apps()
        self.app_key = str(key) if key and any(a["key"] == key for a in apps) else None
        if self.app_key is None and apps:
            self.app_key = apps[0]["key"]
        self._update_nav()
        names = ", ".join(reader.objects[t].plural for t in self._search_objects()[:2])
        self.header.search.setPlaceholderText(f"Search {names} and more…" if names else "Search…")

    def _apps(self) -> list[dict[str, Any]]:
        if self.org is None:
            return []
        apps = list(self.org.template.get("apps") or [])
        if not apps and self.reader is not None:
            tabs = [o for o in self.reader.objects if self.reader.has_object(o)][:8]
            apps = [{"key": "all", "label": "All Objects", "tabs": tabs}]
        return apps

    def _app(self) -> dict[str, Any] | None:
        apps = self._apps()
        return next((a for a in apps if a["key"] == self.app_key), apps[0] if apps else None)

    def set_app(self, key: str) -> None:
        """Switches app (the launcher): its tabs, and its first tab."""
        if not any(a["key"] == key for a in self._apps()):
            return
        self.app_key = key
        self._update_nav()
        app = self._app()
        if app and app["tabs"]:
            self.navigate(self._tab_location(app["tabs"][0]))

    def _update_nav(self) -> None:
        app = self._app()
        reader = self.reader
        if app is None or reader is None:
            return
        dashes = {d["key"]: d["label"] for d in reader.dashboards()}
        tabs = [
            (t, tab_label(t, reader.objects, dashes))
            for t in app["tabs"]
            if (t.startswith("dashboard:") and t.split(":", 1)[1] in dashes) or reader.has_object(t)
        ]
        self.nav.set_tabs(app["label"], tabs)
        self.nav.set_apps([(a["key"], a["label"]) for a in self._apps()], app["key"])
        loc = self.history.current
        self.nav.set_current(loc.tab() if loc else None)

    def _search_objects(self) -> list[str]:
        seen: list[str] = []
        for app in self._apps():
            for t in app["tabs"]:
                if not t.startswith("dashboard:") and t not in seen:
                    seen.append(t)
        return seen

    def _tab_location(self, tab: str) -> Location:
        if tab.startswith("dashboard:"):
            return Location.dashboard(tab.split(":", 1)[1])
        return Location.list(tab)

    def _on_tab_selected(self, tab: str) -> None:
        self.navigate(self._tab_location(tab))

    def _step_tab(self, step: int) -> None:
        tabs = list(self.nav.tabs)
        if not tabs or self.reader is None:
            return
        cur = self.history.current.tab() if self.history.current else None
        i = tabs.index(cur) if cur in tabs else -1
        self.navigate(self._tab_location(tabs[(i + step) % len(tabs)]))

    # --- building -----------------------------------------------------------------------------------------

    def show_builder(self, industry: str | None = None) -> None:
        """Shows the builder (with an industry picked, when one is given)."""
        if self.builder is None:
            self.builder = BuilderWidget(today=self.today, summaries=self.summaries())
            self.builder.org_built.connect(self._on_built)
            self.builder.closed.connect(self._leave_builder)
            self.stack.addWidget(self.builder)
        if industry:
            self.builder.select_industry(industry)
        self.builder.close_button.setVisible(self.org is not None)
        self._set_chrome(org=self.org is not None, nav=False)
        self.stack.setCurrentWidget(self.builder)

    def _leave_builder(self) -> None:
        if self.history.current is not None and self.org is not None:
            self._show(self.history.current)
        else:
            self.show_start()

    def default_request(self) -> BuildRequest:
        """The one-click default: the medical org at standard size, for Acme, as of today."""
        from demoorg.cli import DEFAULT_INDUSTRY, DEFAULT_SIZE, default_org_path
        from demoorg.content.releases import release_on
        from demoorg.content.template import load_template
        from demoorg.seeders.plan import BuildParams, Prospect, parse_size

        tpl = load_template(DEFAULT_INDUSTRY)
        size, size_name = parse_size(DEFAULT_SIZE)
        params = BuildParams(
            industry=tpl.industry,
            seed=1,
            size=size,
            size_name=size_name,
            locale="en_US",
            as_of=self.today,
            release=release_on(self.today),
            prospect=Prospect("Acme"),
        )
        return BuildRequest(tpl, params, default_org_path(), force=True)

    def build_default_org(self) -> None:
        """Builds the default org (or opens it if it is already there)."""
        from demoorg.cli import default_org_path
        from demoorg.seeders.build import is_org_file

        path = default_org_path()
        if is_org_file(path):
            self.open_path(str(path))
            return
        try:
            req = self.default_request()
        except DemoOrgError as exc:
            self.start_page.show_error(str(exc))
            return
        req.out.parent.mkdir(parents=True, exist_ok=True)
        self.start_page.set_building(True)
        self.default_build.start(req)

    def _cancel_default_build(self) -> None:
        self.start_page.status.setText("Cancelling after the current batch…")
        self.start_page.cancel_button.setEnabled(False)
        self.default_build.cancel()

    def _on_default_progressed(self, p: Any, elapsed: float) -> None:
        percent, text = progress_text(p, elapsed)
        self.start_page.progress.setValue(percent)
        self.start_page.status.setText(text)

    def _on_default_failed(self, message: str) -> None:
        self.start_page.set_building(False)
        self.start_page.status.setText("")
        self.start_page.show_error(message)

    def _on_default_cancelled(self) -> None:
        self.start_page.set_building(False)
        self.start_page.status.setText("Cancelled. Nothing was written.")

    def _on_built(self, path: str) -> None:
        self.start_page.set_building(False)
        self.start_page.status.setText("")
        if self.open_path(path):
            self.org_did_change.emit(OrgChanges(path, built=True))

    # --- demo packs --------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_packs(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        packs = dropped_packs(event.mimeData())
        if packs:
            event.acceptProposedAction()
            for pack in packs:
                self.install_pack(pack)

    def confirm_replace(self, template: str, installed: str) -> bool:
        """Asks before a pack replaces an installed template (tests replace this method)."""
        answer = QMessageBox.question(
            self,
            "Replace the installed template?",
            f"A template named “{template}” is already installed, and the pack's differs.\n\n"
            f"Replace it? The installed one is kept as a backup ({installed}).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def install_pack(self, path: str) -> bool:
        """Checks and installs a demo pack, then shows its industry on the start page.

        A pack whose template is installed already replaces it only after the user agrees (the
        old one is kept as a backup); a pack that is unsafe or invalid is refused with its one-line
        reason on the start page, and nothing is installed.
        """
        from demoorg.content.packs import PackWouldReplace, install_pack

        try:
            try:
                result = install_pack(path)
            except PackWouldReplace as exc:
                if not self.confirm_replace(exc.template, str(exc.installed)):
                    self.show_start()
                    self.start_page.status.setText(
                        f"{Path(path).name} was not installed: “{exc.template}” stays as it was."
                    )
                    return False
                result = install_pack(path, replace=True)
        except DemoOrgError as exc:
            self.show_start()
            self.start_page.show_error(str(exc))
            return False
        self._summaries = None  # the new industry card appears on the start page
        self._industries_listed = False
        self.show_start()
        text = f"Installed {result.label} from {Path(path).name}: pick it under Industries."
        if result.backups:
            text += f" The previous version is kept at {result.backups[0]}."
        self.start_page.error.hide()
        self.start_page.status.setText(text)
        return True

    def browse_org(self) -> None:
        from demoorg.content.paths import user_home

        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a demo org",
            str(user_home() / "orgs"),
            "Demo orgs (*.demoorg);;All files (*)",
        )
        if path:
            self.open_path(path)

    # --- navigation ------------------------------------------------------------------------------------

    def summaries(self) -> list[Any]:
        """The industry templates, loaded once (on first need: not at start-up)."""
        if self._summaries is None:
            from demoorg.ui.builder import load_summaries

            self._summaries = load_summaries()
        return self._summaries

    def show_start(self) -> None:
        self.start_page.set_recent(self.recent())
        if not self._industries_listed and self.isVisible():
            self._list_industries()
        self._set_chrome(org=self.org is not None, nav=False)
        self.stack.setCurrentWidget(self.start_page)

    def _set_chrome(self, org: bool, nav: bool) -> None:
        self.nav.setVisible(nav)
        self.header.search.setVisible(org)
        self.header.back.setVisible(org)
        self.header.forward.setVisible(org)
        self.header.chip.setVisible(org)
        if not org:
            self.header.set_brand("demoorg", theme.ACCENT)

    def _list_industries(self) -> None:
        self._industries_listed = True
        self.start_page.set_industries(
            [
                (
                    s.industry,
                    s.label,
                    s.error
                    or f"{s.objects} objects · {s.dashboards} dashboards · {s.features} features",
                    s.brand_color,
                )
                for s in self.summaries()
            ]
        )

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._industries_listed and self.stack.currentWidget() is self.start_page:
            self._list_industries()

    def open_href(self, href: str) -> None:
        loc = Location.parse(href)
        if loc is not None:
            self.navigate(loc)

    def navigate(self, loc: Location) -> bool:
        """Shows a location and records it in the history; False if it cannot be shown."""
        if self.reader is None or not self._valid(loc):
            return False
        if loc.kind == "list" and loc.where and not loc.title:
            ref = self.reader.resolve([str(loc.where[0][2])]).get(str(loc.where[0][2]))
            if ref is not None:
                loc = Location("list", loc.object, where=loc.where, title=ref.name)
        if not self._show(loc):
            return False
        self.history.go(loc)
        self._after_move(loc)
        return True

    def back(self) -> None:
        loc = self.history.back()
        if loc is not None:
            self._show(loc)
            self._after_move(loc)

    def forward(self) -> None:
        loc = self.history.forward()
        if loc is not None:
            self._show(loc)
            self._after_move(loc)

    def report_problem(self, exc: BaseException) -> None:
        """Shows an error raised while a page was reading the org, as one line over the page.

        The app's exception hook calls it (see :func:`demoorg.ui.app.run_app`): a team server
        that goes away while the user browses says so instead of leaving the page half drawn.
        """
        self.problem.setText(problem_text(exc, self.org.location if self.org else None))
        self.problem.show()

    def _after_move(self, loc: Location) -> None:
        self.problem.hide()  # the page now shown was read without trouble
        self.header.back.setEnabled(self.history.can_go_back())
        self.header.forward.setEnabled(self.history.can_go_forward())
        self.actions["demoorg.nav.back"].setEnabled(self.history.can_go_back())
        self.actions["demoorg.nav.forward"].setEnabled(self.history.can_go_forward())
        self._save_location(loc)
        self.location_changed.emit(loc)

    def _show(self, loc: Location) -> bool:
        assert self.list_view and self.record_page and self.dashboard and self.search_page
        if loc.kind == "list":
            self.list_view.show_list(loc)
            page: QWidget = self.list_view
        elif loc.kind == "record":
            assert loc.object and loc.id
            if not self.record_page.show_record(loc.object, loc.id):
                return False
            page = self.record_page
        elif loc.kind == "dashboard":
            assert loc.key
            self.dashboard.show_dashboard(loc.key)
            page = self.dashboard
        elif loc.kind == "search":
            self.search_page.show_results(loc.key or "", self._search_objects() or None)
            page = self.search_page
        else:
            self.show_start()
            return True
        self._set_chrome(org=True, nav=True)
        tab = loc.tab()
        app = self._app()
        if tab and app and tab not in app["tabs"]:
            # A record of an object the current app has no tab for: switch to an app that has one.
            other = next((a for a in self._apps() if tab in a["tabs"]), None)
            if other is not None:
                self.app_key = other["key"]
                self._update_nav()
        self.nav.set_current(tab)
        self.stack.setCurrentWidget(page)
        return True

    def refresh(self) -> None:
        if self.history.current is not None and self.stack.currentWidget() is not self.start_page:
            self._show(self.history.current)

    def current_page(self) -> QWidget:
        return self.stack.currentWidget()
