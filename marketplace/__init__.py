"""The BUMDes marketplace (see models.py)."""
