"""Views that scenes draw: images, plots, formulas."""
