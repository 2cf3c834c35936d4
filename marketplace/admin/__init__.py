"""The BUMDes staff side in the Wagtail admin: viewsets (``viewsets``), the forms they use
(``forms``), the order and request pages with their buttons, the order slip (``views``), and the
daily summary and sales reports (``reports``). Registered in ``marketplace/wagtail_hooks.py``;
who may do what is in ``marketplace/permissions.py``."""
