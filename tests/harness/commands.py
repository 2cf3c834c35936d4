"""Several ``manage.py`` commands in one Django process: a hub's agent (tests.harness.agent)
runs them with :func:`main`, as ``tests.harness.hubs.COMMANDS`` does, and

    python -m tests.harness.commands '[["village_set_code", "1501012001"], ["node_init"]]'

runs them from a shell, printing a JSON list of each command's standard output. Each start of
Django with every app costs a few seconds on the 2-core machine; a test village's set-up ran
four of them.
"""

import io
import json
import sys

import django


def main(commands: list[list[str]]) -> list[str]:
    from django.core.management import call_command

    outputs = []
    for name, *args in commands:
        out = io.StringIO()
        call_command(name, *args, stdout=out)
        outputs.append(out.getvalue())
    return outputs


if __name__ == "__main__":
    django.setup()
    print(json.dumps(main(json.loads(sys.argv[1]))))
