"""One ``load_demo`` for every app's demo data: the registry, the order, ``--only``."""

import pytest
from django.core.management import CommandError, call_command

from hub.core.demo import demos
from hub.site.models import AgendaItem, Announcement
from marketplace.models import Product


def test_every_app_registers_its_demo_in_order():
    # then the village comes before the shop that needs its code
    assert [demo.key for demo in demos()][:2] == ["desa", "pasar"]


def test_load_demo_loads_every_demo_once_and_prints_passwords_once(db, capsys):
    # when the whole demo is loaded twice
    call_command("load_demo")
    first = capsys.readouterr().out
    counts = (Announcement.objects.count(), AgendaItem.objects.count(), Product.objects.count())
    call_command("load_demo")
    second = capsys.readouterr().out
    # then the village and its shop are there, and nothing doubled
    assert all(counts)
    assert counts == (
        Announcement.objects.count(),
        AgendaItem.objects.count(),
        Product.objects.count(),
    )
    assert "Desa demo siap / demo village ready." in first
    assert "Toko demo siap / demo shop ready:" in first
    # and the passwords of the accounts it made are printed the first time only
    assert "kata sandi / password:" in first and "sandi / password:" in first
    assert "password:" not in second


def test_load_demo_only_one_and_an_unknown_name(db, capsys):
    # when only the village is asked for
    call_command("load_demo", only=["desa"])
    # then the shop is not loaded
    assert Product.objects.count() == 0
    assert "Desa demo siap" in capsys.readouterr().out
    # and an unknown demo is a clear error naming the known ones
    with pytest.raises(CommandError, match="no demo named 'kantor'.*desa, pasar"):
        call_command("load_demo", only=["kantor"])
