"""Textual terminal UI for annotating and reviewing (grows with the terminal UI issue)."""
