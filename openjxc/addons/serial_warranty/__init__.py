"""Warranties and the device archive per serial number."""
