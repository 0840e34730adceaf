"""demoorg: build, show and present realistic CRM demo orgs, offline."""

__version__ = "0.1.0"

#: Version of the org file layout. An org written by a newer layout is refused with a clear message.
ORG_FORMAT_VERSION = 1
