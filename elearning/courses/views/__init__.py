"""Villager pages of the courses app (``village.py``); the same pages serve the upstream."""
