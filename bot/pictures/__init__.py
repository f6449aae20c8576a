"""Pictures for replies (relations network, briefing timeline, digest world map), drawn with
matplotlib's Agg backend in the analysis workers: pure functions from domain values to PNGs."""
