"""Paths of the repository's files that tests read."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the hub's site (locations), included by both the plain-HTTP and the HTTPS servers
NGINX_TEMPLATE = ROOT / "ansible/roles/hub_nginx/templates/etc/nginx/balai/site.conf.j2"
