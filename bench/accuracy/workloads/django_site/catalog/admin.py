from __future__ import annotations

from django.contrib import admin

from catalog.models import Category, Product

admin.site.register(Category)
admin.site.register(Product)
