"""The villager's shop on the village hub."""

from django.shortcuts import render

from .. import selectors


def catalogue(request):
    products = selectors.products_for_sale()
    return render(request, "marketplace/catalogue.html", {"products": products})
