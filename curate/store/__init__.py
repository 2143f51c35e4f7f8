"""The label store: the only code that touches the database."""

from curate.store.database import DB_URL_VARIABLE, Store, default_url, open_store

__all__ = ["DB_URL_VARIABLE", "Store", "default_url", "open_store"]
