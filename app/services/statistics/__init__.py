"""Figures: the public statistics, the tier dashboards, percentiles, the aggregate tables and their snapshot."""
