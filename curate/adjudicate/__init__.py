"""Adjudication: automatic rules for what annotators agree on, a review queue for the rest."""
