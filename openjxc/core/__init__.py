"""The kernel: no business words live here."""
