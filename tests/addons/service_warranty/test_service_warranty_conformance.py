"""The bridge passes the kernel's conformance kit."""

from openjxc.testing.conformance import AddonConformance


class TestConformance(AddonConformance):
    addon = "service_warranty"
