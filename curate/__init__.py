"""curate: turn raw news text into a gold dataset of named entities and stance."""

import os

__version__ = "0.1.0"

# Arrow's allocator (mimalloc) may take memory in 2 MB pages. A release moves hundreds of MB
# through fresh memory, and on virtual machines faulting it in 4 KB at a time cost more than
# the copying (bench/release.py). Set before pyarrow loads, so here; the environment wins.
ALLOCATOR = {"MIMALLOC_LARGE_OS_PAGES": "1"}
for _name, _value in ALLOCATOR.items():
    os.environ.setdefault(_name, _value)
