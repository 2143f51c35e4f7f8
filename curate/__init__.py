"""curate: turn raw news text into a gold dataset of named entities and stance."""

__version__ = "0.1.0"
