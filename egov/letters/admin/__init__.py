"""The officials' side of letters in the Wagtail admin."""
