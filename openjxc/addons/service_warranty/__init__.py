"""The bridge between serial_warranty and service_orders (see docs/pro.md).

Neither addon imports the other; this one depends on both and the kernel installs it
with them (``auto_install = true``): a repair is free when the unit's warranty covers it,
an installation restarts the warranty, a swapped part is swapped on the device record,
and the device archive lists the service orders.
"""
