"""One page: products with their category from the ORM, rendered by a template; the JSON answer
ends with the worker's pid (bench/accuracy/run.py counts the workers that answered)."""

from __future__ import annotations

import os

from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string

from catalog.models import Product


def index(request: HttpRequest) -> JsonResponse:
    products = list(Product.objects.select_related("category").order_by("id")[:50])
    html = render_to_string("catalog/index.html", {"products": products}, request=request)
    return JsonResponse({"products": len(products), "html": len(html), "pid": os.getpid()})
