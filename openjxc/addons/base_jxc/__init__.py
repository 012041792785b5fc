"""Catalog, partners, warehouses, stock, purchase and sales."""
