"""The shipped models and fonts (data, read through sim_core.resources)."""
