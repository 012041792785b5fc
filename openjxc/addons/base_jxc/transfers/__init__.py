"""Transfers between warehouses: ship to in-transit, receive, record differences."""
