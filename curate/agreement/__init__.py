"""Agreement and evaluation metrics: span matching, stance scores."""
