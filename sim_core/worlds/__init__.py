"""Procedural worlds: data that `sim_core` renders itself, so nothing is downloaded."""
