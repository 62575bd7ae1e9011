"""Parley: self-hosted web conferencing."""

__version__ = "0.1.0"
