"""curate: turn raw news text into a gold dataset of named entities and stance."""

import os

__version__ = "0.1.0"

# Settings read once, when the libraries load: so set here, first. The environment wins.
# - Arrow's allocator (mimalloc) may take memory in 2 MB pages. A release moves hundreds of MB
#   through fresh memory, and on virtual machines faulting it in 4 KB at a time cost more than
#   the copying (bench/release.py).
# - numpy's OpenBLAS starts a thread per core at import that zeroes buffers of its own and
#   spins. curate does no large linear algebra; on 2 cores those threads took a quarter of the
#   CPU of the release's bulk read (pyarrow imports numpy in every helper process).
TUNING = {"MIMALLOC_ALLOW_LARGE_OS_PAGES": "1", "OPENBLAS_NUM_THREADS": "1"}
for _name, _value in TUNING.items():
    os.environ.setdefault(_name, _value)
