"""Test support shipped with the kernel, for built-in and partner addons alike."""
