"""The harness for real processes, shared by the multi-process tests (tests/e2e) and the benches
(bench/): one way to start hubs and everything around them.

- :mod:`.processes`: ports, HTTP probes, process trees, ``manage.py`` as a subprocess
- :mod:`.templates`: migrated data directories and PostgreSQL databases to copy hubs from
- :mod:`.hubs`: ``scripts/run`` hubs, the upstream and village nodes of the sync tests, agents
- :mod:`.agent`: the agent process (JSON commands on stdin, run in a node's environment)
- :mod:`.linksim`: ``scripts/linksim`` as a subprocess
- :mod:`.chromium`: Debian's Chromium under Playwright, with its flags in one place

It reports what goes wrong with ``pytest.fail`` (the benches catch ``pytest.fail.Exception``).
"""
