"""Ansible role templates rendered without a target: plain Jinja with Ansible's own filters and
the template module's trim_blocks, each role's defaults resolved like Ansible resolves them."""

import jinja2
import yaml
from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible.plugins.filter.mathstuff import FilterModule as MathFilters
from ansible.plugins.test.core import TestModule as CoreTests
from ansible.plugins.test.mathstuff import TestModule as MathTests

from .conftest import ANSIBLE_DIR

# configuration files, not HTML: Ansible's template module does not escape either
_env = jinja2.Environment(  # noqa: S701
    trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)
_env.filters.update(CoreFilters().filters())
_env.filters.update(MathFilters().filters())
_env.tests.update(CoreTests().tests())
_env.tests.update(MathTests().tests())


def role_vars(role: str, **overrides) -> dict:
    """The role's defaults with ``overrides`` on top, templated values resolved."""
    path = ANSIBLE_DIR / "roles" / role / "defaults" / "main.yml"
    variables = {**(yaml.safe_load(path.read_text()) or {}), **overrides}
    variables.setdefault("ansible_managed", "Ansible managed (rendered by a test)")
    # what Ansible itself defines that roles' defaults use
    variables.setdefault("playbook_dir", str(ANSIBLE_DIR))
    variables.setdefault("ansible_playbook_python", "/usr/bin/python3")
    for _ in range(5):
        for name, value in variables.items():
            if isinstance(value, str) and "{{" in value:
                variables[name] = _env.from_string(value).render(**variables)
    return variables


def render(role: str, template: str, variables: dict) -> str:
    """``roles/<role>/templates/<template>`` rendered with ``variables``."""
    source = (ANSIBLE_DIR / "roles" / role / "templates" / template).read_text()
    return _env.from_string(source).render(**variables)


def render_expression(expression: str, variables: dict) -> bool:
    """An ``assert``/``when`` condition of a task, evaluated with ``variables``."""
    return _env.compile_expression(expression)(**variables) is True
