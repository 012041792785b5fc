"""The product master: categories with code templates, products."""
