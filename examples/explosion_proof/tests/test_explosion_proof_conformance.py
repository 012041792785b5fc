"""What every addon must satisfy, from the kernel's conformance kit (both backends)."""

from openjxc.testing.conformance import AddonConformance


class TestExplosionProofConformance(AddonConformance):
    addon = "explosion_proof"
