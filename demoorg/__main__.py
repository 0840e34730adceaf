"""Allows ``python -m demoorg``."""

from demoorg.cli import main

raise SystemExit(main())
