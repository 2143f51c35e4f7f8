"""Annotator quality: competence models, control documents, time per annotation, and the
per-annotator figures the agreement report and the dataset card show."""
