"""Balai: the offline-first village digital-services hub (Django project)."""
