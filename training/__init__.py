"""Reproduces the shipped weights with PyTorch (the optional `train` extra). Never imported
by the game."""
