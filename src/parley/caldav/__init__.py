"""Parley's calendar as a CalDAV server (RFC 4791, with RFC 6578's sync-collection)."""
