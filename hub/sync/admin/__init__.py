"""The admin's sync page: its views (:mod:`.views`) and what they read (:mod:`.selectors`);
registered in :mod:`hub.sync.wagtail_hooks`."""
