"""Starting the desktop app: ``demoorg`` with no command calls :func:`run_app`.

The app opens the org used last, where the user left it; with no org yet it shows the start page,
which builds the default medical org in one click. Window state, recent orgs and shortcut
overrides persist in one settings file in the user's demoorg folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from demoorg import __version__
from demoorg.content.files import leftover_folders, remove_leftovers
from demoorg.ui import gcguard, theme
from demoorg.ui.main_window import MainWindow


def settings() -> QSettings:
    """The user's settings: ``settings.ini`` in the demoorg folder (``DEMOORG_HOME`` overrides)."""
    from demoorg.content.paths import user_home

    return QSettings(str(user_home() / "settings.ini"), QSettings.Format.IniFormat)


def make_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication, high-DPI aware and themed (an existing one is reused)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Fractional scale factors (125 %, 150 %) render crisp instead of rounding to 1× or 2×.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("demoorg")
    app.setApplicationDisplayName("demoorg")
    app.setOrganizationName("demoorg")
    app.setApplicationVersion(__version__)
    theme.apply(app)
    gcguard.install(app)
    return app


def create_main_window(
    config: QSettings | None = None, today: date | None = None, open_last: bool = True
) -> MainWindow:
    """The main window, with the last org open when there is one."""
    win = MainWindow(config or settings(), today=today)
    if open_last:
        win.open_last()
    return win


def run_app(argv: Sequence[str] | None = None) -> int:
    """Runs the desktop app until its window closes; returns the exit code."""
    app = make_app(argv)
    win = create_main_window()
    remove_leftovers(leftover_folders(r.path for r in win.recent()))
    sys.excepthook = problem_hook(win, sys.excepthook)
    win.show()
    return app.exec()


def problem_hook(win: MainWindow, previous: Any) -> Any:
    """An exception hook for errors raised in the app's event handlers.

    Qt calls Python handlers from its event loop, where an exception only ends up in the
    terminal: the traceback still goes there (for a bug report), and the window says what went
    wrong in one line.
    """

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        previous(kind, exc, tb)
        if isinstance(exc, Exception):
            win.report_problem(exc)

    return hook
