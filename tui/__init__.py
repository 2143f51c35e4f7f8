"""Textual terminal UI: `curate annotate` (state.py, session.py, annotate.py) and `curate review`
(resolution.py, review.py), sharing render.py and screens.py."""
