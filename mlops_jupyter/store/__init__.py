"""Storage: the only layer that touches SQL or artifact bytes."""

from .database import Store, close_stores, open_store
from .location import StoreLocation, resolve_location

__all__ = ["Store", "StoreLocation", "close_stores", "open_store", "resolve_location"]
