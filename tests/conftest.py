"""The database fixtures come from the ``openjxc.testing.fixtures`` pytest plugin, which
partner addons get too (it is registered through the ``pytest11`` entry point)."""
