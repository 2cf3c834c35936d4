"""The province market on the upstream: every village's products, outside buyers' requests."""

from django.shortcuts import render

from .. import selectors


def catalogue(request):
    products = selectors.products_for_sale()
    return render(request, "marketplace/catalogue.html", {"products": products})
