"""Customers and suppliers: credit codes, contacts, addresses, terms and credit limits."""
