"""Paths of the repository's files that tests read."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = ROOT / "ansible/roles/hub_nginx/templates/etc/nginx/sites-available/balai.conf.j2"
