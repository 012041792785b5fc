"""Warehouses, locations and the stock engine: moves, balances, serials, batches, costing."""
