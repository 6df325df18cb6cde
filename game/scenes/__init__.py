"""Scenes: small classes with enter / exit / pause / resume / handle_event / update / draw."""
