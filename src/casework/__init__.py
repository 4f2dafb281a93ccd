"""Casework: event-sourced case management for council quality and contracts teams."""

__version__ = "0.1.0"
