"""Opening an org from a team's PostgreSQL server: pick the server, list its orgs, open one.

The user types a server URL (or picks one used before), clicks "List orgs" and opens an org by
double-clicking it. demoorg never stores a password: libpq finds it (``PGPASSWORD``,
``~/.pgpass``), or a password typed into the URL is used for this session only and stripped
before the URL joins the recent servers.

The orgs are listed in a worker thread, so an unreachable server never freezes the window; the
worker only calls :func:`demoorg.org.server.list_orgs` and hands back plain data.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QObject, QSettings, Qt, QThread, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from demoorg.errors import DemoOrgError
from demoorg.org.server import OrgSummary, list_orgs
from demoorg.seeders.writers import PgTarget, parse_target
from demoorg.ui import theme
from demoorg.ui.widgets import Card, label

#: Settings key of the servers used before (URLs without passwords, newest first).
RECENT_SERVERS = "recent_servers"
RECENT_SERVERS_LIMIT = 8
#: Seconds libpq waits for a server that does not answer, unless the URL says otherwise.
CONNECT_TIMEOUT = "10"
COLUMNS = ("Org", "Prospect", "Industry", "Release", "Records", "Owner")


def server_target(text: str) -> PgTarget:
    """The server a user typed (an ``#orgname`` at the end is kept as the org to select).

    Raises:
        DemoOrgError: the text is not a PostgreSQL URL (one line, saying what is expected).
    """
    text = text.strip()
    if not text:
        raise DemoOrgError("type a server URL (expected postgresql://user@host/database)")
    try:
        target = parse_target(text)
    except DemoOrgError as exc:
        raise DemoOrgError(str(exc)) from None
    if not isinstance(target, PgTarget):
        raise DemoOrgError(
            f"{text!r} is not a server URL (expected postgresql://user@host/database; "
            "open an org file with Open an org file…)"
        )
    return target


def recent_servers(settings: QSettings) -> list[str]:
    """The servers used before, newest first (never with a password)."""
    try:
        items = json.loads(str(settings.value(RECENT_SERVERS, "[]")))
    except json.JSONDecodeError:
        return []
    return [s for s in items if isinstance(s, str)] if isinstance(items, list) else []


def remember_server(settings: QSettings, target: PgTarget) -> None:
    """Puts the target's server first in the recent servers, without its password."""
    server = target.server
    items = [server, *(s for s in recent_servers(settings) if s != server)]
    settings.setValue(RECENT_SERVERS, json.dumps(items[:RECENT_SERVERS_LIMIT]))


def org_location(target: PgTarget, name: str) -> str:
    """Where an org of the target's server lives, password included if one was typed.

    The password stays in memory for this session (opening the org, presenting it); the app
    remembers the org by ``str(PgTarget)``, which leaves it out.
    """
    return f"{target.url.render_as_string(hide_password=False)}#{name}"


class OrgListWorker(QObject):
    """Lists a server's orgs in a worker thread; creates no Qt objects there.

    Signals:
        listed(list[OrgSummary]): the orgs, in name order.
        failed(str): why the server could not be listed, on one line.
    """

    listed = Signal(object)
    failed = Signal(str)

    def __init__(self, target: PgTarget) -> None:
        super().__init__()
        self.target = target

    def run(self) -> None:
        url = self.target.url
        if "connect_timeout" not in url.query:
            url = url.update_query_dict({"connect_timeout": CONNECT_TIMEOUT})
        try:
            orgs = list_orgs(PgTarget(url, ""))
        except DemoOrgError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            # The dialog waits for an answer: anything the driver raises becomes one line too.
            self.failed.emit(" ".join(f"cannot list the orgs: {exc}".split()))
        else:
            self.listed.emit(orgs)


class ServerDialog(QDialog):
    """Open from server: a server URL, its orgs in a table, and Open.

    Signals:
        org_chosen(str): the location of the org to open (may carry a typed password).
    """

    org_chosen = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Open from server")
        self.setMinimumSize(760, 460)
        self.target: PgTarget | None = None
        self.orgs: list[OrgSummary] = []
        self._thread: QThread | None = None
        self._worker: OrgListWorker | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.setSpacing(12)
        lay.addWidget(label("Open an org from a server", "pageTitle"))
        lay.addWidget(
            label(
                "Orgs your team keeps on a shared PostgreSQL server. Leave the password out of "
                "the URL: demoorg never stores one, and ~/.pgpass or PGPASSWORD supplies it.",
                "caption",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        row.setSpacing(8)
        self.server = QComboBox()
        self.server.setEditable(True)
        self.server.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.server.addItems(recent_servers(settings))
        self.server.setCurrentText(self.server.itemText(0) if self.server.count() else "")
        line = self.server.lineEdit()
        assert line is not None
        line.setPlaceholderText("postgresql://me@demo-db.example.com/demos")
        line.returnPressed.connect(self.list_orgs)
        row.addWidget(self.server, 1)
        self.list_button = QPushButton("List orgs")
        self.list_button.setObjectName("primary")
        self.list_button.clicked.connect(self.list_orgs)
        row.addWidget(self.list_button)
        lay.addLayout(row)
        self.error = label("", "errorBox")
        self.error.hide()
        lay.addWidget(self.error)

        card = Card(margins=0)  # framed like a list view's table
        card.body.setContentsMargins(1, 1, 1, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        records_header = self.table.horizontalHeaderItem(COLUMNS.index("Records"))
        records_header.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setStyleSheet(
            "QTableView { outline: 0; }"
        )  # rows are picked whole: no cell frame
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumHeight(36)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((170, 170, 120, 100, 90)):
            self.table.setColumnWidth(column, width)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda _row, _column: self.open_selected())
        card.body.addWidget(self.table)
        lay.addWidget(card, 1)

        bottom = QHBoxLayout()
        self.status = label("Type a server and list its orgs.", "caption")
        bottom.addWidget(self.status, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("primary")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.open_button)
        lay.addLayout(bottom)
        for button in (self.list_button, self.cancel_button, self.open_button):
            button.setAutoDefault(False)  # Enter lists (server box) or opens (table): see below

    # --- listing -----------------------------------------------------------------------------

    def is_listing(self) -> bool:
        return self._thread is not None

    def list_orgs(self) -> None:
        """Lists the orgs of the server typed, off the GUI thread."""
        if self._thread is not None:
            return
        try:
            target = server_target(self.server.currentText())
        except DemoOrgError as exc:
            self.show_error(str(exc))
            return
        self.error.hide()
        self.target = target
        self._set_orgs([])
        self.status.setText(f"Listing the orgs on {target.server}…")
        self.list_button.setEnabled(False)
        thread = QThread(self)
        worker = OrgListWorker(target)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.listed.connect(self._on_listed)
        worker.failed.connect(self._on_failed)
        self._thread, self._worker = thread, worker
        thread.start()

    def wait(self, ms: int = 30_000) -> None:
        """Waits for a listing in progress (tests, and closing the app).

        Closing the dialog does not stop a listing: the dialog is kept for the window's lifetime,
        and the result fills it in the background for next time.
        """
        if self._thread is not None:
            self._thread.wait(ms)

    def _stop_thread(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        self.list_button.setEnabled(True)
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if worker is not None:
            worker.deleteLater()

    def _on_listed(self, orgs: list[OrgSummary]) -> None:
        self._stop_thread()
        assert self.target is not None
        remember_server(self.settings, self.target)
        self._set_orgs(orgs)
        n = len(orgs)
        where = self.target.server
        self.status.setText(
            f"{n} org{'s' if n != 1 else ''} on {where}. Double-click one to open it."
            if n
            else f"No orgs on {where} yet (build one with demoorg seed --db URL --org NAME)."
        )
        wanted = self.target.name
        readable = [i for i, o in enumerate(orgs) if not o.error]
        pick = next((i for i, o in enumerate(orgs) if o.name == wanted and not o.error), None)
        if pick is None and readable:
            pick = readable[0]
        if pick is not None:
            self.table.selectRow(pick)
            self.table.setFocus()

    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self.status.setText("")
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """One line in the dialog (the full text stays in the tooltip if it is cut)."""
        line = " ".join(message.split())
        self.error.setToolTip(line)
        self.error.setText(
            self.error.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, 680)
        )
        self.error.show()

    def _set_orgs(self, orgs: list[OrgSummary]) -> None:
        self.orgs = list(orgs)
        self.table.clearSelection()
        self.table.setRowCount(len(orgs))
        for r, org in enumerate(orgs):
            records = f"{org.records:,}" if org.records is not None else ""
            prospect = org.prospect if not org.error else f"Cannot be read: {org.error}"
            cells = (org.name, prospect, org.industry, org.release, records, org.owner)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == COLUMNS.index("Records"):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if org.error:
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setForeground(QColor(theme.TEXT_FAINT))
                    item.setToolTip(org.error)
                elif c == 0:
                    font = item.font()
                    font.setWeight(font.Weight.DemiBold)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self._update_buttons()

    # --- opening -----------------------------------------------------------------------------

    def selected_org(self) -> OrgSummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        org = self.orgs[rows[0].row()]
        return None if org.error else org

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_org() is not None)

    def open_selected(self) -> None:
        """Asks the app to open the selected org; it calls :meth:`accept` once it is open."""
        org = self.selected_org()
        if org is None or self.target is None:
            return
        self.org_chosen.emit(org_location(self.target, org.name))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter lists in the server box and opens in the table, never both (no default button).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.open_selected()
            return
        super().keyPressEvent(event)
